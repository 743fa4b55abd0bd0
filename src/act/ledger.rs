//! The re-run ledger: automatic re-runs per fingerprint per day, and each fingerprint's failed
//! re-runs in a row (the circuit breaker), kept on GitHub in one issue so that every run, on any
//! runner, sees what the others spent.
//!
//! The issue carries the label `recovery-agent` and the marker `<!-- recovery-agent:ledger -->`; its
//! body shows a table for people and keeps the data as JSON inside an HTML comment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// First line of the ledger issue's body.
pub(crate) const MARKER: &str = "<!-- recovery-agent:ledger -->";
pub(crate) const TITLE: &str = "recovery-agent: automatic re-run ledger";
const DATA_OPEN: &str = "<!-- recovery-agent:ledger-data\n";
const DATA_CLOSE: &str = "\n-->";
/// Fingerprints kept (the least recently re-run are dropped first).
const MAX_ENTRIES: usize = 200;

/// One fingerprint's spending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Entry {
    /// The day `reruns` counts (`YYYY-MM-DD`, UTC).
    pub(crate) day: String,
    pub(crate) reruns: u32,
    pub(crate) failed_in_a_row: u32,
    /// The re-run requested last and not yet seen to pass or fail: run id and the attempt re-run.
    pub(crate) pending: Option<(u64, u32)>,
}

/// Every fingerprint's entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Ledger {
    pub(crate) entries: BTreeMap<String, Entry>,
}

/// What a later look at a pending re-run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    Passed,
    Failed,
    /// Still running, or unknown: stays pending.
    Open,
}

impl Ledger {
    /// Reads the data block of a ledger issue's body (`None` when the body is not a ledger).
    pub(crate) fn parse(body: &str) -> Option<Self> {
        if !body.starts_with(MARKER) {
            return None;
        }
        let start = body.find(DATA_OPEN)? + DATA_OPEN.len();
        let end = start + body.get(start..)?.find(DATA_CLOSE)?;
        serde_json::from_str(body.get(start..end)?).ok()
    }

    /// The issue body: a table for people, then the data.
    pub(crate) fn body(&self, today: &str) -> String {
        let mut rows = String::new();
        for (fp, e) in &self.entries {
            let today_count = if e.day == today { e.reruns } else { 0 };
            rows.push_str(&format!(
                "| `{fp}` | {today_count} | {} | {} |\n",
                e.failed_in_a_row,
                e.pending.map_or_else(
                    || "—".to_owned(),
                    |(run, attempt)| format!("run {run}, attempt {attempt}")
                )
            ));
        }
        let data = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        format!(
            "{MARKER}\nrecovery-agent counts its automatic re-runs here, so that its budgets hold across runs \
             and runners. Edit only to reset a budget.\n\n| fingerprint | re-runs on {today} | failed re-runs in a row | awaiting |\n\
             |---|---:|---:|---|\n{rows}\n{DATA_OPEN}{data}{DATA_CLOSE}\n"
        )
    }

    /// `(re-runs today, failed re-runs in a row)` for `fingerprint`.
    pub(crate) fn budget(&self, fingerprint: &str, today: &str) -> (u32, u32) {
        self.entries.get(fingerprint).map_or((0, 0), |e| {
            (if e.day == today { e.reruns } else { 0 }, e.failed_in_a_row)
        })
    }

    /// Fingerprints whose re-run is still pending, with the run and attempt re-run.
    pub(crate) fn pending(&self) -> Vec<(String, u64, u32)> {
        self.entries
            .iter()
            .filter_map(|(fp, e)| e.pending.map(|(run, attempt)| (fp.clone(), run, attempt)))
            .collect()
    }

    /// Records how a pending re-run went: a pass closes the breaker, a failure counts towards it.
    pub(crate) fn settle(&mut self, fingerprint: &str, how: Settled) -> bool {
        let Some(e) = self.entries.get_mut(fingerprint) else {
            return false;
        };
        match how {
            Settled::Open => return false,
            Settled::Passed => e.failed_in_a_row = 0,
            Settled::Failed => e.failed_in_a_row += 1,
        }
        e.pending = None;
        true
    }

    /// Counts an automatic re-run of `fingerprint` (run `run_id`, attempt `attempt` re-run) on
    /// `today`; `false` when this re-run was already counted.
    pub(crate) fn count_rerun(
        &mut self,
        fingerprint: &str,
        run_id: u64,
        attempt: u32,
        today: &str,
    ) -> bool {
        let e = self.entries.entry(fingerprint.to_owned()).or_default();
        if e.pending == Some((run_id, attempt)) {
            return false;
        }
        if e.day != today {
            e.day = today.to_owned();
            e.reruns = 0;
        }
        e.reruns += 1;
        e.pending = Some((run_id, attempt));
        if self.entries.len() > MAX_ENTRIES {
            let oldest = self
                .entries
                .iter()
                .filter(|(fp, _)| fp.as_str() != fingerprint)
                .min_by(|a, b| a.1.day.cmp(&b.1.day))
                .map(|(fp, _)| fp.clone());
            if let Some(fp) = oldest {
                self.entries.remove(&fp);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_round_trips() {
        let mut l = Ledger::default();
        assert!(l.count_rerun("v1:aa", 100, 1, "2026-11-22"));
        assert!(
            !l.count_rerun("v1:aa", 100, 1, "2026-11-22"),
            "counted once"
        );
        let body = l.body("2026-11-22");
        assert!(body.starts_with(MARKER));
        assert!(
            body.contains("| `v1:aa` | 1 | 0 | run 100, attempt 1 |"),
            "{body}"
        );
        assert_eq!(Ledger::parse(&body), Some(l));
        assert_eq!(Ledger::parse("an ordinary issue"), None);
    }

    #[test]
    fn daily_counts_start_again_each_day() {
        let mut l = Ledger::default();
        l.count_rerun("v1:aa", 1, 1, "2026-11-21");
        l.settle("v1:aa", Settled::Failed);
        l.count_rerun("v1:aa", 2, 1, "2026-11-21");
        assert_eq!(l.budget("v1:aa", "2026-11-21"), (2, 1));
        assert_eq!(
            l.budget("v1:aa", "2026-11-22"),
            (0, 1),
            "the breaker outlives the day"
        );
        l.count_rerun("v1:aa", 3, 1, "2026-11-22");
        assert_eq!(l.budget("v1:aa", "2026-11-22"), (1, 1));
        assert_eq!(l.budget("v1:bb", "2026-11-22"), (0, 0));
    }

    #[test]
    fn a_passing_rerun_closes_the_breaker() {
        let mut l = Ledger::default();
        for run in 1..=3 {
            l.count_rerun("v1:aa", run, 1, "d");
            assert_eq!(l.pending(), [("v1:aa".to_owned(), run, 1)]);
            assert!(l.settle("v1:aa", Settled::Failed));
        }
        assert_eq!(l.budget("v1:aa", "d").1, 3);
        l.count_rerun("v1:aa", 4, 1, "d");
        assert!(!l.settle("v1:aa", Settled::Open));
        assert!(l.settle("v1:aa", Settled::Passed));
        assert_eq!(l.budget("v1:aa", "d").1, 0);
        assert!(l.pending().is_empty());
    }
}
