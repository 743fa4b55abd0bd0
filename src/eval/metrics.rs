//! The figures of an evaluation, as pure functions of the per-case results.
//!
//! Definitions (the same as the corpus README's):
//! - accuracy: failed cases whose diagnosed category equals the label, over failed cases;
//! - per category, over failed cases: precision = tp / (tp + fp), recall = tp / (tp + fn),
//!   F1 = 2pr / (p + r), each 0 when its denominator is 0; macro-F1 is the mean F1 over the
//!   categories that occur as labels;
//! - hit@1: failed cases with evidence labels whose first evidence line lies inside a labelled
//!   range; hit@3: whose first three evidence lines include one inside a range;
//! - unknown rate: failed cases diagnosed `unknown`, over failed cases;
//! - false alarms: passed cases with a non-`unknown` diagnosis of confidence ≥ 0.5;
//! - retry precision: failed cases whose recommended action is an allowed automatic re-run and
//!   that are labelled `rerun_likely_passes: yes`, over failed cases with such a recommendation;
//!   retry recall: the same count over failed cases labelled `yes`; a violation is an automatic
//!   re-run recommended for a case labelled (or diagnosed) `auth`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::corpus::{LabelOutcome, Rerun};
use crate::taxonomy::{Action, Category};

/// A diagnosis confident enough to count as a false alarm on a passing job.
pub(crate) const CONFIDENT: f64 = 0.5;

/// What one case was labelled and what it was diagnosed, as stored in an eval report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CaseResult {
    pub(crate) id: String,
    pub(crate) label_outcome: LabelOutcome,
    pub(crate) label_category: Option<Category>,
    pub(crate) rerun_likely_passes: Option<Rerun>,
    pub(crate) evidence_ranges: Vec<(u64, u64)>,
    pub(crate) category: Category,
    pub(crate) confidence: f64,
    pub(crate) rule_id: Option<String>,
    /// The rule's title with its captures filled in.
    #[serde(default)]
    pub(crate) title: Option<String>,
    pub(crate) evidence_lines: Vec<u64>,
    /// The recommended action (none for a passing job).
    #[serde(default)]
    pub(crate) recommended: Option<Action>,
    pub(crate) auto_retry: bool,
    pub(crate) fingerprint: String,
    /// The log could not be read; the case counts as an `unknown` diagnosis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// The remediation, captures filled in (for the operations summary; not kept in reports).
    #[serde(skip)]
    pub(crate) remediation: Vec<String>,
}

impl CaseResult {
    pub(crate) fn is_failed(&self) -> bool {
        self.label_outcome == LabelOutcome::Failed
    }

    pub(crate) fn correct(&self) -> bool {
        self.is_failed() && self.label_category == Some(self.category)
    }

    fn in_range(&self, line: u64) -> bool {
        self.evidence_ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&line))
    }

    /// `Some(hit)` for a failed case with evidence labels.
    pub(crate) fn hit_at(&self, k: usize) -> Option<bool> {
        (self.is_failed() && !self.evidence_ranges.is_empty()).then(|| {
            self.evidence_lines
                .iter()
                .take(k)
                .any(|l| self.in_range(*l))
        })
    }

    pub(crate) fn false_alarm(&self) -> bool {
        !self.is_failed() && self.category != Category::Unknown && self.confidence >= CONFIDENT
    }
}

/// A count over a total, with its ratio (0 when the total is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ratio {
    pub(crate) count: usize,
    pub(crate) total: usize,
    pub(crate) value: f64,
}

impl Ratio {
    pub(crate) fn new(count: usize, total: usize) -> Self {
        let value = if total == 0 {
            0.0
        } else {
            count as f64 / total as f64
        };
        Self {
            count,
            total,
            value,
        }
    }

    /// Percentage points, for people.
    pub(crate) fn percent(&self) -> f64 {
        self.value * 100.0
    }
}

/// Precision, recall and F1 of one category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct CategoryScore {
    /// Failed cases labelled with the category.
    pub(crate) support: usize,
    pub(crate) predicted: usize,
    pub(crate) true_positives: usize,
    pub(crate) precision: f64,
    pub(crate) recall: f64,
    pub(crate) f1: f64,
}

/// Every figure of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Metrics {
    pub(crate) cases: usize,
    pub(crate) failed: usize,
    pub(crate) passed: usize,
    pub(crate) errors: usize,
    pub(crate) accuracy: Ratio,
    pub(crate) macro_f1: f64,
    pub(crate) categories: BTreeMap<Category, CategoryScore>,
    /// label → diagnosis → count, over failed cases.
    pub(crate) confusion: BTreeMap<Category, BTreeMap<Category, usize>>,
    pub(crate) hit_at_1: Ratio,
    pub(crate) hit_at_3: Ratio,
    pub(crate) unknown: Ratio,
    pub(crate) false_alarms: Ratio,
    /// Rule → ids of the passing cases it confidently (and wrongly) diagnosed.
    pub(crate) false_alarms_by_rule: BTreeMap<String, Vec<String>>,
    pub(crate) retry_precision: Ratio,
    pub(crate) retry_recall: Ratio,
    /// Ids of cases where an automatic re-run was recommended for an authentication failure.
    pub(crate) retry_violations: Vec<String>,
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Computes every figure from the per-case results.
pub(crate) fn compute(results: &[CaseResult]) -> Metrics {
    let failed: Vec<&CaseResult> = results.iter().filter(|r| r.is_failed()).collect();
    let passed: Vec<&CaseResult> = results.iter().filter(|r| !r.is_failed()).collect();

    let mut confusion: BTreeMap<Category, BTreeMap<Category, usize>> = BTreeMap::new();
    for r in &failed {
        if let Some(label) = r.label_category {
            *confusion
                .entry(label)
                .or_default()
                .entry(r.category)
                .or_insert(0) += 1;
        }
    }
    let mut categories = BTreeMap::new();
    for c in Category::ALL {
        let support = failed
            .iter()
            .filter(|r| r.label_category == Some(c))
            .count();
        let predicted = failed.iter().filter(|r| r.category == c).count();
        if support == 0 && predicted == 0 {
            continue;
        }
        let tp = failed
            .iter()
            .filter(|r| r.label_category == Some(c) && r.category == c)
            .count();
        let precision = Ratio::new(tp, predicted).value;
        let recall = Ratio::new(tp, support).value;
        categories.insert(
            c,
            CategoryScore {
                support,
                predicted,
                true_positives: tp,
                precision,
                recall,
                f1: f1(precision, recall),
            },
        );
    }
    let labelled: Vec<f64> = categories
        .values()
        .filter(|s| s.support > 0)
        .map(|s| s.f1)
        .collect();
    let macro_f1 = if labelled.is_empty() {
        0.0
    } else {
        labelled.iter().sum::<f64>() / labelled.len() as f64
    };

    let with_ranges: Vec<&&CaseResult> = failed.iter().filter(|r| r.hit_at(1).is_some()).collect();
    let hits = |k: usize| {
        with_ranges
            .iter()
            .filter(|r| r.hit_at(k) == Some(true))
            .count()
    };

    let mut false_alarms_by_rule: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in passed.iter().filter(|r| r.false_alarm()) {
        let rule = r.rule_id.clone().unwrap_or_else(|| "(no rule)".to_owned());
        false_alarms_by_rule
            .entry(rule)
            .or_default()
            .push(r.id.clone());
    }

    let auto = failed.iter().filter(|r| r.auto_retry).count();
    let yes = failed
        .iter()
        .filter(|r| r.rerun_likely_passes == Some(Rerun::Yes))
        .count();
    let auto_yes = failed
        .iter()
        .filter(|r| r.auto_retry && r.rerun_likely_passes == Some(Rerun::Yes))
        .count();
    let retry_violations = results
        .iter()
        .filter(|r| {
            r.auto_retry
                && (r.label_category == Some(Category::Auth) || r.category == Category::Auth)
        })
        .map(|r| r.id.clone())
        .collect();

    Metrics {
        cases: results.len(),
        failed: failed.len(),
        passed: passed.len(),
        errors: results.iter().filter(|r| r.error.is_some()).count(),
        accuracy: Ratio::new(failed.iter().filter(|r| r.correct()).count(), failed.len()),
        macro_f1,
        categories,
        confusion,
        hit_at_1: Ratio::new(hits(1), with_ranges.len()),
        hit_at_3: Ratio::new(hits(3), with_ranges.len()),
        unknown: Ratio::new(
            failed
                .iter()
                .filter(|r| r.category == Category::Unknown)
                .count(),
            failed.len(),
        ),
        false_alarms: Ratio::new(
            passed.iter().filter(|r| r.false_alarm()).count(),
            passed.len(),
        ),
        false_alarms_by_rule,
        retry_precision: Ratio::new(auto_yes, auto),
        retry_recall: Ratio::new(auto_yes, yes),
        retry_violations,
    }
}

#[cfg(test)]
mod tests;
