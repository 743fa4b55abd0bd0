//! Replay: run recorded jobs through diagnosis and the policy in order, so that budgets, the
//! circuit breaker and back-off can be watched deciding, and the same scenario always decides the
//! same way.
//!
//! Logs are diagnosed in parallel (a diagnosis depends on its log alone); the decisions are then
//! made one case at a time, in scenario order, against a [`ledger::Ledger`] of what the replay has
//! spent. Back-off delays come from one generator seeded with `--seed`, drawn in that order too.

mod ledger;
mod render;
pub(crate) mod scenario;

use std::path::Path;

use serde::Serialize;

pub(crate) use render::{markdown, text};
pub(crate) use scenario::ScenarioError;

use crate::backoff::{Backoff, Rng};
use crate::config::Config;
use crate::diagnose::{Diagnosis, Engine};
use crate::ingest::{self, LogInput};
use crate::plan::{self, Plan, RecoveryOption};
use crate::report::summary::Item;
use crate::taxonomy::{Action, Category};
use ledger::{Counters, Ledger};
use scenario::{Case, Conclusion, Rerun};

/// The version of the replay output's format (summary and trace).
pub(crate) const REPLAY_FORMAT: &str = "recovery-agent-replay/1";

/// What became of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Re-run automatically, and the re-run passed.
    AutoRecovered,
    /// Caches reset and re-run automatically, and the re-run passed.
    ResetAndRetried,
    /// Re-run automatically (with or without a cache reset), and it failed again.
    RetryFailed,
    /// Re-run automatically; the scenario does not say how the re-run went.
    Retried,
    /// A re-run would have been allowed by category and confidence, but a budget stopped it.
    BudgetExhausted,
    /// Handed to a developer to fix.
    ManualFix,
    /// Handed to a human as an issue.
    Escalated,
    /// The job passed; nothing to do.
    Passed,
    /// The log could not be read.
    Unreadable,
}

impl Outcome {
    pub(crate) const ALL: [Self; 9] = [
        Self::AutoRecovered,
        Self::ResetAndRetried,
        Self::RetryFailed,
        Self::Retried,
        Self::BudgetExhausted,
        Self::ManualFix,
        Self::Escalated,
        Self::Passed,
        Self::Unreadable,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::AutoRecovered => "auto_recovered",
            Self::ResetAndRetried => "reset_and_retried",
            Self::RetryFailed => "retry_failed",
            Self::Retried => "retried",
            Self::BudgetExhausted => "budget_exhausted",
            Self::ManualFix => "manual_fix",
            Self::Escalated => "escalated",
            Self::Passed => "passed",
            Self::Unreadable => "unreadable",
        }
    }
}

/// One recovery option as the trace shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OptionTrace {
    pub(crate) action: Action,
    pub(crate) confidence: f64,
    pub(crate) allowed: bool,
    pub(crate) blocked_by: Option<&'static str>,
}

/// The decision for one case, and the policy rule that made it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Decision {
    pub(crate) action: Option<Action>,
    /// Whether the agent acts by itself (an allowed re-run) rather than handing the job to a human.
    pub(crate) automatic: bool,
    /// The rule that decided: `policy.retryable` (or `policy.resettable`) for an allowed re-run, the
    /// blocking rule when a re-run was stopped, `rule.actions` when the diagnosing rule permits no
    /// re-run, `plan.ranking` when the plan simply ranked a human first.
    pub(crate) rule: String,
    pub(crate) reason: String,
}

/// One line of the trace: everything that went into a case's decision, and what it left behind.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TraceLine {
    pub(crate) case: String,
    pub(crate) job: String,
    pub(crate) attempt: u32,
    pub(crate) conclusion: Conclusion,
    pub(crate) category: Option<Category>,
    pub(crate) rule_id: Option<String>,
    pub(crate) confidence: Option<f64>,
    pub(crate) fingerprint: Option<String>,
    /// The budget counters the plan was made against.
    pub(crate) before: Option<Counters>,
    pub(crate) options: Vec<OptionTrace>,
    pub(crate) decision: Decision,
    /// The back-off before the automatic re-run, drawn from the seeded generator.
    pub(crate) delay_seconds: Option<u64>,
    /// What the re-run did, as recorded in the scenario.
    pub(crate) rerun: Option<Rerun>,
    pub(crate) outcome: Outcome,
    /// The counters after the decision (after charging the re-run, if one ran).
    pub(crate) after: Option<Counters>,
    pub(crate) error: Option<String>,
}

/// Counts per outcome, in [`Outcome::ALL`] order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OutcomeCount {
    pub(crate) outcome: Outcome,
    pub(crate) count: usize,
}

/// The replay's summary: what was replayed with what, and how it came out. No timings, so the
/// same scenario and configuration give the same bytes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReplayReport {
    pub(crate) format: &'static str,
    pub(crate) tool_version: &'static str,
    pub(crate) scenario: String,
    pub(crate) scenario_digest: String,
    pub(crate) config_digest: String,
    pub(crate) rules_digest: String,
    pub(crate) policy_version: u32,
    pub(crate) seed: u64,
    pub(crate) cases: usize,
    pub(crate) outcomes: Vec<OutcomeCount>,
    /// Automatic re-runs the replay performed.
    pub(crate) reruns: usize,
    pub(crate) delay_seconds_total: u64,
    #[serde(skip)]
    pub(crate) trace: Vec<TraceLine>,
    #[serde(skip)]
    pub(crate) items: Vec<Item>,
}

/// Inputs that stay the same for a whole replay.
pub(crate) struct Replay<'a> {
    pub(crate) engine: &'a Engine<'a>,
    pub(crate) config: &'a Config,
    pub(crate) rules_digest: &'a str,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
}

/// Back-off per category: a rate limit needs its window to pass; anything else a short pause.
fn backoff(category: Category) -> Backoff {
    match category {
        Category::RateLimit => Backoff { base: 60, cap: 900 },
        _ => Backoff { base: 10, cap: 300 },
    }
}

fn diagnose(engine: &Engine<'_>, case: &Case) -> Result<Diagnosis, String> {
    let input = match (&case.log, &case.log_text) {
        (Some(path), _) => ingest::open_one(path).map_err(|e| crate::error_chain(&e))?,
        (None, text) => LogInput::from_bytes(
            &case.id,
            &format!("{} (inline)", case.id),
            text.clone().unwrap_or_default().into_bytes(),
        ),
    };
    engine
        .diagnose(input)
        .map(|(_, d)| d)
        .map_err(|e| crate::error_chain(&e))
}

/// Budget rules: when one of these blocks a re-run, the outcome is `budget_exhausted`.
fn is_budget(rule: &str) -> bool {
    rule.starts_with("budgets.") || rule.ends_with("_max_attempt")
}

fn first_blocked_rerun(plan: &Plan) -> Option<&RecoveryOption> {
    plan.options
        .iter()
        .find(|o| o.action.reruns() && o.blocked.is_some())
}

/// Decides one failed case: the plan's recommendation, and what became of it.
fn decide(plan: &Plan, d: &Diagnosis) -> (Decision, Outcome) {
    let Some(top) = plan.recommended() else {
        let decision = Decision {
            action: None,
            automatic: false,
            rule: "policy.actions".to_owned(),
            reason: "the policy permits no action for this failure".to_owned(),
        };
        return (decision, Outcome::Escalated);
    };
    if top.allowed && top.action.reruns() {
        let rule = if top.action == Action::ResetCacheAndRetry {
            "policy.resettable"
        } else {
            "policy.retryable"
        };
        let decision = Decision {
            action: Some(top.action),
            automatic: true,
            rule: rule.to_owned(),
            reason: top.reason.clone(),
        };
        return (decision, Outcome::Retried);
    }
    let blocked = first_blocked_rerun(plan).and_then(|o| o.blocked.as_ref());
    let (rule, reason) = match (blocked, &d.rule) {
        (Some(b), _) => (b.rule.to_owned(), b.reason.clone()),
        (None, _) if d.category == Category::Auth => (
            "policy.never_retry_auth".to_owned(),
            "authentication failures are never re-run automatically".to_owned(),
        ),
        (None, Some(r)) if !d.actions.iter().any(|a| a.reruns()) => (
            "rule.actions".to_owned(),
            format!("rule `{}` permits no re-run: {}", r.id, top.reason),
        ),
        (None, _) => ("plan.ranking".to_owned(), top.reason.clone()),
    };
    let outcome = match (blocked, top.action) {
        (Some(b), _) if is_budget(b.rule) => Outcome::BudgetExhausted,
        (_, Action::ManualFix) => Outcome::ManualFix,
        _ => Outcome::Escalated,
    };
    let decision = Decision {
        action: Some(top.action),
        automatic: false,
        rule,
        reason,
    };
    (decision, outcome)
}

/// What a finished re-run turns a `retried` outcome into.
fn settle(action: Action, rerun: Option<Rerun>) -> Outcome {
    match (rerun, action) {
        (None, _) => Outcome::Retried,
        (Some(Rerun::Failed), _) => Outcome::RetryFailed,
        (Some(Rerun::Passed), Action::ResetCacheAndRetry) => Outcome::ResetAndRetried,
        (Some(Rerun::Passed), _) => Outcome::AutoRecovered,
    }
}

fn passed_line(case: &Case) -> TraceLine {
    TraceLine {
        case: case.id.clone(),
        job: case.job.name.clone(),
        attempt: case.job.attempt,
        conclusion: case.job.conclusion,
        category: None,
        rule_id: None,
        confidence: None,
        fingerprint: None,
        before: None,
        options: Vec::new(),
        decision: Decision {
            action: None,
            automatic: false,
            rule: "job.conclusion".to_owned(),
            reason: "the job passed".to_owned(),
        },
        delay_seconds: None,
        rerun: None,
        outcome: Outcome::Passed,
        after: None,
        error: None,
    }
}

impl Replay<'_> {
    /// Replays `cases` (read from `scenario`, whose SHA-256 is `scenario_digest`).
    pub(crate) fn run(
        &self,
        scenario: &Path,
        scenario_digest: &str,
        cases: &[Case],
    ) -> ReplayReport {
        let diagnoses = crate::batch::map(cases.iter().collect(), self.threads, |case: &Case| {
            (case.job.conclusion != Conclusion::Success).then(|| diagnose(self.engine, case))
        });
        let mut ledger = Ledger::default();
        let mut rng = Rng::new(self.seed);
        let mut trace = Vec::with_capacity(cases.len());
        let mut items = Vec::new();
        for (case, diagnosis) in cases.iter().zip(diagnoses) {
            let line = match diagnosis {
                None => passed_line(case),
                Some(Err(error)) => TraceLine {
                    decision: Decision {
                        action: Some(Action::Escalate),
                        automatic: false,
                        rule: "ingest".to_owned(),
                        reason: "the log could not be read; a human must look".to_owned(),
                    },
                    outcome: Outcome::Unreadable,
                    error: Some(error),
                    ..passed_line(case)
                },
                Some(Ok(d)) => {
                    let line = self.step(&mut ledger, &mut rng, case, &d);
                    items.push(Item {
                        id: case.id.clone(),
                        category: d.category,
                        rule_id: d.rule.as_ref().map(|r| r.id.clone()),
                        title: d.rule.as_ref().map(|r| r.title.clone()),
                        fingerprint: d.fingerprint.clone(),
                        action: line.decision.action,
                        outcome: line.outcome.as_str().to_owned(),
                        remediation: d.remediation.clone(),
                    });
                    line
                }
            };
            trace.push(line);
        }
        let outcomes = Outcome::ALL
            .into_iter()
            .map(|outcome| OutcomeCount {
                outcome,
                count: trace.iter().filter(|t| t.outcome == outcome).count(),
            })
            .collect();
        ReplayReport {
            format: REPLAY_FORMAT,
            tool_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.display().to_string(),
            scenario_digest: format!("sha256:{scenario_digest}"),
            config_digest: format!("sha256:{}", self.config.digest()),
            rules_digest: format!("sha256:{}", self.rules_digest),
            policy_version: plan::POLICY_VERSION,
            seed: self.seed,
            cases: cases.len(),
            outcomes,
            reruns: trace.iter().filter(|t| t.decision.automatic).count(),
            delay_seconds_total: trace.iter().filter_map(|t| t.delay_seconds).sum(),
            trace,
            items,
        }
    }

    /// Plans and decides one diagnosed case, charging the ledger when it re-runs.
    fn step(&self, ledger: &mut Ledger, rng: &mut Rng, case: &Case, d: &Diagnosis) -> TraceLine {
        let before = ledger.counters(case, &d.fingerprint);
        let plan = plan::plan(
            d,
            &self.config.policy,
            &self.config.budgets,
            &Ledger::context(case, before),
        );
        let (decision, mut outcome) = decide(&plan, d);
        let mut delay_seconds = None;
        let mut rerun = None;
        if let (true, Some(action)) = (decision.automatic, decision.action) {
            // Later re-runs of the same failure back off further than the first.
            let retry = case
                .job
                .attempt
                .max(before.reruns_for_fingerprint_today + 1);
            delay_seconds = Some(backoff(d.category).delay(retry, rng));
            rerun = case.rerun;
            ledger.spend(case, &d.fingerprint, rerun.map(|r| r == Rerun::Passed));
            outcome = settle(action, rerun);
        }
        TraceLine {
            category: Some(d.category),
            rule_id: d.rule.as_ref().map(|r| r.id.clone()),
            confidence: Some(d.confidence),
            fingerprint: Some(d.fingerprint.clone()),
            before: Some(before),
            options: plan
                .options
                .iter()
                .map(|o| OptionTrace {
                    action: o.action,
                    confidence: o.confidence,
                    allowed: o.allowed,
                    blocked_by: o.blocked.as_ref().map(|b| b.rule),
                })
                .collect(),
            decision,
            delay_seconds,
            rerun,
            outcome,
            after: Some(ledger.counters(case, &d.fingerprint)),
            ..passed_line(case)
        }
    }
}
