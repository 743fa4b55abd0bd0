//! The budgets' memory during a replay: what the replay itself has spent, per commit, per
//! fingerprint and day, and each fingerprint's run of failed re-runs (the circuit breaker).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::scenario::Case;
use crate::plan::Context;

/// The counters one case's plan is made against, and what they became after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Counters {
    pub(crate) reruns_for_commit: u32,
    pub(crate) reruns_for_fingerprint_today: u32,
    pub(crate) failed_reruns_for_fingerprint: u32,
}

/// Spending so far. Every counter is the case's own `history` plus what the replay spent.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    per_commit: BTreeMap<String, u32>,
    per_fingerprint_day: BTreeMap<(String, String), u32>,
    /// Consecutive failed re-runs per fingerprint; a passing re-run closes the breaker again.
    failed_in_a_row: BTreeMap<String, u32>,
    /// Fingerprints with a passing re-run in the replay: their recorded history no longer counts
    /// towards the breaker.
    breaker_reset: BTreeSet<String>,
}

fn get<K: Ord>(map: &BTreeMap<K, u32>, key: &K) -> u32 {
    map.get(key).copied().unwrap_or(0)
}

impl Ledger {
    /// The counters for `case` whose diagnosis has `fingerprint`.
    pub(crate) fn counters(&self, case: &Case, fingerprint: &str) -> Counters {
        let h = &case.history;
        Counters {
            reruns_for_commit: h.reruns_for_commit + get(&self.per_commit, &case.job.commit),
            reruns_for_fingerprint_today: h.reruns_for_fingerprint_today
                + get(
                    &self.per_fingerprint_day,
                    &(fingerprint.to_owned(), case.day.clone()),
                ),
            failed_reruns_for_fingerprint: if self.breaker_reset.contains(fingerprint) {
                0
            } else {
                h.failed_reruns_for_fingerprint
            } + get(&self.failed_in_a_row, &fingerprint.to_owned()),
        }
    }

    /// The planner's context for `case`.
    pub(crate) fn context(case: &Case, counters: Counters) -> Context {
        Context {
            attempt: case.job.attempt,
            failed_jobs: case.job.failed_jobs,
            reruns_for_commit: counters.reruns_for_commit,
            reruns_for_fingerprint_today: counters.reruns_for_fingerprint_today,
            failed_reruns_for_fingerprint: counters.failed_reruns_for_fingerprint,
            run_id: case.job.run_id,
        }
    }

    /// Spends one automatic re-run of `case`; `passed` is what the re-run did, when known.
    pub(crate) fn spend(&mut self, case: &Case, fingerprint: &str, passed: Option<bool>) {
        *self.per_commit.entry(case.job.commit.clone()).or_insert(0) += 1;
        *self
            .per_fingerprint_day
            .entry((fingerprint.to_owned(), case.day.clone()))
            .or_insert(0) += 1;
        match passed {
            Some(true) => {
                self.failed_in_a_row.insert(fingerprint.to_owned(), 0);
                self.breaker_reset.insert(fingerprint.to_owned());
            }
            Some(false) => {
                *self
                    .failed_in_a_row
                    .entry(fingerprint.to_owned())
                    .or_insert(0) += 1;
            }
            None => {}
        }
    }
}
