//! Every metric on a tiny hand-made set of results, with the figures worked out by hand.

use super::*;

#[allow(clippy::too_many_arguments, reason = "a table row of test data")]
fn case(
    id: &str,
    outcome: LabelOutcome,
    label: Option<Category>,
    rerun: Option<Rerun>,
    ranges: &[(u64, u64)],
    got: Category,
    confidence: f64,
    lines: &[u64],
    auto_retry: bool,
) -> CaseResult {
    CaseResult {
        id: id.to_owned(),
        label_outcome: outcome,
        label_category: label,
        rerun_likely_passes: rerun,
        evidence_ranges: ranges.to_vec(),
        category: got,
        confidence,
        rule_id: Some(format!("rule-{}", got.as_str().replace('_', "-"))),
        title: None,
        evidence_lines: lines.to_vec(),
        recommended: None,
        auto_retry,
        fingerprint: "v1:0000000000000000".to_owned(),
        error: None,
        remediation: Vec::new(),
    }
}

/// Six failed cases and two passing ones:
///
/// | id | label | diagnosed | rerun | ranges | evidence lines | auto retry |
/// |---|---|---|---|---|---|---|
/// | a | network | network | yes | 10–12 | 11 | yes |
/// | b | network | test_failure | yes | 5–5 | 7, 5 | no |
/// | c | test_failure | test_failure | no | 20–30 | 40, 41, 25 | no |
/// | d | test_failure | test_failure | unsure | — | 3 | no |
/// | e | lint | unknown | no | 1–2 | 9 | no |
/// | f | auth | network | no | — | 1 | yes (a violation) |
/// | p1 | passed | lint 0.60 | | | | |
/// | p2 | passed | network 0.40 | | | | |
fn results() -> Vec<CaseResult> {
    use Category::{Auth, Lint, Network, TestFailure, Unknown};
    use LabelOutcome::{Failed, Passed};
    vec![
        case(
            "a",
            Failed,
            Some(Network),
            Some(Rerun::Yes),
            &[(10, 12)],
            Network,
            0.9,
            &[11],
            true,
        ),
        case(
            "b",
            Failed,
            Some(Network),
            Some(Rerun::Yes),
            &[(5, 5)],
            TestFailure,
            0.7,
            &[7, 5],
            false,
        ),
        case(
            "c",
            Failed,
            Some(TestFailure),
            Some(Rerun::No),
            &[(20, 30)],
            TestFailure,
            0.8,
            &[40, 41, 25],
            false,
        ),
        case(
            "d",
            Failed,
            Some(TestFailure),
            Some(Rerun::Unsure),
            &[],
            TestFailure,
            0.8,
            &[3],
            false,
        ),
        case(
            "e",
            Failed,
            Some(Lint),
            Some(Rerun::No),
            &[(1, 2)],
            Unknown,
            0.0,
            &[9],
            false,
        ),
        case(
            "f",
            Failed,
            Some(Auth),
            Some(Rerun::No),
            &[],
            Network,
            0.6,
            &[1],
            true,
        ),
        case("p1", Passed, None, None, &[], Lint, 0.6, &[4], false),
        case("p2", Passed, None, None, &[], Network, 0.4, &[4], false),
    ]
}

#[test]
fn counts_and_accuracy() {
    let m = compute(&results());
    assert_eq!((m.cases, m.failed, m.passed, m.errors), (8, 6, 2, 0));
    // a, c, d are right: 3 of 6.
    assert_eq!(m.accuracy, Ratio::new(3, 6));
    assert_eq!(m.accuracy.value, 0.5);
    // e is unknown: 1 of 6.
    assert_eq!(m.unknown, Ratio::new(1, 6));
}

#[test]
fn per_category_precision_recall_f1_and_macro_f1() {
    let m = compute(&results());
    let s = |c: Category| m.categories[&c];
    // network: labelled a, b; diagnosed a, f → tp 1, precision 1/2, recall 1/2, F1 0.5.
    assert_eq!(
        (s(Category::Network).support, s(Category::Network).predicted),
        (2, 2)
    );
    assert_eq!(s(Category::Network).precision, 0.5);
    assert_eq!(s(Category::Network).recall, 0.5);
    assert!((s(Category::Network).f1 - 0.5).abs() < 1e-12);
    // test_failure: labelled c, d; diagnosed b, c, d → precision 2/3, recall 1, F1 0.8.
    assert!((s(Category::TestFailure).precision - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(s(Category::TestFailure).recall, 1.0);
    assert!((s(Category::TestFailure).f1 - 0.8).abs() < 1e-12);
    // lint and auth: never right → 0; unknown: predicted once, never a label → not in macro-F1.
    assert_eq!(s(Category::Lint).f1, 0.0);
    assert_eq!(s(Category::Auth).f1, 0.0);
    assert_eq!(
        (s(Category::Unknown).support, s(Category::Unknown).predicted),
        (0, 1)
    );
    // macro-F1 over the labelled categories network, test_failure, lint, auth: (0.5 + 0.8) / 4.
    assert!((m.macro_f1 - 0.325).abs() < 1e-12);
}

#[test]
fn confusion_matrix_rows_are_labels() {
    let m = compute(&results());
    assert_eq!(m.confusion[&Category::Network][&Category::Network], 1);
    assert_eq!(m.confusion[&Category::Network][&Category::TestFailure], 1);
    assert_eq!(m.confusion[&Category::Auth][&Category::Network], 1);
    assert_eq!(m.confusion[&Category::Lint][&Category::Unknown], 1);
    let total: usize = m.confusion.values().flat_map(|row| row.values()).sum();
    assert_eq!(total, 6);
}

#[test]
fn evidence_localisation() {
    let m = compute(&results());
    // Ranged cases: a, b, c, e. First line inside: a only. Within three: a, b (second line 5), c (third).
    assert_eq!(m.hit_at_1, Ratio::new(1, 4));
    assert_eq!(m.hit_at_3, Ratio::new(3, 4));
}

#[test]
fn false_alarms_and_retries() {
    let m = compute(&results());
    // p1 is a confident lint diagnosis of a passing job; p2 is below 0.5.
    assert_eq!(m.false_alarms, Ratio::new(1, 2));
    assert_eq!(m.false_alarms_by_rule["rule-lint"], ["p1"]);
    // Automatic re-runs: a (yes) and f (no) → precision 1/2; yes cases a, b → recall 1/2.
    assert_eq!(m.retry_precision, Ratio::new(1, 2));
    assert_eq!(m.retry_recall, Ratio::new(1, 2));
    assert_eq!(m.retry_violations, ["f"]);
}

#[test]
fn empty_denominators_are_zero_not_nan() {
    let m = compute(&[]);
    assert_eq!(m.accuracy.value, 0.0);
    assert_eq!(m.macro_f1, 0.0);
    assert_eq!(m.hit_at_1.value, 0.0);
}
