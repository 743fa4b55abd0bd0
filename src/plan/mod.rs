//! Plan: rank the recovery options for a diagnosis under the policy and its budgets.
//!
//! Each action permitted by the diagnosis (its rule's `actions`, within `policy.actions`) becomes an
//! option whose confidence is `suitability × diagnosis confidence` (for `unknown`, whose confidence
//! is 0, the suitability alone). Suitability says how well an action fits a kind of cause:
//!
//! | category | retry | retry_with_debug | reset_cache_and_retry | manual_fix | escalate |
//! |---|---|---|---|---|---|
//! | network, rate_limit, infrastructure | 0.90 | 0.60 | 0.20 | 0.30 | 0.40 |
//! | timeout | 0.60 | 0.55 | 0.20 | 0.50 | 0.50 |
//! | cache | 0.40 | 0.30 | 0.90 | 0.40 | 0.40 |
//! | resource_exhaustion | 0.40 | 0.20 | 0.30 | 0.70 | 0.50 |
//! | test_failure | 0.30 | 0.20 | 0.10 | 0.85 | 0.30 |
//! | dependency_resolution, compilation, lint, configuration | 0.05 | 0.05 | 0.10 | 0.90 | 0.30 |
//! | auth | 0.00 | 0.00 | 0.00 | 0.60 | 0.90 |
//! | unknown | 0.20 | 0.40 | 0.10 | 0.30 | 0.90 |
//!
//! An option that re-runs jobs is *allowed* only when every budget holds: its category is in
//! `policy.retryable` (or `policy.resettable` for a cache reset), the diagnosis is at least
//! `policy.min_confidence`, the run attempt is within `auto_retry_max_attempt` (`debug_retry_max_attempt`
//! for a debug re-run), the commit and fingerprint re-run budgets are not spent, no more than
//! `outage_failed_jobs` jobs failed at once, and GitHub's re-run limit is not reached. Allowed options
//! come first, by confidence; blocked ones follow, each saying what blocked it. Same inputs, same plan.

mod policy;

pub(crate) use policy::{Budgets, POLICY_VERSION, Policy};

use crate::diagnose::Diagnosis;
use crate::taxonomy::{Action, Category};

/// What the planner knows about the run besides the diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Context {
    /// `run_attempt` of the failed run (1 for the first).
    pub(crate) attempt: u32,
    /// Jobs that failed in this run (the outage guard counts them).
    pub(crate) failed_jobs: u32,
    /// Automatic re-runs already spent on this commit.
    pub(crate) reruns_for_commit: u32,
    /// Automatic re-runs already spent on this fingerprint today.
    pub(crate) reruns_for_fingerprint_today: u32,
    /// Re-runs of this fingerprint that failed again, in a row (the circuit breaker counts them).
    pub(crate) failed_reruns_for_fingerprint: u32,
    pub(crate) run_id: Option<u64>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            attempt: 1,
            failed_jobs: 1,
            reruns_for_commit: 0,
            reruns_for_fingerprint_today: 0,
            failed_reruns_for_fingerprint: 0,
            run_id: None,
        }
    }
}

/// How much harm an option can do if the diagnosis is wrong.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Risk {
    Low,
    Medium,
}

/// One ranked way to recover.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecoveryOption {
    pub(crate) rank: usize,
    pub(crate) action: Action,
    pub(crate) confidence: f64,
    pub(crate) risk: Risk,
    /// Whether the policy lets this run now (for re-runs: automatically).
    pub(crate) allowed: bool,
    /// The policy rule that stops it now, if one does.
    pub(crate) blocked: Option<Block>,
    pub(crate) reason: String,
    pub(crate) steps: Vec<String>,
}

/// The ranked options for one job; the first is the recommendation.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Plan {
    pub(crate) options: Vec<RecoveryOption>,
}

impl Plan {
    pub(crate) fn recommended(&self) -> Option<&RecoveryOption> {
        self.options.first()
    }
}

#[rustfmt::skip]
fn suitability(category: Category, action: Action) -> f64 {
    use Category as C;
    let row: [f64; 5] = match category {
        C::Network | C::RateLimit | C::Infrastructure => [0.90, 0.60, 0.20, 0.30, 0.40],
        C::Timeout =>                                     [0.60, 0.55, 0.20, 0.50, 0.50],
        C::Cache =>                                       [0.40, 0.30, 0.90, 0.40, 0.40],
        C::ResourceExhaustion =>                          [0.40, 0.20, 0.30, 0.70, 0.50],
        C::TestFailure =>                                 [0.30, 0.20, 0.10, 0.85, 0.30],
        C::DependencyResolution | C::Compilation | C::Lint | C::Configuration
                                                       => [0.05, 0.05, 0.10, 0.90, 0.30],
        C::Auth =>                                        [0.00, 0.00, 0.00, 0.60, 0.90],
        C::Unknown =>                                     [0.20, 0.40, 0.10, 0.30, 0.90],
    };
    let column = Action::ALL.iter().position(|a| *a == action).unwrap_or(0);
    row.get(column).copied().unwrap_or(0.0)
}

fn risk(category: Category, action: Action) -> Risk {
    let transient = matches!(
        category,
        Category::Network | Category::RateLimit | Category::Infrastructure | Category::Timeout
    );
    match action {
        Action::ResetCacheAndRetry => Risk::Medium,
        Action::Retry | Action::RetryWithDebug if !transient => Risk::Medium,
        _ => Risk::Low,
    }
}

/// A policy rule that stops an option now, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The rule, as it is named in the configuration (`policy.retryable`, `budgets.breaker_failures`…).
    pub(crate) rule: &'static str,
    pub(crate) reason: String,
}

fn block(rule: &'static str, reason: String) -> Option<Block> {
    Some(Block { rule, reason })
}

/// Why policy or budgets stop an automatic re-run now, if they do. The checks run in a fixed
/// order, so the same situation is always blamed on the same rule.
fn blocker(
    action: Action,
    d: &Diagnosis,
    policy: &Policy,
    budgets: &Budgets,
    ctx: &Context,
) -> Option<Block> {
    if !action.reruns() {
        return None;
    }
    let category = d.category;
    if category == Category::Auth {
        return block(
            "policy.never_retry_auth",
            "authentication failures are never re-run automatically".to_owned(),
        );
    }
    let (eligible, rule) = match action {
        Action::ResetCacheAndRetry => (&policy.resettable, "policy.resettable"),
        _ => (&policy.retryable, "policy.retryable"),
    };
    if !eligible.contains(&category) {
        return block(rule, format!("`{category}` is not in {rule}"));
    }
    if d.confidence < policy.min_confidence {
        return block(
            "policy.min_confidence",
            format!(
                "diagnosis confidence {:.2} is below policy.min_confidence {:.2}",
                d.confidence, policy.min_confidence
            ),
        );
    }
    let (max_attempt, rule) = match action {
        Action::RetryWithDebug => (
            policy.debug_retry_max_attempt,
            "policy.debug_retry_max_attempt",
        ),
        _ => (
            policy.auto_retry_max_attempt,
            "policy.auto_retry_max_attempt",
        ),
    };
    if ctx.attempt > max_attempt {
        return block(
            rule,
            format!("attempt {} is past {rule} = {max_attempt}", ctx.attempt),
        );
    }
    if ctx.attempt > budgets.github_rerun_limit {
        return block(
            "budgets.github_rerun_limit",
            format!(
                "GitHub allows at most {} re-runs of a run",
                budgets.github_rerun_limit
            ),
        );
    }
    if ctx.failed_jobs > budgets.outage_failed_jobs {
        return block(
            "budgets.outage_failed_jobs",
            format!(
                "{} jobs failed at once, more than budgets.outage_failed_jobs = {}: likely an outage",
                ctx.failed_jobs, budgets.outage_failed_jobs
            ),
        );
    }
    if ctx.failed_reruns_for_fingerprint >= budgets.breaker_failures {
        return block(
            "budgets.breaker_failures",
            format!(
                "circuit breaker open: {} re-runs of fingerprint {} failed in a row (budgets.breaker_failures = {})",
                ctx.failed_reruns_for_fingerprint, d.fingerprint, budgets.breaker_failures
            ),
        );
    }
    if ctx.reruns_for_commit >= budgets.max_reruns_per_commit {
        return block(
            "budgets.max_reruns_per_commit",
            format!(
                "{} re-runs already spent on this commit (budgets.max_reruns_per_commit = {})",
                ctx.reruns_for_commit, budgets.max_reruns_per_commit
            ),
        );
    }
    if ctx.reruns_for_fingerprint_today >= budgets.max_reruns_per_fingerprint_per_day {
        return block(
            "budgets.max_reruns_per_fingerprint_per_day",
            format!(
                "{} re-runs already spent on fingerprint {} today (budgets.max_reruns_per_fingerprint_per_day = {})",
                ctx.reruns_for_fingerprint_today,
                d.fingerprint,
                budgets.max_reruns_per_fingerprint_per_day
            ),
        );
    }
    None
}

fn reason(action: Action, d: &Diagnosis, ctx: &Context) -> String {
    let what = d
        .rule
        .as_ref()
        .map_or("no rule explains the failure", |r| r.title.as_str());
    let category = d.category;
    match action {
        Action::Retry => format!(
            "{category} failures are often transient (attempt {} failed): {what}",
            ctx.attempt
        ),
        Action::RetryWithDebug => {
            format!("if it fails again, runner and step debug logs show more: {what}")
        }
        Action::ResetCacheAndRetry => {
            format!("restored cached state looks corrupt or stale: {what}")
        }
        Action::ManualFix => format!("the change needs a fix before it can pass: {what}"),
        Action::Escalate => match category {
            Category::Auth => format!("credentials or permissions need a human: {what}"),
            Category::Unknown => {
                "no rule explains this failure; a human should look at the evidence".to_owned()
            }
            _ => format!("hand it to the owners if the other options do not resolve it: {what}"),
        },
    }
}

fn steps(action: Action, d: &Diagnosis, ctx: &Context) -> Vec<String> {
    let run = ctx
        .run_id
        .map_or_else(|| "<run-id>".to_owned(), |id| id.to_string());
    let rerun = format!("Re-run the failed jobs: `gh run rerun {run} --failed`");
    match action {
        Action::Retry => {
            let mut s = Vec::new();
            if d.category == Category::RateLimit {
                s.push("Wait for the rate limit window to reset before re-running".to_owned());
            }
            s.push(rerun);
            s
        }
        Action::RetryWithDebug => vec![format!(
            "Re-run the failed jobs with debug logging: `gh run rerun {run} --failed --debug`"
        )],
        Action::ResetCacheAndRetry => {
            let mut s: Vec<String> = d
                .cache_keys
                .iter()
                .map(|k| format!("Delete the cache `{k}`: `gh cache delete '{k}'`"))
                .collect();
            if s.is_empty() {
                s.push("Delete the caches this job restored: `gh cache list`, then `gh cache delete <key>`".to_owned());
            }
            s.push(rerun);
            s
        }
        Action::ManualFix => {
            if d.remediation.is_empty() {
                let at = d
                    .evidence
                    .first()
                    .map_or_else(String::new, |e| format!(" at line {}", e.line));
                vec![format!("Fix the cause shown in the evidence{at}")]
            } else {
                d.remediation.clone()
            }
        }
        Action::Escalate => vec![format!(
            "Open or update the tracking issue for fingerprint `{}` and assign it to the job's owners",
            d.fingerprint
        )],
    }
}

/// Ranks the recovery options for one diagnosed failure.
pub(crate) fn plan(d: &Diagnosis, policy: &Policy, budgets: &Budgets, ctx: &Context) -> Plan {
    let conf_term = if d.category == Category::Unknown {
        1.0
    } else {
        d.confidence
    };
    let mut options: Vec<RecoveryOption> = Action::ALL
        .into_iter()
        .filter(|a| d.actions.contains(a) && policy.actions.contains(a))
        .filter(|a| !(d.category == Category::Auth && a.reruns()))
        .map(|action| {
            let blocked = blocker(action, d, policy, budgets, ctx);
            RecoveryOption {
                rank: 0,
                action,
                confidence: crate::diagnose::score::round2(
                    suitability(d.category, action) * conf_term,
                ),
                risk: risk(d.category, action),
                allowed: blocked.is_none(),
                blocked,
                reason: reason(action, d, ctx),
                steps: steps(action, d, ctx),
            }
        })
        .collect();
    // Allowed before blocked, then by confidence; `Action::ALL` order (the stable sort) breaks ties.
    options.sort_by(|a, b| {
        b.allowed
            .cmp(&a.allowed)
            .then(b.confidence.total_cmp(&a.confidence))
    });
    for (i, o) in options.iter_mut().enumerate() {
        o.rank = i + 1;
    }
    Plan { options }
}

#[cfg(test)]
mod tests;
