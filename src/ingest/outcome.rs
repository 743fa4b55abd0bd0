//! Outcome inference: what the log itself says about how the job ended, and where it says it.

use std::sync::LazyLock;

use regex_automata::meta::Regex;
use serde::Serialize;

/// How the job ended, as far as its log tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Failed,
    Passed,
    Unknown,
}

/// How much a signal says about the whole job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The CI service reporting the job's end (`Done. Your build exited with 1.`): decisive.
    Job,
    /// A step or tool reporting its own end (`BUILD FAILURE`, `The command "x" exited with 1.`).
    Step,
}

/// One line that reports an end state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signal {
    pub(crate) outcome: Outcome,
    pub(crate) scope: Scope,
    /// The command the line says ended (`The command "npm test" exited with 1.`).
    pub(crate) command: Option<String>,
}

/// A table entry: the pattern, what a match means, and the source of the format.
struct Marker {
    pattern: &'static str,
    scope: Scope,
    /// `None` when the outcome is read from the `code` capture (0 passes, anything else fails).
    outcome: Option<Outcome>,
}

#[rustfmt::skip]
const MARKERS: &[Marker] = &[
    // GitHub Actions: https://docs.github.com/en/actions (runner output of a failed `run:` step)
    Marker { pattern: r"^##\[error\]Process completed with exit code (?P<code>\d+)", scope: Scope::Job, outcome: None },
    Marker { pattern: r"^##\[error\]The operation was canceled", scope: Scope::Job, outcome: Some(Outcome::Failed) },
    Marker { pattern: r"^##\[error\]The job (?:running on runner .* )?has exceeded the maximum execution time", scope: Scope::Job, outcome: Some(Outcome::Failed) },
    Marker { pattern: r"^##\[error\]The runner has received a shutdown signal", scope: Scope::Job, outcome: Some(Outcome::Failed) },
    // Travis CI: the last line of every job log, and the per-command summary.
    Marker { pattern: r"^Done\. Your build exited with (?P<code>\d+)\.", scope: Scope::Job, outcome: None },
    Marker { pattern: r#"^The command "(?P<cmd>.*)" (?:failed and )?exited with (?P<code>\d+)"#, scope: Scope::Step, outcome: None },
    // GitLab CI runner.
    Marker { pattern: r"^Job succeeded\s*$", scope: Scope::Job, outcome: Some(Outcome::Passed) },
    Marker { pattern: r"^ERROR: Job failed", scope: Scope::Job, outcome: Some(Outcome::Failed) },
    // Jenkins.
    Marker { pattern: r"^Finished: SUCCESS\s*$", scope: Scope::Job, outcome: Some(Outcome::Passed) },
    Marker { pattern: r"^Finished: (?:FAILURE|UNSTABLE|ABORTED)\s*$", scope: Scope::Job, outcome: Some(Outcome::Failed) },
    // Taskcluster (Firefox CI).
    Marker { pattern: r"^(?:Successful|Unsuccessful) task run with exit code: (?P<code>\d+)", scope: Scope::Job, outcome: None },
    Marker { pattern: r"^\[taskcluster:error\] (?:exit status (?P<code>\d+)|Task aborted)", scope: Scope::Job, outcome: None },
    // Build tools.
    Marker { pattern: r"^\[INFO\] BUILD SUCCESS\s*$", scope: Scope::Step, outcome: Some(Outcome::Passed) },
    Marker { pattern: r"^\[(?:INFO|ERROR)\] BUILD FAILURE\s*$", scope: Scope::Step, outcome: Some(Outcome::Failed) },
    Marker { pattern: r"^BUILD SUCCESSFUL in \d", scope: Scope::Step, outcome: Some(Outcome::Passed) },
    Marker { pattern: r"^BUILD FAILED in \d", scope: Scope::Step, outcome: Some(Outcome::Failed) },
    Marker { pattern: r"^\[success\] Total time: \d", scope: Scope::Step, outcome: Some(Outcome::Passed) },
    Marker { pattern: r"^\[error\] Total time: \d", scope: Scope::Step, outcome: Some(Outcome::Failed) },
    // npm, npm-run-all and yarn report a failed script; make reports a failed target.
    Marker { pattern: r"^npm ERR! Test failed\.", scope: Scope::Step, outcome: Some(Outcome::Failed) },
    Marker { pattern: r#"^ERROR: ".+" exited with (?P<code>\d+)\."#, scope: Scope::Step, outcome: None },
    Marker { pattern: r"^error Command failed with exit code (?P<code>\d+)\.", scope: Scope::Step, outcome: None },
    Marker { pattern: r"^g?make(?:\[\d+\])?: \*\*\* \[.*\] Error (?P<code>\d+)", scope: Scope::Step, outcome: None },
];

/// The markers as one regex: which of them matches, and its groups, in one pass. Where several
/// match, the first in list order wins, as the list puts specific markers before general ones.
static MARKER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let patterns: Vec<&str> = MARKERS.iter().map(|m| m.pattern).collect();
    Regex::new_many(&patterns).ok()
});

/// Compiles the markers now rather than on the first line that needs them.
pub(crate) fn warm() {
    LazyLock::force(&MARKER);
}

/// What every marker line opens with, one of these (a test reads them off the markers): most
/// lines are ruled out by their first four bytes and the rest by these texts, before the regex runs.
/// Four bytes are not enough: GitHub's `##[error]` and Maven's `[INFO]` open thousands of lines.
const LEADS: [&str; 23] = [
    "##[error]Process completed with exit code ",
    "##[error]The operation was canceled",
    "##[error]The job ",
    "##[error]The runner has received a shutdown signal",
    "Done. Your build exited with ",
    "The command \"",
    "Job succeeded",
    "ERROR: Job failed",
    "ERROR: \"",
    "Finished: ",
    "Successful task run with exit code: ",
    "Unsuccessful task run with exit code: ",
    "[taskcluster:error] ",
    "[INFO] BUILD ",
    "[ERROR] BUILD FAILURE",
    "BUILD SUCCESSFUL in ",
    "BUILD FAILED in ",
    "[success] Total time: ",
    "[error] Total time: ",
    "npm ERR! Test failed.",
    "error Command failed with exit code ",
    "make",
    "gmake",
];

/// The leads' first four bytes, as numbers: one comparison each rules out most lines.
const OPENINGS: [u32; LEADS.len()] = openings();

const fn openings() -> [u32; LEADS.len()] {
    let mut out = [0; LEADS.len()];
    let (mut leads, mut slots): (&[&str], &mut [u32]) = (&LEADS, &mut out);
    while let (Some((lead, leads_left)), Some((slot, slots_left))) =
        (leads.split_first(), slots.split_first_mut())
    {
        if let Some(opening) = lead.as_bytes().first_chunk::<4>() {
            *slot = u32::from_le_bytes(*opening);
        }
        (leads, slots) = (leads_left, slots_left);
    }
    out
}

/// Cheap pre-check: whether the line opens as a marker line does.
fn may_be_marker(line: &str) -> bool {
    let Some(opening) = line.as_bytes().first_chunk::<4>() else {
        return false;
    };
    let opening = u32::from_le_bytes(*opening);
    // A fold rather than `any`: without the early exit the comparisons are vectorised.
    OPENINGS
        .iter()
        .fold(false, |found, &o| found | (o == opening))
        && (OPENINGS.iter().zip(LEADS)).any(|(&o, lead)| o == opening && line.starts_with(lead))
}

/// Reads the end state a line reports, if it reports one.
pub(crate) fn signal(line: &str) -> Option<Signal> {
    if !may_be_marker(line) {
        return None;
    }
    let re = MARKER.as_ref()?;
    let mut caps = re.create_captures();
    re.captures(line, &mut caps);
    let marker = MARKERS.get(caps.pattern()?.as_usize())?;
    let group = |name| (caps.get_group_by_name(name)).and_then(|span| line.get(span.range()));
    let outcome = marker.outcome.unwrap_or_else(|| match group("code") {
        Some("0") => Outcome::Passed,
        _ => Outcome::Failed,
    });
    let command = group("cmd").map(str::to_owned);
    Some(Signal {
        outcome,
        scope: marker.scope,
        command,
    })
}

/// A step reported its own failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepFailure {
    pub(crate) command: Option<String>,
}

/// Folds the signals of a log, in order, into its outcome.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    job: Option<(Outcome, u64)>,
    step_failure: Option<u64>,
    error_mark: Option<u64>,
    /// The line that ends every complete GitHub Actions job log.
    complete: Option<u64>,
}

impl Verdict {
    /// Takes one line into account; when it reports a failure of the step it is in, returns that
    /// report (with the command it names, if any).
    pub(crate) fn observe(&mut self, line_no: u64, text: &str) -> Option<StepFailure> {
        if let Some(s) = signal(text) {
            match (s.scope, s.outcome) {
                (Scope::Job, outcome) => self.job = Some((outcome, line_no)),
                (Scope::Step, Outcome::Failed) => {
                    self.step_failure.get_or_insert(line_no);
                }
                (Scope::Step, _) => {}
            }
            return (s.outcome == Outcome::Failed).then_some(StepFailure { command: s.command });
        }
        if text.starts_with("##[error]") {
            self.error_mark.get_or_insert(line_no);
            return Some(StepFailure { command: None });
        }
        if text == "Cleaning up orphan processes" {
            self.complete = Some(line_no);
        }
        None
    }

    /// The outcome and the line that decided it.
    ///
    /// A job-level signal decides (the last one wins: a re-run inside one log ends with its own).
    /// Without one, any step failure or `##[error]` annotation means failed, and a complete GitHub
    /// log with nothing failing means passed. A step's own success says nothing about the steps
    /// after it, so on its own it leaves the outcome unknown.
    pub(crate) fn outcome(&self) -> (Outcome, Option<u64>) {
        if let Some((outcome, line)) = self.job {
            return (outcome, Some(line));
        }
        if let Some(line) = self.step_failure.or(self.error_mark) {
            return (Outcome::Failed, Some(line));
        }
        if let Some(line) = self.complete {
            return (Outcome::Passed, Some(line));
        }
        (Outcome::Unknown, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_markers_compile() {
        assert_eq!(MARKER.as_ref().unwrap().pattern_len(), MARKERS.len());
    }

    /// Every line a marker matches opens with one of the leads: the pre-check never hides one.
    #[test]
    fn every_marker_opens_with_a_listed_lead() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        for marker in MARKERS {
            let hir = regex_syntax::parse(marker.pattern).unwrap();
            let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
            let literals = prefixes.literals().expect(marker.pattern);
            assert!(!literals.is_empty(), "{}", marker.pattern);
            for literal in literals {
                let text = std::str::from_utf8(literal.as_bytes()).unwrap();
                assert!(may_be_marker(text), "{}: {text:?}", marker.pattern);
            }
        }
        assert!(
            !may_be_marker("Don"),
            "a line shorter than an opening is no marker"
        );
        assert!(!may_be_marker("##[error]Cannot find module 'x'"));
        assert!(!may_be_marker("[INFO] Building jar: x.jar"));
    }

    #[test]
    fn reads_signals() {
        #[track_caller]
        fn case(line: &str, expected: Option<(Outcome, Scope)>) {
            assert_eq!(
                signal(line).map(|s| (s.outcome, s.scope)),
                expected,
                "{line}"
            );
        }
        case(
            "##[error]Process completed with exit code 1.",
            Some((Outcome::Failed, Scope::Job)),
        );
        case(
            "##[error]Process completed with exit code 0.",
            Some((Outcome::Passed, Scope::Job)),
        );
        case(
            "Done. Your build exited with 0.",
            Some((Outcome::Passed, Scope::Job)),
        );
        case(
            "Done. Your build exited with 1.",
            Some((Outcome::Failed, Scope::Job)),
        );
        case(
            r#"The command "npm test" exited with 1."#,
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            r#"The command "npm ci" failed and exited with 1 during ."#,
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            r#"The command "npm test" exited with 0."#,
            Some((Outcome::Passed, Scope::Step)),
        );
        case("Finished: FAILURE", Some((Outcome::Failed, Scope::Job)));
        case("Finished: SUCCESS", Some((Outcome::Passed, Scope::Job)));
        case("[INFO] BUILD SUCCESS", Some((Outcome::Passed, Scope::Step)));
        case(
            "[ERROR] BUILD FAILURE",
            Some((Outcome::Failed, Scope::Step)),
        );
        case("BUILD FAILED in 12s", Some((Outcome::Failed, Scope::Step)));
        case(
            "Unsuccessful task run with exit code: 1 completed in 10 seconds",
            Some((Outcome::Failed, Scope::Job)),
        );
        case("echo Done. Your build exited with 1.", None);
        let named = signal(r#"The command "npm test -- --ci" exited with 2."#).unwrap();
        assert_eq!(named.command.as_deref(), Some("npm test -- --ci"));
        case("BUILD SUCCESSFUL", None);
        case(
            "[taskcluster:error] exit status 2",
            Some((Outcome::Failed, Scope::Job)),
        );
        case(
            "[taskcluster:error] Task aborted - max run time exceeded",
            Some((Outcome::Failed, Scope::Job)),
        );
        case(
            "npm ERR! Test failed.  See above for more details.",
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            r#"ERROR: "docs-lint" exited with 1."#,
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            "error Command failed with exit code 3.",
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            "make: *** [Makefile:12: test] Error 2",
            Some((Outcome::Failed, Scope::Step)),
        );
        case(
            "[error] Total time: 12 s, completed Aug 2, 2019",
            Some((Outcome::Failed, Scope::Step)),
        );
    }

    #[test]
    fn folds_signals_into_an_outcome() {
        #[track_caller]
        fn case(lines: &[&str], expected: (Outcome, Option<u64>)) {
            let mut v = Verdict::default();
            for (i, l) in lines.iter().enumerate() {
                v.observe(i as u64 + 1, l);
            }
            assert_eq!(v.outcome(), expected, "{lines:?}");
        }
        case(
            &[
                "x",
                "##[error]Process completed with exit code 2.",
                "Cleaning up orphan processes",
            ],
            (Outcome::Failed, Some(2)),
        );
        case(
            &["x", "Cleaning up orphan processes"],
            (Outcome::Passed, Some(2)),
        );
        case(
            &[
                "##[error]Unable to find Node version",
                "Cleaning up orphan processes",
            ],
            (Outcome::Failed, Some(1)),
        );
        case(
            &[
                r#"The command "a" exited with 1."#,
                "Done. Your build exited with 0.",
            ],
            (Outcome::Passed, Some(2)),
        );
        case(
            &[r#"The command "a" exited with 1."#, "tail"],
            (Outcome::Failed, Some(1)),
        );
        case(&["[INFO] BUILD SUCCESS"], (Outcome::Unknown, None));
        case(
            &["[INFO] BUILD SUCCESS", "Done. Your build exited with 0."],
            (Outcome::Passed, Some(2)),
        );
        case(&["just text"], (Outcome::Unknown, None));
    }
}
