//! The report for people in a terminal: what failed, why, how sure, and what to do, most important first.

use std::fmt::Write as _;

use super::escape;
use super::model::{JobReport, Report, Verdict};
use crate::ingest::Outcome;

/// ANSI styling, on only when writing to a terminal that wants colour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
    fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    fn verdict(self, v: Verdict) -> String {
        let name = verdict_name(v);
        match v {
            Verdict::Passed => self.green(name),
            Verdict::Retry => self.yellow(name),
            Verdict::ManualFix | Verdict::Escalate => self.red(name),
        }
    }
}

pub(crate) fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Retry => "retry",
        Verdict::ManualFix => "manual_fix",
        Verdict::Escalate => "escalate",
    }
}

/// Log text as shown here: secrets were redacted upstream; workflow commands are broken here.
fn shown(text: &str) -> String {
    escape::commands(text).into_owned()
}

pub(crate) fn render(report: &Report, style: Style, exit_code: u8) -> String {
    let mut out = String::new();
    for job in &report.jobs {
        job_section(&mut out, job, style);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} {}  {}",
        style.bold("verdict:"),
        style.verdict(report.verdict),
        style.dim(&format!(
            "(exit {exit_code}; {} job{}: {} failed, {} passed, {} unknown)",
            report.summary.jobs,
            if report.summary.jobs == 1 { "" } else { "s" },
            report.summary.failed,
            report.summary.passed,
            report.summary.unknown
        ))
    );
    for note in &report.degraded {
        let _ = writeln!(out, "{} {}", style.yellow("degraded:"), shown(note));
    }
    out
}

fn job_section(out: &mut String, job: &JobReport, style: Style) {
    let outcome = match job.outcome {
        Outcome::Failed => style.red("failed"),
        Outcome::Passed => style.green("passed"),
        Outcome::Unknown => style.yellow("outcome unknown"),
    };
    let at = job
        .outcome_line
        .map(|l| format!(" at line {l}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} {} — {outcome}{at}",
        style.bold("●"),
        style.bold(&shown(&job.name))
    );
    let _ = writeln!(
        out,
        "  {}",
        style.dim(&format!(
            "{} · {} · {} lines",
            shown(&job.source),
            job.format.as_str(),
            job.lines
        ))
    );
    if let Some(step) = &job.failed_step {
        let _ = writeln!(
            out,
            "  {:<11} {} {}",
            "step",
            shown(&step.name),
            style.dim(&format!("(lines {}–{})", step.start_line, step.end_line))
        );
    }
    let d = &job.diagnosis;
    let rule = d
        .rule_id
        .as_deref()
        .map(|r| format!(" · {r}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<11} {} · confidence {:.2}{rule}",
        "cause",
        style.bold(d.category.as_str()),
        d.confidence
    );
    if let Some(title) = &d.title {
        let _ = writeln!(out, "  {:<11} {}", "", title);
    }
    for (i, e) in d.evidence.iter().enumerate() {
        let label = if i == 0 { "evidence" } else { "" };
        let step = e
            .step
            .as_deref()
            .map(|s| format!(" [{}]", shown(s)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {label:<11} {}{}",
            style.dim(&format!("line {}", e.line)),
            style.dim(&step)
        );
        let _ = writeln!(out, "  {:<11} {}", "", shown(&e.text));
    }
    if d.evidence.is_empty() {
        let _ = writeln!(
            out,
            "  {:<11} {}",
            "evidence",
            style.dim("none: the log does not show an error line")
        );
    }
    for (i, a) in d.alternatives.iter().enumerate() {
        let label = if i == 0 { "also" } else { "" };
        let _ = writeln!(
            out,
            "  {label:<11} {} {:.2} {}",
            a.category,
            a.confidence,
            style.dim(&format!("({}, line {})", a.rule_id, a.line))
        );
    }
    let _ = writeln!(out, "  {:<11} {}", "fingerprint", d.fingerprint);
    if job.plan.options.is_empty() {
        let _ = writeln!(out, "  {:<11} {}", "plan", style.dim("nothing to recover"));
        return;
    }
    let _ = writeln!(out, "  plan");
    for o in &job.plan.options {
        let state = match &o.blocked_by {
            None => style.green("allowed"),
            Some(_) => style.yellow("blocked"),
        };
        let recommended = if o.rank == 1 {
            style.bold(" ← recommended")
        } else {
            String::new()
        };
        let action = format!("{}. {}", o.rank, o.action);
        let risk = format!("{:?}", o.risk).to_lowercase();
        let _ = writeln!(
            out,
            "    {action:<24} {:.2}  risk {risk:<6}  {state}{recommended}",
            o.confidence
        );
        let _ = writeln!(out, "       {}", style.dim(&shown(&o.reason)));
        if let Some(why) = &o.blocked_by {
            let _ = writeln!(
                out,
                "       {}",
                style.yellow(&format!("blocked: {}", shown(why)))
            );
        }
        for step in &o.steps {
            let _ = writeln!(out, "       - {}", shown(step));
        }
    }
}
