//! Assembling the versioned report from what the pipeline produced.

use std::collections::BTreeMap;

use super::model::{
    ActionRecord, AlternativeReport, ContextLine, DiagnosisReport, EvidenceReport, JobReport,
    OptionReport, PackRef, PlanReport, Report, SCHEMA_VERSION, StepRef, Summary, Tool, Verdict,
};
use crate::diagnose::{Diagnosis, FINGERPRINT_VERSION};
use crate::ingest::{JobLog, Outcome};
use crate::plan::{POLICY_VERSION, Plan};
use crate::rules::Library;
use crate::taxonomy::Action;

/// One diagnosed job, as the pipeline hands it over.
#[derive(Debug, Clone)]
pub(crate) struct JobResult {
    pub(crate) job: JobLog,
    pub(crate) diagnosis: Diagnosis,
    pub(crate) plan: Plan,
    pub(crate) actions: Vec<ActionRecord>,
}

/// What a job calls for: nothing when it passed, else its recommended option's class.
pub(crate) fn job_verdict(outcome: Outcome, plan: &Plan) -> Verdict {
    if outcome == Outcome::Passed {
        return Verdict::Passed;
    }
    match plan.recommended() {
        Some(o) if o.allowed && o.action.reruns() => Verdict::Retry,
        Some(o) if o.allowed && o.action == Action::ManualFix => Verdict::ManualFix,
        _ => Verdict::Escalate,
    }
}

pub(crate) fn report(
    results: &[JobResult],
    library: &Library,
    config_digest: &str,
    degraded: Vec<String>,
) -> Report {
    let jobs: Vec<JobReport> = results.iter().map(job_report).collect();
    let verdict = jobs
        .iter()
        .map(|j| j.verdict)
        .max()
        .unwrap_or(Verdict::Passed);
    let mut categories = BTreeMap::new();
    for j in jobs.iter().filter(|j| j.outcome != Outcome::Passed) {
        *categories
            .entry(j.diagnosis.category.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let count = |o: Outcome| jobs.iter().filter(|j| j.outcome == o).count();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        verdict,
        config_digest: format!("sha256:{config_digest}"),
        rules_digest: format!("sha256:{}", library.digest()),
        policy_version: POLICY_VERSION,
        fingerprint_version: FINGERPRINT_VERSION.to_owned(),
        packs: library
            .packs
            .iter()
            .map(|p| PackRef {
                name: p.name.clone(),
                version: p.version.clone(),
                rules: p.rules,
                digest: format!("sha256:{}", p.digest),
            })
            .collect(),
        summary: Summary {
            jobs: jobs.len(),
            failed: count(Outcome::Failed),
            passed: count(Outcome::Passed),
            unknown: count(Outcome::Unknown),
            categories,
        },
        degraded,
        jobs,
    }
}

fn job_report(r: &JobResult) -> JobReport {
    let job = &r.job;
    let d = &r.diagnosis;
    let failed_step = job
        .first_failed_step()
        .and_then(|i| job.steps.get(i))
        .map(|s| StepRef {
            name: s.name.clone(),
            start_line: s.start_line,
            end_line: s.end_line,
        });
    JobReport {
        name: job.name.clone(),
        source: job.origin.clone(),
        format: job.format,
        outcome: job.outcome,
        outcome_line: job.outcome_line,
        lines: job.lines,
        bytes: job.bytes,
        cut_lines: job.cut_lines,
        failed_step,
        verdict: job_verdict(job.outcome, &r.plan),
        diagnosis: DiagnosisReport {
            category: d.category,
            rule_id: d.rule.as_ref().map(|r| r.id.clone()),
            pack: d.rule.as_ref().map(|r| r.pack.clone()),
            title: d.rule.as_ref().map(|r| r.title.clone()),
            confidence: d.confidence,
            factors: d.factors,
            fingerprint: d.fingerprint.clone(),
            captures: d.captures.iter().cloned().collect(),
            evidence: d
                .evidence
                .iter()
                .map(|e| EvidenceReport {
                    line: e.line,
                    step: e.step.clone(),
                    text: e.text.clone(),
                    rule_id: e.rule_id.clone(),
                    context: e
                        .context
                        .iter()
                        .map(|(line, text)| ContextLine {
                            line: *line,
                            text: text.clone(),
                        })
                        .collect(),
                })
                .collect(),
            alternatives: d
                .alternatives
                .iter()
                .map(|a| AlternativeReport {
                    category: a.category,
                    rule_id: a.rule_id.clone(),
                    confidence: a.confidence,
                    line: a.line,
                })
                .collect(),
            cache_keys: d.cache_keys.clone(),
        },
        plan: PlanReport {
            policy_version: POLICY_VERSION,
            options: r
                .plan
                .options
                .iter()
                .map(|o| OptionReport {
                    rank: o.rank,
                    action: o.action,
                    confidence: o.confidence,
                    risk: o.risk,
                    allowed: o.allowed,
                    blocked_by: o.blocked.as_ref().map(|b| b.reason.clone()),
                    reason: o.reason.clone(),
                    steps: o.steps.clone(),
                })
                .collect(),
        },
        actions: r.actions.clone(),
    }
}
