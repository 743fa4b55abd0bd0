//! Eval: score diagnoses against a labelled corpus, and gate a rule or policy change on the result.

mod compare;
pub(crate) mod corpus;
pub(crate) mod metrics;
mod render;

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub(crate) use compare::{Gate, Tolerances, compare};
pub(crate) use corpus::{CorpusError, load};
pub(crate) use metrics::{CaseResult, Metrics};
pub(crate) use render::{markdown_context, text};

use crate::config::Config;
use crate::diagnose::Engine;
use crate::ingest::{self, Outcome};
use crate::plan::{self, Context};
use crate::taxonomy::Category;

/// The version of the eval report's format.
pub(crate) const EVAL_FORMAT: &str = "recovery-agent-eval/1";

/// How fast a run went. The only part of a report that depends on the machine and thread count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunStats {
    pub(crate) threads: usize,
    pub(crate) seconds: f64,
    /// Decompressed log bytes read.
    pub(crate) bytes: u64,
    pub(crate) logs_per_second: f64,
    pub(crate) mb_per_second: f64,
}

/// A whole evaluation: what was used, the figures, and every case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvalReport {
    pub(crate) format: String,
    pub(crate) tool_version: String,
    pub(crate) corpus: String,
    pub(crate) config_digest: String,
    pub(crate) rules_digest: String,
    pub(crate) metrics: Metrics,
    pub(crate) cases: Vec<CaseResult>,
    pub(crate) run: RunStats,
}

/// Diagnoses one case the way `diagnose` would diagnose that log on its own (attempt 1, one job).
fn run_case(engine: &Engine<'_>, config: &Config, case: corpus::Case) -> (CaseResult, u64) {
    let mut result = CaseResult {
        id: case.id,
        label_outcome: case.outcome,
        label_category: case.category,
        rerun_likely_passes: case.rerun_likely_passes,
        evidence_ranges: case.evidence,
        category: Category::Unknown,
        confidence: 0.0,
        rule_id: None,
        title: None,
        evidence_lines: Vec::new(),
        recommended: None,
        auto_retry: false,
        fingerprint: String::new(),
        error: None,
        remediation: Vec::new(),
    };
    let diagnosed = ingest::open_one(&case.log).and_then(|input| engine.diagnose(input));
    let (job, diagnosis) = match diagnosed {
        Ok(pair) => pair,
        Err(e) => {
            result.error = Some(crate::error_chain(&e));
            return (result, 0);
        }
    };
    if job.outcome != Outcome::Passed {
        let plan = plan::plan(
            &diagnosis,
            &config.policy,
            &config.budgets,
            &Context::default(),
        );
        result.auto_retry = plan
            .recommended()
            .is_some_and(|o| o.allowed && o.action.reruns());
        result.recommended = plan.recommended().map(|o| o.action);
    }
    result.category = diagnosis.category;
    result.confidence = diagnosis.confidence;
    result.remediation = diagnosis.remediation;
    (result.rule_id, result.title) = diagnosis
        .rule
        .map(|r| (Some(r.id), Some(r.title)))
        .unwrap_or_default();
    result.evidence_lines = diagnosis.evidence.iter().map(|e| e.line).collect();
    result.fingerprint = diagnosis.fingerprint;
    (result, job.bytes)
}

/// Evaluates every case of the corpus at `dir` on `threads` threads.
pub(crate) fn evaluate(
    engine: &Engine<'_>,
    config: &Config,
    rules_digest: &str,
    dir: &Path,
    cases: Vec<corpus::Case>,
    threads: usize,
) -> EvalReport {
    let start = Instant::now();
    let count = cases.len();
    let ran = crate::batch::map(cases, threads, |case| run_case(engine, config, case));
    let seconds = start.elapsed().as_secs_f64().max(f64::EPSILON);
    let bytes: u64 = ran.iter().map(|(_, b)| b).sum();
    let cases: Vec<CaseResult> = ran.into_iter().map(|(r, _)| r).collect();
    EvalReport {
        format: EVAL_FORMAT.to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        corpus: dir.display().to_string(),
        config_digest: format!("sha256:{}", config.digest()),
        rules_digest: format!("sha256:{rules_digest}"),
        metrics: metrics::compute(&cases),
        cases,
        run: RunStats {
            threads: threads.clamp(1, count.max(1)),
            seconds,
            bytes,
            logs_per_second: count as f64 / seconds,
            mb_per_second: bytes as f64 / 1e6 / seconds,
        },
    }
}
