//! The evaluation for people: a terminal table, and the context of the Markdown template.

use std::fmt::Write as _;

use serde::Serialize;

use super::metrics::Ratio;
use super::{EvalReport, Gate};

fn ratio(r: Ratio) -> String {
    format!("{:5.1}%  ({}/{})", r.percent(), r.count, r.total)
}

/// The evaluation as a terminal table (and the gate's verdict, when there is one).
pub(crate) fn text(report: &EvalReport, gate: Option<&Gate>) -> String {
    let m = &report.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "recovery-agent eval: {} cases ({} failed, {} passed{}) from {}",
        m.cases,
        m.failed,
        m.passed,
        if m.errors > 0 {
            format!(", {} unreadable", m.errors)
        } else {
            String::new()
        },
        report.corpus
    );
    let _ = writeln!(
        out,
        "rules {}  config {}\n",
        report.rules_digest, report.config_digest
    );
    let rows = [
        ("accuracy", m.accuracy),
        ("hit@1", m.hit_at_1),
        ("hit@3", m.hit_at_3),
        ("unknown", m.unknown),
        ("false alarms", m.false_alarms),
        ("retry precision", m.retry_precision),
        ("retry recall", m.retry_recall),
    ];
    for (name, r) in rows {
        let _ = writeln!(out, "  {name:<16} {}", ratio(r));
    }
    let _ = writeln!(out, "  {:<16} {:.3}", "macro-F1", m.macro_f1);
    let _ = writeln!(
        out,
        "  {:<16} {}",
        "retry violations",
        m.retry_violations.len()
    );
    for id in &m.retry_violations {
        let _ = writeln!(
            out,
            "    automatic re-run recommended for authentication failure {id}"
        );
    }
    if !m.false_alarms_by_rule.is_empty() {
        let _ = writeln!(out, "\nfalse alarms by rule:");
        for (rule, ids) in &m.false_alarms_by_rule {
            let _ = writeln!(out, "  {rule:<40} {} ({})", ids.len(), ids.join(", "));
        }
    }
    let _ = writeln!(
        out,
        "\n  {:<22} {:>7} {:>9} {:>9} {:>7}",
        "category", "support", "precision", "recall", "F1"
    );
    for (category, s) in &m.categories {
        let _ = writeln!(
            out,
            "  {:<22} {:>7} {:>9.3} {:>9.3} {:>7.3}",
            category.as_str(),
            s.support,
            s.precision,
            s.recall,
            s.f1
        );
    }
    let columns: Vec<_> = m.categories.keys().collect();
    let _ = writeln!(out, "\nconfusion (rows: label, columns: diagnosis)");
    let header: String = columns
        .iter()
        .map(|c| format!("{:>6}", c.short()))
        .collect();
    let _ = writeln!(out, "  {:<22} {header}", "");
    for (label, row) in &m.confusion {
        let cells: String = columns
            .iter()
            .map(|c| format!("{:>6}", row.get(c).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(out, "  {:<22} {cells}", label.as_str());
    }
    let _ = writeln!(
        out,
        "\n{} logs, {:.1} MB in {:.2} s on {} thread(s): {:.1} logs/s, {:.1} MB/s",
        m.cases,
        report.run.bytes as f64 / 1e6,
        report.run.seconds,
        report.run.threads,
        report.run.logs_per_second,
        report.run.mb_per_second
    );
    if let Some(gate) = gate {
        gate_text(&mut out, gate);
    }
    out
}

fn gate_text(out: &mut String, gate: &Gate) {
    let _ = writeln!(out, "\nrecommendation: {}", gate.recommendation);
    for reason in &gate.reasons {
        let _ = writeln!(out, "  ✗ {reason}");
    }
    for note in &gate.notes {
        let _ = writeln!(out, "  · {note}");
    }
    if !gate.changes.is_empty() {
        let _ = writeln!(out, "cases whose diagnosis changed:");
        for c in &gate.changes {
            let label = c.label.map_or("passed", |l| l.as_str());
            let _ = writeln!(
                out,
                "  {:<7} {}  {} → {} (label {label})",
                c.effect, c.id, c.before, c.after
            );
        }
    }
}

/// What the Markdown template sees: the report, the gate, and the confusion matrix as rows.
#[derive(Debug, Serialize)]
pub(crate) struct MarkdownContext<'a> {
    pub(crate) eval: &'a EvalReport,
    pub(crate) gate: Option<&'a Gate>,
    pub(crate) columns: Vec<&'static str>,
    pub(crate) confusion_rows: Vec<(&'static str, Vec<usize>)>,
}

pub(crate) fn markdown_context<'a>(
    report: &'a EvalReport,
    gate: Option<&'a Gate>,
) -> MarkdownContext<'a> {
    let m = &report.metrics;
    let columns: Vec<_> = m.categories.keys().copied().collect();
    MarkdownContext {
        eval: report,
        gate,
        columns: columns.iter().map(|c| c.as_str()).collect(),
        confusion_rows: m
            .confusion
            .iter()
            .map(|(label, row)| {
                (
                    label.as_str(),
                    columns
                        .iter()
                        .map(|c| row.get(c).copied().unwrap_or(0))
                        .collect(),
                )
            })
            .collect(),
    }
}
