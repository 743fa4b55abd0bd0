//! The replay's summary for a terminal, and its operations summary in Markdown.

use std::fmt::Write as _;
use std::path::Path;

use super::ReplayReport;
use crate::report::summary::{self, Summary};

/// The summary counts per outcome, and what the replay ran with.
pub(crate) fn text(report: &ReplayReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "replay of {}: {} case{}, {} automatic re-run{} (back-off {} s in total)",
        report.scenario,
        report.cases,
        if report.cases == 1 { "" } else { "s" },
        report.reruns,
        if report.reruns == 1 { "" } else { "s" },
        report.delay_seconds_total,
    );
    let width = super::Outcome::ALL
        .iter()
        .map(|o| o.as_str().len() + 2)
        .max()
        .unwrap_or(0);
    for c in &report.outcomes {
        let name = format!("[{}]", c.outcome.as_str());
        let _ = writeln!(out, "  {name:<width$}  {:>5}", c.count);
    }
    let _ = writeln!(
        out,
        "policy v{} · seed {}",
        report.policy_version, report.seed
    );
    for (what, digest) in digests(report) {
        let _ = writeln!(out, "{what:<8} {digest}");
    }
    out
}

/// The digests of what the replay ran with.
fn digests(report: &ReplayReport) -> [(&'static str, &str); 3] {
    [
        ("config", &report.config_digest),
        ("rules", &report.rules_digest),
        ("scenario", &report.scenario_digest),
    ]
}

/// The operations summary of the replayed failures, as the `summary.md.j2` template sees it.
pub(crate) fn markdown(report: &ReplayReport, scenario: &Path) -> Summary {
    let mut s = summary::summarize(&format!("replay of {}", scenario.display()), &report.items);
    s.provenance = vec![format!(
        "policy v{} · seed {}",
        report.policy_version, report.seed
    )];
    s.provenance.extend(
        digests(report)
            .into_iter()
            .map(|(what, digest)| format!("{what} {digest}")),
    );
    s
}
