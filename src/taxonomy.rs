//! The closed vocabularies every stage shares: root-cause categories and recovery actions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A root-cause category from `taxonomy.md`. The list is closed: adding one bumps the report schema.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Category {
    Network,
    RateLimit,
    Auth,
    DependencyResolution,
    Compilation,
    TestFailure,
    Lint,
    Configuration,
    ResourceExhaustion,
    Timeout,
    Infrastructure,
    Cache,
    Unknown,
}

impl Category {
    pub(crate) const ALL: [Self; 13] = [
        Self::Network,
        Self::RateLimit,
        Self::Auth,
        Self::DependencyResolution,
        Self::Compilation,
        Self::TestFailure,
        Self::Lint,
        Self::Configuration,
        Self::ResourceExhaustion,
        Self::Timeout,
        Self::Infrastructure,
        Self::Cache,
        Self::Unknown,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::RateLimit => "rate_limit",
            Self::Auth => "auth",
            Self::DependencyResolution => "dependency_resolution",
            Self::Compilation => "compilation",
            Self::TestFailure => "test_failure",
            Self::Lint => "lint",
            Self::Configuration => "configuration",
            Self::ResourceExhaustion => "resource_exhaustion",
            Self::Timeout => "timeout",
            Self::Infrastructure => "infrastructure",
            Self::Cache => "cache",
            Self::Unknown => "unknown",
        }
    }

    /// A name of at most five characters, for table columns.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Self::Network => "net",
            Self::RateLimit => "rate",
            Self::Auth => "auth",
            Self::DependencyResolution => "deps",
            Self::Compilation => "comp",
            Self::TestFailure => "test",
            Self::Lint => "lint",
            Self::Configuration => "conf",
            Self::ResourceExhaustion => "rsrc",
            Self::Timeout => "time",
            Self::Infrastructure => "infra",
            Self::Cache => "cache",
            Self::Unknown => "unkn",
        }
    }

    /// The recovery actions a cause of this category permits when its rule does not say.
    pub(crate) fn default_actions(self) -> &'static [Action] {
        use Action::{Escalate, ManualFix, ResetCacheAndRetry, Retry, RetryWithDebug};
        match self {
            Self::Network | Self::RateLimit | Self::Infrastructure | Self::Timeout => {
                &[Retry, RetryWithDebug, Escalate]
            }
            Self::Cache => &[ResetCacheAndRetry, Escalate],
            Self::ResourceExhaustion => &[Retry, ManualFix, Escalate],
            Self::TestFailure => &[ManualFix, Retry, Escalate],
            Self::Auth
            | Self::DependencyResolution
            | Self::Compilation
            | Self::Lint
            | Self::Configuration => &[ManualFix, Escalate],
            Self::Unknown => &[Escalate, RetryWithDebug],
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recovery action a plan can recommend.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    /// Re-run the failed jobs unchanged.
    Retry,
    /// Re-run the failed jobs with runner and step debug logging (an altered strategy).
    RetryWithDebug,
    /// Delete the caches the diagnosis names, then re-run (a state reset).
    ResetCacheAndRetry,
    /// Hand the fix to a developer: the plan's steps say what to change.
    ManualFix,
    /// Hand the failure to a human as a deduplicated issue.
    Escalate,
}

impl Action {
    pub(crate) const ALL: [Self; 5] = [
        Self::Retry,
        Self::RetryWithDebug,
        Self::ResetCacheAndRetry,
        Self::ManualFix,
        Self::Escalate,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::RetryWithDebug => "retry_with_debug",
            Self::ResetCacheAndRetry => "reset_cache_and_retry",
            Self::ManualFix => "manual_fix",
            Self::Escalate => "escalate",
        }
    }

    /// Whether the action re-runs jobs (and so spends the re-run budgets).
    pub(crate) fn reruns(self) -> bool {
        matches!(
            self,
            Self::Retry | Self::RetryWithDebug | Self::ResetCacheAndRetry
        )
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for c in Category::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }

    #[test]
    fn auth_never_permits_a_rerun_by_default() {
        assert!(!Category::Auth.default_actions().iter().any(|a| a.reruns()));
    }
}
