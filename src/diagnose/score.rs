//! Confidence: a documented formula over the evidence, so a number in a report can be explained.
//!
//! ```text
//! score(hit)  = strength × placement                  how much one rule's best hit says
//! support     = min(0.10, 0.05 × k)                   k = other rules of the same category hitting a failed step
//! margin      = 1 − 0.5 × (rival / primary)²          rival = best score of any other category
//! outcome     = 1.0 failed · 0.75 unknown · 0.15 passed   (a passing job makes any cause doubtful)
//! confidence  = min(1, score(primary) + support) × margin × outcome      rounded to 2 decimals
//! ```
//!
//! `strength` is the rule's own `confidence`. `placement` says where the hit sits:
//!
//! | where | placement |
//! |---|---|
//! | in the first step that reported its own failure | 1.00 |
//! | in a later failed step | 0.90 |
//! | in an earlier step that did not fail (or before any step) | 0.60 |
//! | after the first failed step, in a step that did not fail (cleanup) | 0.50 |
//! | no step reported failure: by position, later is likelier | 0.70 + 0.30 × line / lines |

use serde::Serialize;

use crate::ingest::{JobLog, Outcome};

/// The terms of the confidence formula, kept in the report so a reader can check the arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Factors {
    pub(crate) strength: f64,
    pub(crate) placement: f64,
    pub(crate) support: f64,
    pub(crate) margin: f64,
    pub(crate) outcome: f64,
}

impl Factors {
    pub(crate) fn confidence(&self) -> f64 {
        round2(
            ((self.strength * self.placement + self.support).min(1.0) * self.margin * self.outcome)
                .clamp(0.0, 1.0),
        )
    }
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// How much a hit's position says it is the cause (see the table above).
pub(crate) fn placement(line: u64, step: Option<usize>, job: &JobLog) -> f64 {
    let Some(first_failed) = job.first_failed_step() else {
        let lines = job.lines.max(1) as f64;
        return 0.7 + 0.3 * (line as f64 / lines).min(1.0);
    };
    match step {
        Some(s) if s == first_failed => 1.0,
        Some(s) if job.steps.get(s).is_some_and(|st| st.failed) => 0.9,
        Some(s) if s > first_failed => 0.5,
        _ => 0.6,
    }
}

pub(crate) fn support(other_rules_in_failed_steps: usize) -> f64 {
    (0.05 * other_rules_in_failed_steps as f64).min(0.10)
}

pub(crate) fn margin(primary: f64, rival: f64) -> f64 {
    if primary <= 0.0 {
        return 1.0;
    }
    let ratio = (rival / primary).min(1.0);
    1.0 - 0.5 * ratio * ratio
}

pub(crate) fn outcome(outcome: Outcome) -> f64 {
    match outcome {
        Outcome::Failed => 1.0,
        Outcome::Unknown => 0.75,
        Outcome::Passed => 0.15,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{LogFormat, Step};

    fn job(failed: &[bool]) -> JobLog {
        JobLog {
            name: "j".to_owned(),
            origin: "j".to_owned(),
            format: LogFormat::GithubActions,
            lines: 100,
            bytes: 0,
            cut_lines: 0,
            outcome: Outcome::Failed,
            outcome_line: None,
            steps: failed
                .iter()
                .enumerate()
                .map(|(i, &f)| Step {
                    name: format!("s{i}"),
                    start_line: 1,
                    end_line: 1,
                    failed: f,
                    command: None,
                })
                .collect(),
            incomplete: None,
        }
    }

    #[test]
    fn placement_follows_the_table() {
        let j = job(&[false, true, false, true]);
        assert_eq!(placement(1, Some(1), &j), 1.0);
        assert_eq!(placement(1, Some(3), &j), 0.9);
        assert_eq!(placement(1, Some(0), &j), 0.6);
        assert_eq!(placement(1, None, &j), 0.6);
        assert_eq!(placement(1, Some(2), &j), 0.5);
        let plain = job(&[]);
        assert_eq!(placement(100, None, &plain), 1.0);
        assert_eq!(placement(0, None, &plain), 0.7);
    }

    #[test]
    fn confidence_combines_the_factors() {
        let f = Factors {
            strength: 0.9,
            placement: 1.0,
            support: 0.05,
            margin: margin(0.9, 0.45),
            outcome: 1.0,
        };
        assert_eq!(f.margin, 0.875);
        assert_eq!(f.confidence(), 0.83);
        let passed = Factors {
            outcome: outcome(Outcome::Passed),
            ..f
        };
        assert_eq!(passed.confidence(), 0.12);
        assert_eq!(support(5), 0.10);
        assert_eq!(margin(0.5, 0.9), 0.5);
    }
}
