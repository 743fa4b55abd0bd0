//! `rules list|test|export` and `schema`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{CATEGORIES, bin, root};

fn stdout(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_library_covers_every_category_with_at_least_150_rules() {
    let rules: Vec<Value> =
        serde_json::from_str(&stdout(&["rules", "list", "--format", "json"])).unwrap();
    assert!(rules.len() >= 150, "only {} rules", rules.len());
    let categories: BTreeSet<&str> = rules
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    for c in CATEGORIES.iter().filter(|c| **c != "unknown") {
        assert!(categories.contains(c), "no rule for {c}");
    }
    for r in &rules {
        for key in ["id", "category", "pack"] {
            assert!(r[key].is_string(), "{r}");
        }
        assert!(
            !r["sources"].as_array().unwrap().is_empty(),
            "{} has no source",
            r["id"]
        );
        assert!(
            r["examples"].as_u64().unwrap() > 0,
            "{} has no example",
            r["id"]
        );
    }
    let ids: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");
}

#[test]
fn every_builtin_example_and_counterexample_holds() {
    let out = stdout(&["rules", "test"]);
    assert!(out.trim_end().ends_with("0 failed"), "{out}");
}

#[test]
fn rules_test_reports_examples_that_do_not_hold() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("p.toml");
    std::fs::write(
        &pack,
        "[pack]\nname = \"p\"\nversion = \"1\"\n\n[[rules]]\nid = \"p-disk\"\ncategory = \"resource_exhaustion\"\ntitle = \"t\"\nconfidence = 0.9\npattern = 'No space left'\nexamples = [\"nothing here\"]\ncounterexamples = [\"No space left, oops\"]\n",
    )
    .unwrap();
    let out = bin()
        .args(["rules", "test", "--no-builtin-rules", "--rules"])
        .arg(&pack)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8(out.stdout).unwrap();
    let p = pack.display();
    assert_eq!(
        text,
        format!(
            "FAIL {p}: rule 'p-disk': example does not match: \"nothing here\"\nFAIL {p}: rule 'p-disk': counterexample matches: \"No space left, oops\"\n1 rules, 2 examples and counterexamples checked, 2 failed\n"
        )
    );
}

#[test]
fn export_prints_one_valid_regex_per_line_rule() {
    let exported = stdout(&["rules", "export", "--format", "regex"]);
    let rules: Vec<Value> =
        serde_json::from_str(&stdout(&["rules", "list", "--format", "json"])).unwrap();
    let line_rules = rules.iter().filter(|r| r["scope"] == "line").count();
    assert_eq!(exported.lines().count(), line_rules);
    for line in exported.lines() {
        regex::Regex::new(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
}

/// `schema/report-v1.json` is what `recovery-agent schema` prints: the shipped schema never drifts.
#[test]
fn the_committed_schema_is_current() {
    let printed: Value = serde_json::from_str(&stdout(&["schema"])).unwrap();
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/report-v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        printed, committed,
        "run `recovery-agent schema > schema/report-v1.json`"
    );
}
