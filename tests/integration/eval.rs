//! `eval`: the figures on a tiny corpus whose answers were worked out by hand, thread-count
//! independence, and the baseline gate.
//!
//! `fixtures/corpus-tiny` has seven failed and two passing cases over the bundled fixture logs. What
//! the tool says about each log (one `diagnose` each) and what the labels say:
//!
//! | case | label | diagnosed | rerun label | auto retry | evidence range | evidence lines |
//! |---|---|---|---|---|---|---|
//! | network-buildkit | network | network | yes | yes | 805–812 | 809, 825 |
//! | runner-shutdown | infrastructure | infrastructure | yes | yes | 1–3 | 15 |
//! | taskcluster-timeout | timeout | timeout | no | yes | — | |
//! | aws-credentials | auth | auth | no | no | — | |
//! | go-undeclared | compilation | compilation | no | no | 711–711 | 710, 711, 712 |
//! | silent-failure | infrastructure | unknown | yes | no | — | |
//! | low-disk | resource_exhaustion | resource_exhaustion | unsure | no | — | |
//! | terraform-green, maven-green | passed | unknown | | | | |
//!
//! So: accuracy 6/7; unknown 1/7; hit@1 1/3 (only network-buildkit's first line is in range); hit@3
//! 2/3 (go-undeclared's second line is); false alarms 0/2; retry precision 2/3 (network, runner
//! yes; taskcluster no); retry recall 2/3 (silent-failure is a `yes` without a retry);
//! infrastructure precision 1, recall 1/2, F1 2/3; the five other labelled categories F1 1;
//! macro-F1 (5 + 2/3) / 6.

use std::path::Path;

use serde_json::Value;

use crate::common::bin;

const TINY: &str = "fixtures/corpus-tiny";

fn eval_json(args: &[&str]) -> Value {
    let out = bin()
        .args(["eval", TINY, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ratio(v: &Value) -> (u64, u64) {
    (v["count"].as_u64().unwrap(), v["total"].as_u64().unwrap())
}

#[test]
fn figures_match_the_hand_computed_ones() {
    let report = eval_json(&[]);
    let m = &report["metrics"];
    assert_eq!(
        (
            m["cases"].as_u64(),
            m["failed"].as_u64(),
            m["passed"].as_u64()
        ),
        (Some(9), Some(7), Some(2))
    );
    assert_eq!(ratio(&m["accuracy"]), (6, 7));
    assert_eq!(ratio(&m["unknown"]), (1, 7));
    assert_eq!(ratio(&m["hit_at_1"]), (1, 3));
    assert_eq!(ratio(&m["hit_at_3"]), (2, 3));
    assert_eq!(ratio(&m["false_alarms"]), (0, 2));
    assert_eq!(ratio(&m["retry_precision"]), (2, 3));
    assert_eq!(ratio(&m["retry_recall"]), (2, 3));
    assert_eq!(m["retry_violations"], serde_json::json!([]));
    let infra = &m["categories"]["infrastructure"];
    assert_eq!(infra["precision"].as_f64(), Some(1.0));
    assert_eq!(infra["recall"].as_f64(), Some(0.5));
    assert!((infra["f1"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    for c in [
        "network",
        "timeout",
        "auth",
        "compilation",
        "resource_exhaustion",
    ] {
        assert_eq!(m["categories"][c]["f1"].as_f64(), Some(1.0), "{c}");
    }
    assert!((m["macro_f1"].as_f64().unwrap() - (5.0 + 2.0 / 3.0) / 6.0).abs() < 1e-9);
    assert_eq!(
        m["confusion"]["infrastructure"]["unknown"].as_u64(),
        Some(1)
    );
    assert_eq!(
        m["confusion"]["infrastructure"]["infrastructure"].as_u64(),
        Some(1)
    );
    assert!(
        report["config_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        report["rules_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(report["run"]["logs_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut one = eval_json(&["--jobs", "1"]);
    let mut two = eval_json(&["--jobs", "2"]);
    assert_eq!(one["run"]["threads"].as_u64(), Some(1));
    assert_eq!(two["run"]["threads"].as_u64(), Some(2));
    one["run"] = Value::Null;
    two["run"] = Value::Null;
    assert_eq!(one, two);
}

/// A pack whose only rule calls the AWS credentials failure a network failure, so it is re-run.
fn misdiagnosing_pack(dir: &Path) -> std::path::PathBuf {
    let pack = dir.join("wrong.toml");
    std::fs::write(
        &pack,
        r#"[pack]
name = "wrong"
version = "1"

[[rules]]
id = "wrong-credentials-as-network"
category = "network"
title = "Credentials are a network problem (they are not)"
pattern = 'Credentials could not be loaded'
confidence = 0.99
examples = ["Credentials could not be loaded, please check your action inputs"]
"#,
    )
    .unwrap();
    pack
}

fn gate(baseline: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = bin()
        .args(["eval", TINY, "--format", "json", "--baseline"])
        .arg(baseline)
        .args(extra)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json["gate"].clone())
}

#[test]
fn the_gate_promotes_an_equal_run_and_rejects_a_worse_one() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let out = bin()
        .args(["eval", TINY, "--report"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(out.status.success());

    let (code, same) = gate(&baseline, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(same["recommendation"], "promote");
    assert_eq!(same["changes"], serde_json::json!([]));

    // Without the built-in packs only the misdiagnosing rule is left: almost everything turns
    // `unknown`, and the AWS failure becomes a re-run network failure.
    let pack = misdiagnosing_pack(dir.path());
    let pack = pack.to_str().unwrap();
    let (code, worse) = gate(&baseline, &["--no-builtin-rules", "--rules", pack]);
    assert_eq!(code, Some(6));
    assert_eq!(worse["recommendation"], "reject");
    let reasons: Vec<&str> = worse["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("accuracy 85.7% → 0.0%")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("hit@1")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("tiny:aws-credentials")),
        "{reasons:?}"
    );
    let changed: Vec<(&str, &str)> = worse["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["effect"].as_str().unwrap()))
        .collect();
    assert!(
        changed.contains(&("tiny:aws-credentials", "broken")),
        "{changed:?}"
    );
    assert!(
        changed.contains(&("tiny:network-buildkit", "broken")),
        "{changed:?}"
    );
    assert!(
        !changed.iter().any(|(id, _)| *id == "tiny:silent-failure"),
        "{changed:?}"
    );
}

#[test]
fn an_auto_retry_of_an_auth_failure_rejects_even_within_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    assert!(
        bin()
            .args(["eval", TINY, "--report"])
            .arg(&baseline)
            .output()
            .unwrap()
            .status
            .success()
    );
    let pack = misdiagnosing_pack(dir.path());
    let (code, g) = gate(
        &baseline,
        &[
            "--rules",
            pack.to_str().unwrap(),
            "--tolerance",
            "100",
            "--max-category-drop",
            "100",
        ],
    );
    assert_eq!(code, Some(6));
    let reasons = g["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0]
            .as_str()
            .unwrap()
            .contains("tiny:aws-credentials"),
        "{reasons:?}"
    );
}

#[test]
fn a_baseline_that_is_not_an_eval_report_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("b.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let out = bin()
        .args(["eval", TINY, "--baseline"])
        .arg(&bogus)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an eval report"), "{err}");
}

#[test]
fn markdown_report_and_operations_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let out = bin()
        .args(["eval", TINY, "--format", "markdown", "--summary"])
        .arg(&summary)
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(
        "eval_markdown",
        crate::common::redact_run(&String::from_utf8(out.stdout).unwrap())
    );
    insta::assert_snapshot!(
        "eval_summary",
        crate::common::redact_run(&std::fs::read_to_string(summary).unwrap())
    );
}
