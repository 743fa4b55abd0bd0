//! Inside GitHub Actions: the job summary, step outputs and annotations, within GitHub's limits.
//!
//! Limits (GitHub docs, "Workflow commands"): a step summary is at most 1 MiB; a step shows at most
//! 10 error and 10 warning annotations; annotation data escapes `%`, `\r` and `\n`. Outputs go to
//! `$GITHUB_OUTPUT` as `name<<DELIMITER` blocks with a delimiter the value cannot contain.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::model::{Report, Verdict};
use crate::ingest::Outcome;

/// The step summary cap, with room for the notice that says it was cut.
const MAX_SUMMARY: usize = 1024 * 1024 - 256;
/// Annotations of one level a step may show.
const MAX_ANNOTATIONS: usize = 10;

/// Escapes annotation message data (actions/toolkit `escapeData`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation property value (actions/toolkit `escapeProperty`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` (or `::warning`) per failed job, at most ten of each.
pub(crate) fn annotations(report: &Report) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings) = (0, 0);
    for job in report.jobs.iter().filter(|j| j.outcome != Outcome::Passed) {
        let level = if job.verdict == Verdict::Retry {
            "warning"
        } else {
            "error"
        };
        let count = if level == "error" {
            &mut errors
        } else {
            &mut warnings
        };
        if *count >= MAX_ANNOTATIONS {
            continue;
        }
        *count += 1;
        let d = &job.diagnosis;
        let title = format!("recovery-agent: {} ({})", job.name, d.category);
        let what = d
            .title
            .as_deref()
            .unwrap_or("no rule explains this failure");
        let recommended = job
            .plan
            .options
            .first()
            .map_or_else(String::new, |o| format!("; recommended: {}", o.action));
        let line = d.evidence.first().map_or_else(String::new, |e| {
            format!("; log line {}: {}", e.line, e.text)
        });
        let message = super::escape::commands(&format!("{what}{recommended}{line}")).into_owned();
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    out
}

/// A heredoc delimiter that does not occur in `value`.
fn delimiter(value: &str) -> String {
    let mut n: u32 = 0;
    loop {
        let d = format!("recovery_agent_eof_{n}");
        if !value.contains(&d) {
            return d;
        }
        n += 1;
    }
}

/// The step outputs: `verdict`, `category` and `fingerprint` (of the first failed job), `report`.
pub(crate) fn outputs(report: &Report, report_path: Option<&Path>) -> String {
    let first = report.jobs.iter().find(|j| j.outcome != Outcome::Passed);
    let verdict = serde_json::to_value(report.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let pairs = [
        ("verdict", verdict),
        (
            "category",
            first.map_or_else(String::new, |j| j.diagnosis.category.as_str().to_owned()),
        ),
        (
            "fingerprint",
            first.map_or_else(String::new, |j| j.diagnosis.fingerprint.clone()),
        ),
        (
            "report",
            report_path.map_or_else(String::new, |p| p.display().to_string()),
        ),
    ];
    let mut out = String::new();
    for (name, value) in pairs {
        let d = delimiter(&value);
        let _ = write!(out, "{name}<<{d}\n{value}\n{d}\n");
    }
    out
}

/// The job summary: the Markdown report, cut to GitHub's 1 MiB.
pub(crate) fn summary(markdown: &str) -> String {
    if markdown.len() <= MAX_SUMMARY {
        return markdown.to_owned();
    }
    let mut end = MAX_SUMMARY;
    while !markdown.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n\n… (cut to GitHub's 1 MiB step summary limit; the full report is in the report file)\n",
        markdown.get(..end).unwrap_or_default()
    )
}

/// Appends `text` to the file named by the environment variable `var`, when it is set. Returns a
/// note for the report's `degraded` when the file cannot be written.
pub(crate) fn append_to_env_file(var: &str, text: &str) -> Option<String> {
    let path = std::env::var_os(var).filter(|p| !p.is_empty())?;
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    result.err().map(|e| {
        format!(
            "{var} ({}) could not be written: {e}",
            Path::new(&path).display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_data_and_properties_are_escaped() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }

    #[test]
    fn delimiters_never_occur_in_the_value() {
        assert_eq!(delimiter("plain"), "recovery_agent_eof_0");
        assert_eq!(
            delimiter("x recovery_agent_eof_0 y"),
            "recovery_agent_eof_1"
        );
    }

    #[test]
    fn summaries_are_cut_at_a_character_boundary() {
        let big = "é".repeat(MAX_SUMMARY);
        let s = summary(&big);
        assert!(s.len() <= 1024 * 1024);
        assert!(s.ends_with("report file)\n"));
        assert_eq!(summary("small"), "small");
    }
}
