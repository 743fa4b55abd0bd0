//! The error-line locator: when no rule explains a failure, find the line most likely to show why.
//!
//! Heuristic, and honest about it: a line scores by what it says (an `##[error]` annotation, the words
//! error / fatal / failed / exception / panic / traceback at a word boundary, an `ERROR:`-style prefix)
//! and loses when it is a known trailer that only repeats the exit code. It over-matches on logs
//! that print the word "error" in healthy output; that is why it only speaks when no rule does.

use std::collections::VecDeque;
use std::sync::LazyLock;

use regex::Regex;

use super::scan::cut;
use crate::ingest::Line;
use crate::rules::{Compile, Pattern};

/// Latest scoring lines kept; the pick is made among them once the failing step is known.
const KEEP: usize = 256;
const MAX_TEXT: usize = 2000;

/// Stems that every `ERROR_WORD` match contains, and the annotation that scores without one: a line
/// has one of these or scores 0. The scanner's literal search finds them with the rules' literals,
/// and only lines that have one are scored.
pub(crate) static WORDS: LazyLock<Option<Pattern>> = LazyLock::new(|| {
    Pattern::new(
        "the error-line locator's words",
        super::words::WORDS.to_owned(),
        Compile::OnFirstUse,
    )
    .ok()
});
// The locator's patterns are ASCII (`(?-u)`: `\b`, `\w` and `\s` as in ASCII, case folded in
// ASCII): the words they look for are English, and ASCII classes keep the regexes small to build and
// on the fast engine for every line, including lines with non-ASCII text.
static ERROR_WORD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(?:error|errors|fatal|failed|failure|failures|exception|panic(?:ked)?|traceback|segmentation fault|aborted|assert(?:ion)?)\b|(?-iu:[a-z](?:Error|Exception)\b)").ok()
});
static ERROR_PREFIX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?-u)^\s*(?:##\[error\]|::error|(?:\[?(?:ERROR|FATAL|FAIL|FAILED)\]?)[:\s]|(?:\w+\.)*\w*(?:Error|Exception)\b[:\s]|error(?:\[\w+\])?:|fatal:|E\s{3})").ok()
});
/// Lines that only report that something before them failed.
static TRAILER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)process completed with exit code|^the command ".*" (?:failed and )?exited with|^done\. your build exited|make(?:\[(?-u:\d)+\])?: \*\*\*|npm err! (?:code elifecycle|errno|(?-u:\s)*$|a complete log|this is probably not a problem|failed at the|exit status)|^error: command failed with exit code|^(?-u:\s)*error: process completed|^script returned exit code|^build failed\.?$|^error: job failed"#).ok()
});
/// Lines that mention errors without being one.
static BENIGN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(?:warn(?:ing)?|deprecat\w*|0 errors?|0 failures?|no errors?|errors?: 0|failures?: 0|without errors|-werror)\b|^\s*(?:\+ |\$ |> |\[command\])").ok()
});

/// Compiles the locator's patterns now rather than on the first line that needs them.
pub(crate) fn warm() {
    for re in [&ERROR_WORD, &ERROR_PREFIX, &TRAILER, &BENIGN] {
        LazyLock::force(re);
    }
}

/// A line that may show the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) line: u64,
    pub(crate) step: Option<usize>,
    pub(crate) text: String,
    pub(crate) score: u8,
}

/// Follows a log and remembers its most error-looking lines.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Locator {
    recent: VecDeque<Candidate>,
}

fn is(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(text))
}

/// How much a line looks like the cause of a failure (0: not at all).
fn score(text: &str) -> u8 {
    if text.len() < 4 || !is(&ERROR_WORD, text) && !text.starts_with("##[error]") {
        return 0;
    }
    if is(&TRAILER, text) {
        return 1;
    }
    if is(&BENIGN, text) {
        return 0;
    }
    if is(&ERROR_PREFIX, text) { 4 } else { 2 }
}

impl Locator {
    /// Scores `line`; one without any of [`WORDS`] scores 0, so the caller may pass only the others.
    pub(crate) fn observe(&mut self, line: &Line<'_>) {
        let score = score(line.text);
        if score == 0 {
            return;
        }
        if self.recent.len() == KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(Candidate {
            line: line.number,
            step: line.step,
            text: cut(line.text, MAX_TEXT),
            score,
        });
    }

    /// The best candidate: inside the failing step when one is known, highest score, then earliest.
    pub(crate) fn pick(&self, failing_step: Option<usize>) -> Option<&Candidate> {
        // `max_by_key` keeps the last of equal maxima; reversing makes it the earliest line.
        let in_step = |c: &&Candidate| failing_step.is_none() || c.step == failing_step;
        self.recent
            .iter()
            .rev()
            .filter(in_step)
            .max_by_key(|c| c.score)
            .or_else(|| self.recent.iter().rev().max_by_key(|c| c.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_lines() {
        #[track_caller]
        fn case(text: &str, expected: u8) {
            assert_eq!(score(text), expected, "{text}");
        }
        case("Error: Cannot find module 'x'", 4);
        case("##[error]Unable to locate executable file: foo", 4);
        case("##[error]Process completed with exit code 1.", 1);
        case("TypeError: undefined is not a function", 4);
        case("something failed badly", 2);
        case("npm WARN deprecated request@2.88.2", 0);
        case("Compiled with 0 errors", 0);
        case("hello world", 0);
        case("make: *** [all] Error 2", 1);
    }

    #[test]
    fn picks_the_best_line_in_the_failing_step() {
        let mut loc = Locator::default();
        for (n, step, text) in [
            (1, Some(0), "Error: in a step that passed"),
            (2, Some(1), "something failed"),
            (3, Some(1), "Error: the real one"),
            (4, Some(1), "Error: a later one"),
            (5, Some(1), "##[error]Process completed with exit code 1."),
        ] {
            loc.observe(&Line {
                number: n,
                text,
                step,
            });
        }
        assert_eq!(loc.pick(Some(1)).map(|c| c.line), Some(3));
        assert_eq!(loc.pick(None).map(|c| c.line), Some(1));
        assert_eq!(loc.pick(Some(7)).map(|c| c.line), Some(1));
    }
}
