//! The local journal of completed writes: a crashed or repeated invocation skips what is in it.
//! One JSON line per write, appended and flushed as soon as the write is done. GitHub stays the
//! source of truth (a fresh runner has no journal); the journal saves the calls that find out.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: String,
    detail: String,
}

/// The journal file and the keys it holds.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    path: Option<PathBuf>,
    done: BTreeSet<String>,
}

impl Journal {
    /// Opens `path` (a missing file is an empty journal; unreadable lines are ignored).
    pub(crate) fn open(path: Option<&Path>) -> Self {
        let done = path
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
                    .map(|e| e.key)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            path: path.map(Path::to_path_buf),
            done,
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.done.contains(key)
    }

    /// Records a completed write. A journal that cannot be written is reported, not fatal.
    pub(crate) fn record(&mut self, key: &str, detail: &str) -> Result<(), String> {
        self.done.insert(key.to_owned());
        let Some(path) = &self.path else {
            return Ok(());
        };
        let line = serde_json::to_string(&Entry {
            key: key.to_owned(),
            detail: detail.to_owned(),
        })
        .map_err(|e| e.to_string())?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(file, "{line}")
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = super::Journal::open(Some(&path));
        assert!(!j.contains("rerun:1:1"));
        j.record("rerun:1:1", "re-ran").unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"{truncated"))
            .unwrap();
        let again = super::Journal::open(Some(&path));
        assert!(again.contains("rerun:1:1"));
        assert!(!again.contains("rerun:1:2"));
    }
}
