//! The JSON report, version 1: the gating contract other CI steps read. Frozen structs, not internals.
//!
//! Paths tools rely on: `verdict`, `jobs[].outcome`, `jobs[].diagnosis.{category, confidence, rule_id,
//! fingerprint, evidence[].line}`, `jobs[].plan.options[].action` (the first is recommended). Any
//! change to these structs changes `recovery-agent schema`; a breaking one bumps `SCHEMA_VERSION`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnose::Factors;
use crate::ingest::{LogFormat, Outcome};
use crate::plan::Risk;
use crate::taxonomy::{Action, Category};

pub(crate) const SCHEMA_VERSION: u32 = 1;

/// What the whole input calls for; also decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
    /// No job failed.
    Passed,
    /// Every failure has an allowed automatic recovery (re-run, debug re-run or cache reset).
    Retry,
    /// At least one failure needs a code or configuration change; none needs escalation.
    ManualFix,
    /// At least one failure needs a human: credentials, an unexplained failure, or spent budgets.
    Escalate,
}

/// A recovery-agent report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Report {
    /// Version of this format.
    pub(crate) schema_version: u32,
    pub(crate) tool: Tool,
    /// The most severe verdict over all jobs: escalate > manual_fix > retry > passed.
    pub(crate) verdict: Verdict,
    /// `sha256:` digest of the effective configuration (policy, budgets, packs, templates).
    pub(crate) config_digest: String,
    /// `sha256:` digest over every rule pack in force.
    pub(crate) rules_digest: String,
    pub(crate) policy_version: u32,
    pub(crate) fingerprint_version: String,
    pub(crate) packs: Vec<PackRef>,
    pub(crate) summary: Summary,
    /// What could not be done fully, in words (empty when nothing was degraded).
    pub(crate) degraded: Vec<String>,
    pub(crate) jobs: Vec<JobReport>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Tool {
    pub(crate) name: String,
    pub(crate) version: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PackRef {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) rules: usize,
    pub(crate) digest: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Summary {
    pub(crate) jobs: usize,
    pub(crate) failed: usize,
    pub(crate) passed: usize,
    pub(crate) unknown: usize,
    /// Jobs per category (failed jobs only).
    pub(crate) categories: BTreeMap<String, usize>,
}

/// One job: what its log says, why it failed, and what to do.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct JobReport {
    pub(crate) name: String,
    /// Where the log came from (path, `archive.zip!entry`, `<stdin>`).
    pub(crate) source: String,
    pub(crate) format: LogFormat,
    pub(crate) outcome: Outcome,
    /// The line that told the outcome.
    pub(crate) outcome_line: Option<u64>,
    pub(crate) lines: u64,
    pub(crate) bytes: u64,
    /// Lines longer than 64 KiB, of which only the first 64 KiB were examined.
    pub(crate) cut_lines: u64,
    pub(crate) failed_step: Option<StepRef>,
    pub(crate) verdict: Verdict,
    pub(crate) diagnosis: DiagnosisReport,
    pub(crate) plan: PlanReport,
    /// Side effects for this job (`run` only: `diagnose` never acts).
    pub(crate) actions: Vec<ActionRecord>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StepRef {
    pub(crate) name: String,
    pub(crate) start_line: u64,
    pub(crate) end_line: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DiagnosisReport {
    pub(crate) category: Category,
    /// The rule that decided; `null` when no rule matched (`unknown`).
    pub(crate) rule_id: Option<String>,
    pub(crate) pack: Option<String>,
    pub(crate) title: Option<String>,
    /// In [0, 1]; see `factors` for the terms of the formula.
    pub(crate) confidence: f64,
    pub(crate) factors: Option<Factors>,
    /// `v1:<16 hex>`: equal for the same failure, across runs and machines.
    pub(crate) fingerprint: String,
    pub(crate) captures: BTreeMap<String, String>,
    /// The lines that show the cause, most telling first.
    pub(crate) evidence: Vec<EvidenceReport>,
    pub(crate) alternatives: Vec<AlternativeReport>,
    pub(crate) cache_keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct EvidenceReport {
    /// 1-based line number in the original log split on `\n`.
    pub(crate) line: u64,
    pub(crate) step: Option<String>,
    /// The normalised line, with secrets redacted.
    pub(crate) text: String,
    pub(crate) rule_id: Option<String>,
    pub(crate) context: Vec<ContextLine>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ContextLine {
    pub(crate) line: u64,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AlternativeReport {
    pub(crate) category: Category,
    pub(crate) rule_id: String,
    pub(crate) confidence: f64,
    pub(crate) line: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PlanReport {
    pub(crate) policy_version: u32,
    /// Ranked; the first is the recommendation.
    pub(crate) options: Vec<OptionReport>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct OptionReport {
    pub(crate) rank: usize,
    pub(crate) action: Action,
    pub(crate) confidence: f64,
    pub(crate) risk: Risk,
    /// Whether policy and budgets allow it now (for re-runs: automatically).
    pub(crate) allowed: bool,
    pub(crate) blocked_by: Option<String>,
    pub(crate) reason: String,
    pub(crate) steps: Vec<String>,
}

/// A side effect carried out (or attempted) for a job.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ActionRecord {
    pub(crate) action: Action,
    /// `done`, `skipped`, `failed`, or `planned` (`--dry-run`: what it would do).
    pub(crate) status: String,
    pub(crate) detail: String,
}

/// The JSON Schema of [`Report`], as `recovery-agent schema` prints it.
pub(crate) fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Report).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".to_owned(),
            "https://github.com/org/recovery-agent/schema/report-v1.json".into(),
        );
    }
    schema
}
