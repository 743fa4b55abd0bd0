//! Step segmentation and format detection from the markers CI services print.

use serde::Serialize;

/// Which CI service wrote the log, as recognised from its markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LogFormat {
    GithubActions,
    Travis,
    Gitlab,
    Jenkins,
    Taskcluster,
    Plain,
}

impl LogFormat {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::GithubActions => "github-actions",
            Self::Travis => "travis",
            Self::Gitlab => "gitlab",
            Self::Jenkins => "jenkins",
            Self::Taskcluster => "taskcluster",
            Self::Plain => "plain",
        }
    }
}

/// One step of a job: a `##[group]Run …` section, a Travis fold or command, a GitLab section…
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) start_line: u64,
    pub(crate) end_line: u64,
    /// The step reported its own failure (`##[error]…`, `The command "x" exited with 1.`).
    pub(crate) failed: bool,
    /// The command its failure marker named, when the marker names one.
    pub(crate) command: Option<String>,
}

/// More steps than this are folded into the last one, so memory stays bounded.
const MAX_STEPS: usize = 4096;
/// Step names are for people; a runaway marker line must not make them huge.
const MAX_STEP_NAME: usize = 200;
/// Format signatures are looked for in this many first lines only (fold markers: anywhere).
const DETECT_LINES: u64 = 200;

/// Follows the markers of a log line by line.
#[derive(Debug)]
pub(crate) struct StepTracker {
    format: LogFormat,
    steps: Vec<Step>,
    /// Inside a Travis fold or GitLab section: `$ cmd` lines do not start steps there.
    in_fold: bool,
}

impl Default for StepTracker {
    fn default() -> Self {
        Self {
            format: LogFormat::Plain,
            steps: Vec::new(),
            in_fold: false,
        }
    }
}

impl StepTracker {
    /// Records the markers of one line. `timestamped` tells whether the raw line carried a GitHub
    /// timestamp; `overwritten` are the `\r`-hidden segments, where Travis and GitLab print markers.
    pub(crate) fn observe(
        &mut self,
        line_no: u64,
        text: &str,
        overwritten: &[String],
        timestamped: bool,
    ) {
        self.detect(line_no, text, timestamped);
        for segment in overwritten.iter().map(String::as_str).chain([text]) {
            self.fold_marker(line_no, segment);
        }
        if let Some(name) = self.step_start(text) {
            self.start(line_no, name);
        }
        if let Some(last) = self.steps.last_mut() {
            last.end_line = line_no;
        }
    }

    fn detect(&mut self, line_no: u64, text: &str, timestamped: bool) {
        if self.format != LogFormat::Plain || line_no > DETECT_LINES {
            return;
        }
        self.format = if timestamped {
            LogFormat::GithubActions
        } else if text.starts_with("travis_fold:") || text.starts_with("Worker information") {
            LogFormat::Travis
        } else if text.starts_with("Running with gitlab-runner")
            || text.starts_with("section_start:")
        {
            LogFormat::Gitlab
        } else if text.starts_with("[Pipeline]") || text.starts_with("Started by ") {
            LogFormat::Jenkins
        } else if text.starts_with("Task ID: ") || text.starts_with("Worker Type: ") {
            LogFormat::Taskcluster
        } else {
            LogFormat::Plain
        };
    }

    fn fold_marker(&mut self, line_no: u64, segment: &str) {
        let start = segment.strip_prefix("travis_fold:start:").or_else(|| {
            segment
                .strip_prefix("section_start:")
                .and_then(|s| s.split_once(':').map(|(_, n)| n))
        });
        if let Some(name) = start {
            self.in_fold = true;
            self.start(line_no, name.trim().to_owned());
        } else if segment.starts_with("travis_fold:end:") || segment.starts_with("section_end:") {
            self.in_fold = false;
        }
    }

    fn step_start(&self, text: &str) -> Option<String> {
        match self.format {
            LogFormat::GithubActions => {
                if let Some(run) = text.strip_prefix("##[group]Run ") {
                    return Some(format!("Run {run}"));
                }
                (text == "Post job cleanup." || text == "Cleaning up orphan processes")
                    .then(|| text.trim_end_matches('.').to_owned())
            }
            LogFormat::Travis | LogFormat::Gitlab => {
                let cmd = text.strip_prefix("$ ")?;
                (!self.in_fold).then(|| format!("$ {cmd}"))
            }
            LogFormat::Jenkins => {
                let stage = text.strip_prefix("[Pipeline] { (")?;
                Some(stage.trim_end_matches(')').to_owned())
            }
            LogFormat::Taskcluster | LogFormat::Plain => None,
        }
    }

    fn start(&mut self, line_no: u64, mut name: String) {
        if self.steps.len() >= MAX_STEPS {
            return;
        }
        if name.len() > MAX_STEP_NAME {
            let cut = (0..=MAX_STEP_NAME)
                .rev()
                .find(|&i| name.is_char_boundary(i))
                .unwrap_or(0);
            name.truncate(cut);
            name.push('…');
        }
        self.steps.push(Step {
            name,
            start_line: line_no,
            end_line: line_no,
            failed: false,
            command: None,
        });
    }

    /// Starts a step that the container names (a step file of a GitHub logs zip).
    pub(crate) fn start_part(&mut self, line_no: u64, name: &str) {
        if self.format == LogFormat::Plain {
            self.format = LogFormat::GithubActions;
        }
        self.start(line_no, name.to_owned());
    }

    /// The step the latest observed line belongs to.
    pub(crate) fn current(&self) -> Option<usize> {
        self.steps.len().checked_sub(1)
    }

    /// Marks the current step failed (its own failure marker was just observed). A log without
    /// step markers gets one step, from its start, so the failure still has a place.
    pub(crate) fn mark_failed(&mut self, line_no: u64, command: Option<String>) {
        if self.steps.is_empty() && command.is_some() {
            self.start(1, "(log start)".to_owned());
        }
        if let Some(last) = self.steps.last_mut() {
            last.failed = true;
            last.end_line = last.end_line.max(line_no);
            if last.command.is_none() {
                last.command = command;
            }
        }
    }

    pub(crate) fn finish(self) -> (LogFormat, Vec<Step>) {
        (self.format, self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(lines: &[(&str, bool)]) -> (LogFormat, Vec<Step>) {
        let mut t = StepTracker::default();
        for (i, (text, ts)) in lines.iter().enumerate() {
            t.observe(i as u64 + 1, text, &[], *ts);
        }
        t.finish()
    }

    #[test]
    fn github_steps_start_at_run_groups() {
        let (format, steps) = track(&[
            ("Current runner version: '2.300.0'", true),
            ("##[group]Run actions/checkout@v4", true),
            ("##[endgroup]", true),
            ("##[group]Run npm test", true),
            ("##[group]Not a step", true),
            ("Post job cleanup.", true),
        ]);
        assert_eq!(format, LogFormat::GithubActions);
        let names: Vec<_> = steps
            .iter()
            .map(|s| (s.name.as_str(), s.start_line, s.end_line))
            .collect();
        assert_eq!(
            names,
            [
                ("Run actions/checkout@v4", 2, 3),
                ("Run npm test", 4, 5),
                ("Post job cleanup", 6, 6)
            ]
        );
    }

    #[test]
    fn travis_steps_are_folds_and_top_level_commands() {
        let mut t = StepTracker::default();
        t.observe(
            1,
            "Worker information",
            &["travis_fold:start:worker_info".to_owned()],
            false,
        );
        t.observe(2, "$ git clone x", &[], false);
        t.observe(
            3,
            "Build info",
            &["travis_fold:end:worker_info".to_owned()],
            false,
        );
        t.observe(4, "$ npm test", &[], false);
        let (format, steps) = t.finish();
        assert_eq!(format, LogFormat::Travis);
        let names: Vec<_> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["worker_info", "$ npm test"]);
    }
}
