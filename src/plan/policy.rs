//! The recovery policy: which actions may run automatically, and the budgets that stop loops.

use serde::{Deserialize, Serialize};

use crate::taxonomy::{Action, Category};

/// Version of the policy semantics (how the fields below are applied). Reports carry it.
pub(crate) const POLICY_VERSION: u32 = 1;

/// `[policy]` in `.github/recovery-agent.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Policy {
    /// Below this diagnosis confidence nothing runs automatically.
    pub(crate) min_confidence: f64,
    /// Automatic `retry` and `reset_cache_and_retry` only while the run attempt is at most this.
    pub(crate) auto_retry_max_attempt: u32,
    /// Automatic `retry_with_debug` only while the run attempt is at most this.
    pub(crate) debug_retry_max_attempt: u32,
    /// Categories whose failures may be re-run automatically (`auth` never may).
    pub(crate) retryable: Vec<Category>,
    /// Categories whose failures may have their caches reset and re-run automatically.
    pub(crate) resettable: Vec<Category>,
    /// Actions a plan may offer at all.
    pub(crate) actions: Vec<Action>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            auto_retry_max_attempt: 1,
            debug_retry_max_attempt: 2,
            retryable: vec![
                Category::Network,
                Category::RateLimit,
                Category::Infrastructure,
                Category::Timeout,
            ],
            resettable: vec![Category::Cache],
            actions: Action::ALL.to_vec(),
        }
    }
}

/// `[budgets]`: caps that hold across attempts, commits and days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Budgets {
    /// Automatic re-runs allowed for one commit, across its runs.
    pub(crate) max_reruns_per_commit: u32,
    /// Automatic re-runs allowed for one fingerprint per day, across the repository.
    pub(crate) max_reruns_per_fingerprint_per_day: u32,
    /// More failing jobs than this in one run looks like an outage: no automatic re-run.
    pub(crate) outage_failed_jobs: u32,
    /// GitHub refuses re-runs past this many per run.
    pub(crate) github_rerun_limit: u32,
    /// After this many consecutive failed re-runs of one fingerprint the circuit breaker opens: no
    /// more automatic re-runs for it until one passes.
    pub(crate) breaker_failures: u32,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            max_reruns_per_commit: 3,
            max_reruns_per_fingerprint_per_day: 5,
            outage_failed_jobs: 5,
            github_rerun_limit: 50,
            breaker_failures: 3,
        }
    }
}

impl Policy {
    /// Checks the policy for settings that would break its guarantees.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(format!(
                "policy.min_confidence {} is outside [0, 1]",
                self.min_confidence
            ));
        }
        for (field, list) in [
            ("retryable", &self.retryable),
            ("resettable", &self.resettable),
        ] {
            if list.contains(&Category::Auth) {
                return Err(format!(
                    "policy.{field} lists `auth`: authentication failures are never re-run automatically"
                ));
            }
            if list.contains(&Category::Unknown) {
                return Err(format!(
                    "policy.{field} lists `unknown`: an unexplained failure is never re-run automatically"
                ));
            }
        }
        Ok(())
    }
}
