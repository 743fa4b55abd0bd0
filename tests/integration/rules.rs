//! `rules list|test|export` and `schema`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{CATEGORIES, bin, root};

fn stdout(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    crate::common::assert_success(&out);
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
    // Joined as `rg -f` joins them: one alternation, so no group name may repeat.
    let joined: Vec<String> = exported.lines().map(|l| format!("(?:{l})")).collect();
    regex::RegexBuilder::new(&joined.join("|"))
        .size_limit(1 << 30)
        .build()
        .unwrap_or_else(|e| panic!("the joined patterns do not compile: {e}"));
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

/// A pack with one rule per lint finding, and a second pack that reuses an id.
const LINT_PACK: &str = r#"[pack]
name = "a"
version = "1"

[[rules]]
id = "a-disk"
category = "resource_exhaustion"
title = "disk"
pattern = 'No space left on device'
confidence = 0.9
examples = ["write /tmp/x: No space left on device"]
counterexamples = ["plenty of space"]

[[rules]]
id = "a-disk-weaker"
category = "resource_exhaustion"
title = "disk again"
pattern = 'No space left'
confidence = 0.5
examples = ["write /tmp/x: No space left on device"]
counterexamples = ["plenty of space"]

[[rules]]
id = "a-anything"
category = "test_failure"
title = "anything"
pattern = '.*'
confidence = 0.3
examples = ["x"]
counterexamples = []

[[rules]]
id = "a-deprecation"
category = "lint"
title = "deprecation warning"
pattern = 'WARNING: deprecated'
confidence = 0.6
examples = ["WARNING: deprecated call"]
counterexamples = ["fine"]

[[rules]]
id = "a-unproven"
category = "network"
title = "no examples"
pattern = 'Connection reset by peer'
confidence = 0.8
"#;

fn lint(args: &[&str], dir: &std::path::Path) -> (Option<i32>, Vec<(String, String, String)>) {
    let out = bin()
        .args(["rules", "lint", "--no-builtin-rules", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let findings = findings
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (out.status.code(), findings)
}

#[test]
fn lint_finds_every_kind_of_problem_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), LINT_PACK).unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        "[pack]\nname = \"b\"\nversion = \"1\"\n\n[[rules]]\nid = \"a-disk\"\ncategory = \"resource_exhaustion\"\ntitle = \"dup\"\npattern = 'ENOSPC'\nconfidence = 0.9\nexamples = [\"ENOSPC\"]\ncounterexamples = [\"ok\"]\n",
    )
    .unwrap();
    let negatives = dir.path().join("passing");
    std::fs::create_dir(&negatives).unwrap();
    std::fs::write(
        negatives.join("one.log"),
        "step 1\nWARNING: deprecated call\nall good\n",
    )
    .unwrap();
    std::fs::write(negatives.join("two.log"), "WARNING: deprecated call\n").unwrap();
    let (code, findings) = lint(
        &[
            "--rules",
            "a.toml",
            "--rules",
            "b.toml",
            "--negatives",
            "passing",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(5));
    let has = |severity: &str, code: &str, rule: &str| {
        findings
            .iter()
            .any(|f| (f.0.as_str(), f.1.as_str(), f.2.as_str()) == (severity, code, rule))
    };
    for (severity, code, rule) in [
        ("error", "duplicate", "a-disk"),
        ("error", "matches-empty", "a-anything"),
        ("warning", "too-broad", "a-anything"),
        ("warning", "no-counterexamples", "a-anything"),
        ("warning", "shadowed", "a-disk-weaker"),
        ("warning", "fires-on-passing", "a-deprecation"),
        ("warning", "no-examples", "a-unproven"),
    ] {
        assert!(
            has(severity, code, rule),
            "missing {severity}[{code}] {rule}: {findings:?}"
        );
    }
    assert!(!has("warning", "shadowed", "a-disk"), "{findings:?}");
    assert!(
        !has("warning", "fires-on-passing", "a-disk"),
        "{findings:?}"
    );
}

#[test]
fn lint_counts_passing_logs_a_rule_fires_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), LINT_PACK).unwrap();
    let negatives = dir.path().join("passing");
    std::fs::create_dir(&negatives).unwrap();
    std::fs::write(
        negatives.join("one.log"),
        "WARNING: deprecated call\nWARNING: deprecated again\n",
    )
    .unwrap();
    std::fs::write(negatives.join("two.log"), "nothing to see\n").unwrap();
    let out = bin()
        .args([
            "rules",
            "lint",
            "--no-builtin-rules",
            "--rules",
            "a.toml",
            "--negatives",
            "passing",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("rule 'a-deprecation': fires on 1 of 2 passing logs (2 lines), first at passing/one.log:1"),
        "{text}"
    );
}

#[test]
fn lint_warnings_fail_only_when_denied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.toml"),
        "[pack]\nname = \"w\"\nversion = \"1\"\n\n[[rules]]\nid = \"w-reset\"\ncategory = \"network\"\ntitle = \"reset\"\npattern = 'Connection reset by peer'\nconfidence = 0.8\nexamples = [\"read: Connection reset by peer\"]\n",
    )
    .unwrap();
    let (code, findings) = lint(&["--rules", "w.toml"], dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(
        findings,
        [(
            "warning".to_owned(),
            "no-counterexamples".to_owned(),
            "w-reset".to_owned()
        )]
    );
    let (code, _) = lint(&["--rules", "w.toml", "--deny-warnings"], dir.path());
    assert_eq!(code, Some(5));
}

#[test]
fn the_builtin_library_lints_without_errors() {
    let out = bin().args(["rules", "lint"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("error["), "{text}");
}
