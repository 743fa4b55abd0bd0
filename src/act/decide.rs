//! What to do on GitHub for a run, from its jobs' plans: the writes, each with its idempotency key.

use crate::ingest::Outcome;
use crate::plan::Plan;
use crate::report::{Verdict, job_verdict};
use crate::taxonomy::Action;

/// Where the run is, and what identifies this invocation's writes.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) run_id: u64,
    pub(crate) attempt: u32,
    /// The pull request to comment on, if any.
    pub(crate) pr: Option<u64>,
    /// The ref whose caches a reset may delete (`refs/pull/N/merge`, `refs/heads/B`).
    pub(crate) cache_ref: Option<String>,
    pub(crate) run_url: String,
}

/// One failed job, as act sees it.
#[derive(Debug, Clone)]
pub(crate) struct FailedJob<'a> {
    pub(crate) index: usize,
    pub(crate) outcome: Outcome,
    pub(crate) plan: &'a Plan,
    pub(crate) fingerprint: &'a str,
    pub(crate) cache_keys: &'a [String],
}

/// A write on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// Delete the caches named by job `job`'s diagnosis.
    ResetCaches {
        job: usize,
        fingerprint: String,
        keys: Vec<String>,
    },
    /// Re-run the failed jobs of the run.
    Rerun { debug: bool },
    /// Open or update the issue for job `job`'s fingerprint.
    Escalate { job: usize, fingerprint: String },
}

impl Write {
    /// The idempotency key: what it is, for which failure, in which run attempt.
    pub(crate) fn key(&self, target: &Target) -> String {
        let at = format!("{}:{}", target.run_id, target.attempt);
        match self {
            Self::ResetCaches { fingerprint, .. } => format!("reset-caches:{fingerprint}:{at}"),
            Self::Rerun { .. } => format!("rerun:{at}"),
            Self::Escalate { fingerprint, .. } => format!("escalate:{fingerprint}:{at}"),
        }
    }
}

/// The writes the plans call for, in the order they run: cache resets, then the re-run (only when
/// every failed job's recommendation is an allowed re-run: re-running a compile error helps no
/// one), then one escalation per distinct fingerprint.
pub(crate) fn writes(jobs: &[FailedJob<'_>]) -> Vec<Write> {
    let mut out = Vec::new();
    let verdicts: Vec<Verdict> = jobs
        .iter()
        .map(|j| job_verdict(j.outcome, j.plan))
        .collect();
    let failing: Vec<(&FailedJob<'_>, Verdict)> = jobs
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| *v != Verdict::Passed)
        .collect();
    if !failing.is_empty() && failing.iter().all(|(_, v)| *v == Verdict::Retry) {
        let mut debug = false;
        for (job, _) in &failing {
            match job.plan.recommended().map(|o| o.action) {
                Some(Action::ResetCacheAndRetry) => out.push(Write::ResetCaches {
                    job: job.index,
                    fingerprint: job.fingerprint.to_owned(),
                    keys: job.cache_keys.to_vec(),
                }),
                Some(Action::RetryWithDebug) => debug = true,
                _ => {}
            }
        }
        out.push(Write::Rerun { debug });
    }
    let mut seen: Vec<&str> = Vec::new();
    for (job, verdict) in &failing {
        if *verdict == Verdict::Escalate && !seen.contains(&job.fingerprint) {
            seen.push(job.fingerprint);
            out.push(Write::Escalate {
                job: job.index,
                fingerprint: job.fingerprint.to_owned(),
            });
        }
    }
    out
}
