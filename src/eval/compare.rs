//! Gating a change: compare an evaluation with a baseline and recommend promote or reject.

use serde::Serialize;

use super::EvalReport;
use super::metrics::Ratio;
use crate::taxonomy::Category;

/// How much worse a run may be before it is rejected, in percentage points.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerances {
    /// Overall accuracy and hit@1.
    pub(crate) overall: f64,
    /// Any one category's recall.
    pub(crate) category: f64,
}

/// A case whose diagnosis differs between the two runs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Change {
    pub(crate) id: String,
    pub(crate) label: Option<Category>,
    pub(crate) before: Category,
    pub(crate) after: Category,
    /// `fixed`, `broken` or `changed` (wrong before and after, or a passing case).
    pub(crate) effect: &'static str,
}

/// The comparison and its recommendation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Gate {
    /// `promote` or `reject`.
    pub(crate) recommendation: &'static str,
    /// Why it is rejected (empty when promoted).
    pub(crate) reasons: Vec<String>,
    /// What improved or held, for the record.
    pub(crate) notes: Vec<String>,
    pub(crate) changes: Vec<Change>,
}

impl Gate {
    pub(crate) fn rejected(&self) -> bool {
        !self.reasons.is_empty()
    }
}

fn delta(
    name: &str,
    before: Ratio,
    after: Ratio,
    tolerance: f64,
    reasons: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let change = after.percent() - before.percent();
    let line = format!(
        "{name} {:.1}% → {:.1}% ({change:+.1} points)",
        before.percent(),
        after.percent()
    );
    if change < -tolerance {
        reasons.push(format!("{line}: drops by more than {tolerance} points"));
    } else {
        notes.push(line);
    }
}

/// Compares `current` with `baseline`.
pub(crate) fn compare(baseline: &EvalReport, current: &EvalReport, tolerances: Tolerances) -> Gate {
    let (b, c) = (&baseline.metrics, &current.metrics);
    let mut reasons = Vec::new();
    let mut notes = Vec::new();
    delta(
        "accuracy",
        b.accuracy,
        c.accuracy,
        tolerances.overall,
        &mut reasons,
        &mut notes,
    );
    delta(
        "hit@1",
        b.hit_at_1,
        c.hit_at_1,
        tolerances.overall,
        &mut reasons,
        &mut notes,
    );
    for (category, before) in b.categories.iter().filter(|(_, s)| s.support > 0) {
        let after = c.categories.get(category).map_or(0.0, |s| s.recall);
        let change = (after - before.recall) * 100.0;
        if change < -tolerances.category {
            reasons.push(format!(
                "{category} recall {:.1}% → {:.1}% ({change:+.1} points): drops by more than {} points",
                before.recall * 100.0,
                after * 100.0,
                tolerances.category
            ));
        }
    }
    for id in &c.retry_violations {
        reasons.push(format!(
            "retry safety: an automatic re-run is recommended for the authentication failure `{id}`"
        ));
    }
    if c.false_alarms.count > b.false_alarms.count {
        notes.push(format!(
            "false alarms on passing logs: {} → {}",
            b.false_alarms.count, c.false_alarms.count
        ));
    }
    let before_ids: Vec<&str> = baseline.cases.iter().map(|r| r.id.as_str()).collect();
    let missing = current
        .cases
        .iter()
        .filter(|r| !before_ids.contains(&r.id.as_str()))
        .count();
    if missing > 0 || baseline.cases.len() != current.cases.len() {
        notes.push(format!(
            "the corpora differ: {} cases in the baseline, {} now ({missing} new)",
            baseline.cases.len(),
            current.cases.len()
        ));
    }
    let changes = current
        .cases
        .iter()
        .filter_map(|now| {
            let then = baseline.cases.iter().find(|r| r.id == now.id)?;
            (then.category != now.category).then(|| Change {
                id: now.id.clone(),
                label: now.label_category,
                before: then.category,
                after: now.category,
                effect: match (then.correct(), now.correct()) {
                    (false, true) => "fixed",
                    (true, false) => "broken",
                    _ => "changed",
                },
            })
        })
        .collect();
    Gate {
        recommendation: if reasons.is_empty() {
            "promote"
        } else {
            "reject"
        },
        reasons,
        notes,
        changes,
    }
}
