//! GitHub's responses, read leniently: only the fields we use, every one optional or defaulted, so a
//! new enum value or a missing field on real data does not fail the run.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PullRef {
    pub(crate) number: u64,
}

/// `GET /repos/{o}/{r}/actions/runs/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Run {
    pub(crate) id: u64,
    pub(crate) run_attempt: u32,
    pub(crate) head_sha: String,
    pub(crate) head_branch: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) conclusion: Option<String>,
    pub(crate) html_url: String,
    pub(crate) event: String,
    /// Empty for pull requests from forks: look the PR up by head SHA.
    pub(crate) pull_requests: Vec<PullRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RunsPage {
    pub(crate) workflow_runs: Vec<Run>,
}

/// A job of a run attempt.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) status: Option<String>,
    pub(crate) conclusion: Option<String>,
    pub(crate) html_url: Option<String>,
}

impl Job {
    /// Whether the job failed in a way worth diagnosing.
    pub(crate) fn failed(&self) -> bool {
        matches!(
            self.conclusion.as_deref(),
            Some("failure" | "timed_out" | "startup_failure")
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JobsPage {
    pub(crate) jobs: Vec<Job>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Head {
    pub(crate) sha: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Pull {
    pub(crate) number: u64,
    pub(crate) state: String,
    pub(crate) head: Head,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Comment {
    pub(crate) id: u64,
    pub(crate) body: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Issue {
    pub(crate) number: u64,
    pub(crate) state: String,
    pub(crate) title: String,
    pub(crate) body: Option<String>,
    /// Present when the "issue" is a pull request (the issues list includes them).
    pub(crate) pull_request: Option<serde_json::Value>,
}
