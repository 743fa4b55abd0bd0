//! The labelled corpus format (a public interface, documented in the README).
//!
//! A corpus is a directory with `cases.jsonl`: one JSON object per line, fields
//! `id` (unique), `log` (a path relative to the directory; plain or gzip), `outcome` (`failed` or
//! `passed`), and for failed cases `category` (from the taxonomy, `unknown` allowed),
//! `rerun_likely_passes` (`yes`, `no`, `unsure`), `label_confidence` (`high`, `medium`, `low`) and
//! `evidence` (`[[start, end], …]`, 1-based inclusive line ranges of the raw log split on `\n`).
//! Unknown fields (`source`, …) are kept out of the way.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::taxonomy::Category;

/// What a failed job's re-run would likely do, as labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rerun {
    Yes,
    No,
    Unsure,
}

/// The job's real result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LabelOutcome {
    Failed,
    Passed,
}

/// One line of `cases.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) log: PathBuf,
    pub(crate) outcome: LabelOutcome,
    #[serde(default)]
    pub(crate) category: Option<Category>,
    #[serde(default)]
    pub(crate) rerun_likely_passes: Option<Rerun>,
    #[serde(default)]
    pub(crate) evidence: Vec<(u64, u64)>,
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CorpusError {
    #[error("{}: couldn't read the corpus index", path.display())]
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
    #[error("{}: no cases", .0.display())]
    Empty(PathBuf),
}

/// Reads `DIR/cases.jsonl`, with each case's log path resolved against `DIR`.
pub(crate) fn load(dir: &Path) -> Result<Vec<Case>, CorpusError> {
    let path = dir.join("cases.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| CorpusError::Read {
        path: path.clone(),
        source,
    })?;
    let cases = crate::ndjson::parse(
        &text,
        false,
        |c: &Case| &c.id,
        |case| {
            if case.outcome == LabelOutcome::Failed && case.category.is_none() {
                return Err(format!("failed case `{}` has no category", case.id));
            }
            if let Some((start, end)) = case.evidence.iter().find(|(s, e)| *s == 0 || s > e) {
                return Err(format!(
                    "case `{}`: evidence range [{start}, {end}] is not 1-based and ordered",
                    case.id
                ));
            }
            case.log = dir.join(&case.log);
            Ok(())
        },
    )
    .map_err(|e| CorpusError::Case {
        path: path.clone(),
        line: e.line,
        message: e.message,
    })?;
    if cases.is_empty() {
        return Err(CorpusError::Empty(path));
    }
    Ok(cases)
}
