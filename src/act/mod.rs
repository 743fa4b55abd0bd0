//! Act: carry out on GitHub what the plan allows (cache resets, a re-run, escalation issues, the
//! sticky PR comment), each write at most once.
//!
//! GitHub is the source of truth: before a write, the tool looks for its effect there (the run's
//! attempt number, an issue or comment with its marker, the cache), so a repeated invocation on a
//! fresh runner never duplicates anything. The local [`journal::Journal`] spares a resumed
//! invocation even those reads. A write whose outcome is unknown (a `5xx`, a lost connection) is
//! checked the same way and never resent blindly. `--dry-run` performs the reads and records the
//! writes it would make instead of making them.

pub(crate) mod body;
pub(crate) mod decide;
pub(crate) mod journal;
pub(crate) mod ledger;

use crate::github::models::Issue;
use crate::github::{Client, GithubError};
use crate::report::model::ActionRecord;
use crate::taxonomy::Action;
pub(crate) use decide::{FailedJob, Target, Write, writes};
use journal::Journal;
use ledger::{Ledger, Settled};

/// Pending re-runs looked up per invocation, at most (each is one read).
const MAX_SETTLE: usize = 10;

/// The re-run ledger as read from GitHub, and whether reading it changed it.
#[derive(Debug, Default)]
pub(crate) struct LedgerState {
    pub(crate) ledger: Ledger,
    /// The ledger issue, when there is one.
    pub(crate) issue: Option<u64>,
    pub(crate) changed: bool,
    /// `false` when GitHub could not be read: budgets then count as spent.
    pub(crate) known: bool,
}

/// Reads the ledger and settles its pending re-runs: one of this run (a later attempt is being
/// recovered, so it failed), or of other runs (looked up: a later attempt that passed closes the
/// breaker, one that failed counts towards it).
pub(crate) fn read_ledger(
    client: &mut Client,
    issues: &[Issue],
    run_id: u64,
    attempt: u32,
) -> LedgerState {
    let found = issues
        .iter()
        .find_map(|i| Ledger::parse(i.body.as_deref().unwrap_or_default()).map(|l| (l, i.number)));
    let mut state = LedgerState {
        known: true,
        ..LedgerState::default()
    };
    if let Some((ledger, number)) = found {
        state.ledger = ledger;
        state.issue = Some(number);
    }
    for (fp, run, rerun_of) in state.ledger.pending().into_iter().take(MAX_SETTLE) {
        let how = if run == run_id {
            if attempt > rerun_of {
                Settled::Failed
            } else {
                Settled::Open
            }
        } else {
            match client.run(run) {
                Ok(r) if r.run_attempt > rerun_of && r.status.as_deref() == Some("completed") => {
                    if r.conclusion.as_deref() == Some("success") {
                        Settled::Passed
                    } else {
                        Settled::Failed
                    }
                }
                _ => Settled::Open,
            }
        };
        state.changed |= state.ledger.settle(&fp, how);
    }
    state
}

/// What an escalation needs besides its fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct Escalation {
    pub(crate) title: String,
    /// The rendered diagnosis that opens a new issue.
    pub(crate) head: String,
    pub(crate) hit: body::Hit,
}

/// Carries out writes for one run attempt.
#[derive(Debug)]
pub(crate) struct Actor<'c> {
    client: &'c mut Client,
    target: Target,
    dry_run: bool,
    /// Why writes are off altogether (no token), if they are.
    read_only: Option<String>,
    journal: Journal,
    /// The issues labelled for the tool, as listed once for this invocation.
    issues: Option<Vec<Issue>>,
    /// What could not be done, in words, for the report's `degraded`.
    pub(crate) degraded: Vec<String>,
}

fn record(action: Action, status: &str, detail: impl Into<String>) -> ActionRecord {
    ActionRecord {
        action,
        status: status.to_owned(),
        detail: detail.into(),
    }
}

impl<'c> Actor<'c> {
    pub(crate) fn new(
        client: &'c mut Client,
        target: Target,
        dry_run: bool,
        read_only: Option<String>,
        journal: Journal,
        issues: Option<Vec<Issue>>,
    ) -> Self {
        Self {
            client,
            target,
            dry_run,
            read_only,
            journal,
            issues,
            degraded: Vec::new(),
        }
    }

    /// Whether a write may be sent now; otherwise the record that says why not.
    fn gate(&self, action: Action, what: &str) -> Option<ActionRecord> {
        if self.dry_run {
            return Some(record(action, "planned", format!("dry run: would {what}")));
        }
        self.read_only
            .as_ref()
            .map(|why| record(action, "skipped", format!("{why}: did not {what}")))
    }

    fn failed(&mut self, action: Action, what: &str, e: &GithubError) -> ActionRecord {
        let detail = format!("could not {what}: {e}");
        self.degraded.push(detail.clone());
        record(action, "failed", detail)
    }

    fn journaled(&mut self, key: &str, detail: &str) {
        if let Err(e) = self.journal.record(key, detail) {
            self.degraded
                .push(format!("the journal could not be written: {e}"));
        }
    }

    fn done(&mut self, key: &str, action: Action, detail: String) -> ActionRecord {
        self.journaled(key, &detail);
        record(action, "done", detail)
    }

    /// Carries out one write; `escalation` goes with [`Write::Escalate`].
    pub(crate) fn apply(
        &mut self,
        write: &Write,
        escalation: Option<&Escalation>,
    ) -> Vec<ActionRecord> {
        let key = write.key(&self.target);
        let action = match write {
            Write::ResetCaches { .. } => Action::ResetCacheAndRetry,
            Write::Rerun { debug: true } => Action::RetryWithDebug,
            Write::Rerun { debug: false } => Action::Retry,
            Write::Escalate { .. } => Action::Escalate,
        };
        if self.journal.contains(&key) {
            return vec![record(
                action,
                "skipped",
                format!("already done by an earlier invocation (journal: {key})"),
            )];
        }
        match write {
            Write::Rerun { debug } => vec![self.rerun(&key, action, *debug)],
            Write::ResetCaches { keys, .. } => self.reset_caches(&key, keys),
            Write::Escalate { fingerprint, .. } => match escalation {
                Some(e) => vec![self.escalate(&key, fingerprint, e)],
                None => Vec::new(),
            },
        }
    }

    /// Whether the run already has an attempt after ours (so a re-run happened).
    fn rerun_exists(&mut self) -> Result<Option<u32>, GithubError> {
        let run = self.client.run(self.target.run_id)?;
        Ok((run.run_attempt > self.target.attempt).then_some(run.run_attempt))
    }

    fn rerun(&mut self, key: &str, action: Action, debug: bool) -> ActionRecord {
        let what = format!(
            "re-run the failed jobs of run {}{}",
            self.target.run_id,
            if debug { " with debug logging" } else { "" }
        );
        match self.rerun_exists() {
            Ok(Some(n)) => {
                return self.done(
                    key,
                    action,
                    format!("already re-run: attempt {n} exists; not re-run again"),
                );
            }
            Ok(None) => {}
            Err(e) => return self.failed(action, &what, &e),
        }
        if let Some(r) = self.gate(action, &what) {
            return r;
        }
        match self.client.rerun_failed_jobs(self.target.run_id, debug) {
            Ok(()) => self.done(key, action, format!("requested: {what}")),
            // The request may have applied: look, and never send it twice.
            Err(e @ GithubError::Uncertain { .. }) => match self.rerun_exists() {
                Ok(Some(n)) => self.done(key, action, format!("requested (attempt {n} exists)")),
                _ => self.failed(action, &what, &e),
            },
            Err(e) => self.failed(action, &what, &e),
        }
    }

    fn reset_caches(&mut self, key: &str, keys: &[String]) -> Vec<ActionRecord> {
        let action = Action::ResetCacheAndRetry;
        if keys.is_empty() {
            return vec![record(
                action,
                "skipped",
                "the log names no restored cache key; delete the job's caches by hand (`gh cache list`)",
            )];
        }
        let scope = self.target.cache_ref.clone();
        let mut out = Vec::new();
        for cache_key in keys {
            let what = format!(
                "delete the cache `{cache_key}`{}",
                scope
                    .as_deref()
                    .map(|r| format!(" on {r}"))
                    .unwrap_or_default()
            );
            if let Some(r) = self.gate(action, &what) {
                out.push(r);
                continue;
            }
            // Deleting by key is idempotent: a second call finds nothing (404) and that is fine.
            out.push(
                match self.client.delete_caches(cache_key, scope.as_deref()) {
                    Ok(true) => record(action, "done", format!("deleted: {what}")),
                    Ok(false) => record(action, "skipped", format!("no cache to delete: {what}")),
                    Err(e) => self.failed(action, &what, &e),
                },
            );
        }
        if out
            .iter()
            .all(|r| r.status == "done" || r.status == "skipped")
        {
            self.journaled(key, "caches reset");
        }
        out
    }

    /// Writes the ledger back (creating its issue the first time).
    pub(crate) fn save_ledger(&mut self, state: &LedgerState, today: &str) -> Option<String> {
        let what = "update the re-run ledger";
        if self.dry_run {
            return Some(format!("dry run: would {what}"));
        }
        if self.read_only.is_some() {
            return None;
        }
        let text = body::fit(&state.ledger.body(today), body::MAX_BODY);
        let result = match state.issue {
            Some(n) => self.client.update_issue(n, &text, false),
            None => self
                .client
                .create_issue(ledger::TITLE, &text, &[body::LABEL])
                .map(drop),
        };
        result.err().map(|e| {
            let note = format!("could not {what}: {e}");
            self.degraded.push(note.clone());
            note
        })
    }

    /// The issue for `fingerprint`, from the listing made once per invocation, or from a new one
    /// when `fresh` (after a write whose outcome is unknown) or when there is none yet.
    fn find_issue(&mut self, fingerprint: &str, fresh: bool) -> Result<Option<Issue>, GithubError> {
        if fresh || self.issues.is_none() {
            self.issues = Some(self.client.issues(body::LABEL)?);
        }
        let marker = body::issue_marker(fingerprint);
        Ok(self
            .issues
            .iter()
            .flatten()
            .find(|i| i.body.as_deref().is_some_and(|b| b.contains(&marker)))
            .cloned())
    }

    fn escalate(&mut self, key: &str, fingerprint: &str, e: &Escalation) -> ActionRecord {
        let action = Action::Escalate;
        let what = format!("escalate fingerprint {fingerprint}");
        let existing = match self.find_issue(fingerprint, false) {
            Ok(found) => found,
            Err(err) => return self.failed(action, &what, &err),
        };
        if let Some(issue) = existing {
            let reopen = issue.state == "closed";
            let Some(updated) = body::add_hit(issue.body.as_deref().unwrap_or_default(), &e.hit)
            else {
                return self.done(
                    key,
                    action,
                    format!("issue #{} already counts this run attempt", issue.number),
                );
            };
            let what = format!(
                "{} issue #{} with this occurrence",
                if reopen {
                    "reopen and update"
                } else {
                    "update"
                },
                issue.number
            );
            if let Some(r) = self.gate(action, &what) {
                return r;
            }
            return match self.client.update_issue(issue.number, &updated, reopen) {
                Ok(()) => self.done(key, action, format!("done: {what}")),
                Err(err) => self.failed(action, &what, &err),
            };
        }
        let what = format!("open an issue for fingerprint {fingerprint}");
        if let Some(r) = self.gate(action, &what) {
            return r;
        }
        let text = body::new_issue(fingerprint, &e.head, &e.hit);
        match self.client.create_issue(&e.title, &text, &[body::LABEL]) {
            Ok(issue) => self.done(key, action, format!("opened issue #{}", issue.number)),
            Err(err @ GithubError::Uncertain { .. }) => match self.find_issue(fingerprint, true) {
                Ok(Some(issue)) => {
                    self.done(key, action, format!("opened issue #{}", issue.number))
                }
                _ => self.failed(action, &what, &err),
            },
            Err(err) => self.failed(action, &what, &err),
        }
    }

    fn find_comment(
        &mut self,
        pr: u64,
    ) -> Result<Option<crate::github::models::Comment>, GithubError> {
        Ok(self.client.comments(pr)?.into_iter().find(|c| {
            c.body
                .as_deref()
                .is_some_and(|b| b.starts_with(body::COMMENT_MARKER))
        }))
    }

    /// Creates or edits the one sticky comment on the PR; returns what happened, in words.
    pub(crate) fn upsert_comment(&mut self, markdown: &str) -> Option<String> {
        let pr = self.target.pr?;
        let text = body::comment(markdown);
        let what = format!("write the recovery-agent comment on #{pr}");
        let existing = match self.find_comment(pr) {
            Ok(found) => found,
            Err(e) => {
                self.degraded.push(format!("could not {what}: {e}"));
                return Some(format!("failed: {e}"));
            }
        };
        if let Some(c) = &existing
            && c.body.as_deref() == Some(text.as_str())
        {
            return Some(format!("comment {} unchanged", c.id));
        }
        if self.dry_run {
            return Some(format!("dry run: would {what}"));
        }
        if let Some(why) = &self.read_only {
            self.degraded.push(format!("{why}: did not {what}"));
            return Some(format!("skipped: {why}"));
        }
        let result = match existing {
            Some(c) => self
                .client
                .update_comment(c.id, &text)
                .map(|()| format!("updated comment {}", c.id)),
            None => match self.client.create_comment(pr, &text) {
                Ok(c) => Ok(format!("created comment {}", c.id)),
                Err(e @ GithubError::Uncertain { .. }) => match self.find_comment(pr) {
                    Ok(Some(c)) => Ok(format!("created comment {}", c.id)),
                    _ => Err(e),
                },
                Err(e) => Err(e),
            },
        };
        Some(result.unwrap_or_else(|e| {
            self.degraded.push(format!("could not {what}: {e}"));
            format!("failed: {e}")
        }))
    }
}
