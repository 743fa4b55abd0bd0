//! The replay scenario format: NDJSON, one recorded failed (or passed) job per line, in time order.
//!
//! ```json
//! {"id": "storm-01",
//!  "log": "../logs/network-docker-buildkit-layer-fetch-failed.log",
//!  "job": {"name": "build", "run_id": 1001, "attempt": 1, "conclusion": "failure",
//!          "commit": "3f2a9c1", "failed_jobs": 1},
//!  "day": "2026-11-20",
//!  "history": {"reruns_for_commit": 0, "reruns_for_fingerprint_today": 0,
//!              "failed_reruns_for_fingerprint": 0},
//!  "rerun": "failed"}
//! ```
//!
//! `log` is a path relative to the scenario file (plain or gzip); `log_text` gives the log inline
//! instead. `job.conclusion` is GitHub's (`failure`, `success`, `cancelled`, `timed_out`); a
//! `success` needs nothing. `history` is what happened before the scenario starts (the replay adds
//! its own re-runs to it). `rerun` records what a re-run of this job did (`passed` or `failed`), when
//! the recording knows. Lines starting with `#`, and blank lines, are skipped.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A job as the CI service reported it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Job {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) run_id: Option<u64>,
    #[serde(default = "one")]
    pub(crate) attempt: u32,
    pub(crate) conclusion: Conclusion,
    #[serde(default)]
    pub(crate) commit: String,
    /// Jobs of the same run that failed with it (the outage guard counts them).
    #[serde(default = "one")]
    pub(crate) failed_jobs: u32,
}

/// How GitHub says the job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Conclusion {
    Success,
    Failure,
    Cancelled,
    TimedOut,
}

fn one() -> u32 {
    1
}

/// What happened before the scenario starts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct History {
    pub(crate) reruns_for_commit: u32,
    pub(crate) reruns_for_fingerprint_today: u32,
    pub(crate) failed_reruns_for_fingerprint: u32,
}

/// What a re-run of the job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rerun {
    Passed,
    Failed,
}

/// One line of a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) log: Option<PathBuf>,
    #[serde(default)]
    pub(crate) log_text: Option<String>,
    pub(crate) job: Job,
    #[serde(default)]
    pub(crate) day: String,
    #[serde(default)]
    pub(crate) history: History,
    #[serde(default)]
    pub(crate) rerun: Option<Rerun>,
}

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScenarioError {
    #[error("{}: couldn't read the scenario", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Case {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Reads a scenario; log paths are resolved against the scenario's directory. Returns the cases and
/// the SHA-256 of the file.
pub(crate) fn load(path: &Path) -> Result<(Vec<Case>, String), ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cases = crate::ndjson::parse(
        &text,
        true,
        |c: &Case| &c.id,
        |case| {
            match (&case.log, &case.log_text) {
                (Some(_), Some(_)) => {
                    return Err(format!("case `{}` has both `log` and `log_text`", case.id));
                }
                (None, None) => {
                    return Err(format!(
                        "case `{}` has neither `log` nor `log_text`",
                        case.id
                    ));
                }
                _ => {}
            }
            case.log = case.log.take().map(|l| base.join(l));
            Ok(())
        },
    )
    .map_err(|e| ScenarioError::Case {
        path: path.to_path_buf(),
        line: e.line,
        message: e.message,
    })?;
    Ok((cases, crate::digest::sha256_hex(&bytes)))
}
