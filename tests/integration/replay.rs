//! `replay`: every outcome from the bundled scenario, a retry storm the budgets stop (checked by
//! recomputing the budgets from the trace), byte-identical output, and scenario errors.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::bin;

const EVERY: &str = "fixtures/replay/every-outcome.ndjson";
const STORM: &str = "fixtures/replay/retry-storm.ndjson";

/// Everything one run writes: standard output, the trace and the operations summary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    trace: String,
    summary: String,
}

fn replay(scenario: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (trace, summary) = (dir.path().join("t.ndjson"), dir.path().join("s.md"));
    let out = bin()
        .arg("replay")
        .arg(scenario)
        .arg("--trace")
        .arg(&trace)
        .arg("--summary")
        .arg(&summary)
        .args(args)
        .output()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        trace: read(&trace),
        summary: read(&summary),
    }
}

fn trace(run: &Run) -> Vec<Value> {
    run.trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_case(lines: &[Value]) -> BTreeMap<String, &Value> {
    lines
        .iter()
        .map(|l| (l["case"].as_str().unwrap().to_owned(), l))
        .collect()
}

#[test]
fn every_outcome_is_reached_and_names_its_rule() {
    let run = replay(EVERY, &["--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    for o in summary["outcomes"].as_array().unwrap() {
        assert!(o["count"].as_u64().unwrap() >= 1, "no case reached {o}");
    }
    let lines = trace(&run);
    assert_eq!(lines.len(), 11);
    let cases = by_case(&lines);
    let expect = [
        ("net-rerun-passes", "auto_recovered", "policy.retryable"),
        (
            "gradle-cache-reset",
            "reset_and_retried",
            "policy.resettable",
        ),
        (
            "runner-shutdown-rerun-fails",
            "retry_failed",
            "policy.retryable",
        ),
        ("taskcluster-timeout", "retried", "policy.retryable"),
        (
            "dns-commit-budget-spent",
            "budget_exhausted",
            "budgets.max_reruns_per_commit",
        ),
        (
            "pod-outage",
            "budget_exhausted",
            "budgets.outage_failed_jobs",
        ),
        ("go-compile-error", "manual_fix", "rule.actions"),
        ("aws-credentials", "escalated", "policy.never_retry_auth"),
        ("no-error-lines", "escalated", "policy.retryable"),
        ("green-build", "passed", "job.conclusion"),
        ("log-went-missing", "unreadable", "ingest"),
    ];
    for (id, outcome, rule) in expect {
        let line = cases[id];
        assert_eq!(line["outcome"], outcome, "{id}");
        assert_eq!(line["decision"]["rule"], rule, "{id}");
    }
    // Only automatic re-runs wait, and they charge the budgets they spent.
    for line in &lines {
        let automatic = line["decision"]["automatic"].as_bool().unwrap();
        assert_eq!(line["delay_seconds"].is_u64(), automatic, "{line}");
        if automatic {
            let (before, after) = (&line["before"], &line["after"]);
            assert_eq!(
                after["reruns_for_commit"].as_u64().unwrap(),
                before["reruns_for_commit"].as_u64().unwrap() + 1
            );
        }
    }
    assert_eq!(
        cases["aws-credentials"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["action"] == "retry")
            .count(),
        0,
        "an auth failure is never offered a re-run"
    );
    assert!(run.summary.contains("**What happened to them**"));
    assert!(
        run.summary.contains("| budget_exhausted | 2 |"),
        "{}",
        run.summary
    );
    insta::assert_snapshot!(
        "every_outcome_summary",
        crate::common::redact_run(&run.summary)
    );
    let text = replay(EVERY, &[]);
    insta::assert_snapshot!(
        "every_outcome_text",
        crate::common::redact_run(&text.stdout)
    );
}

/// Recomputes, from the trace alone, what the default budgets allow, and checks no automatic
/// re-run broke them.
#[test]
fn a_retry_storm_is_stopped_by_the_budgets() {
    let run = replay(STORM, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines = trace(&run);
    let scenario: Vec<Value> = std::fs::read_to_string(crate::common::root().join(STORM))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), scenario.len());
    let mut per_commit: BTreeMap<String, u32> = BTreeMap::new();
    let mut per_fp_day: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut failed_in_a_row: BTreeMap<String, u32> = BTreeMap::new();
    let (mut reruns, mut exhausted) = (0, 0);
    for (case, line) in scenario.iter().zip(&lines) {
        let commit = case["job"]["commit"].as_str().unwrap().to_owned();
        let day = case["day"].as_str().unwrap().to_owned();
        let fp = line["fingerprint"].as_str().unwrap().to_owned();
        let streak = failed_in_a_row.entry(fp.clone()).or_default();
        if line["decision"]["automatic"].as_bool().unwrap() {
            reruns += 1;
            let c = per_commit.entry(commit).or_default();
            *c += 1;
            assert!(
                *c <= 3,
                "{}: more than 3 re-runs of one commit",
                line["case"]
            );
            let f = per_fp_day.entry((fp, day)).or_default();
            *f += 1;
            assert!(
                *f <= 5,
                "{}: more than 5 re-runs of one fingerprint a day",
                line["case"]
            );
            assert!(
                *streak < 3,
                "{}: re-run with the breaker open",
                line["case"]
            );
            if case["rerun"] == "failed" {
                *streak += 1;
            } else {
                *streak = 0;
            }
        } else {
            assert_eq!(line["outcome"], "budget_exhausted", "{}", line["case"]);
            exhausted += 1;
        }
    }
    // Worked out by hand from the scenario's comments: flaky-01..03, 05, 06, 09, 10 and storm-01..03.
    assert_eq!((reruns, exhausted), (10, 14));
    let rules: Vec<&str> = lines
        .iter()
        .filter(|l| l["outcome"] == "budget_exhausted")
        .map(|l| l["decision"]["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "budgets.max_reruns_per_commit",
        "budgets.max_reruns_per_fingerprint_per_day",
        "budgets.breaker_failures",
    ] {
        assert!(
            rules.contains(&rule),
            "{rule} never stopped a re-run: {rules:?}"
        );
    }
    assert!(
        run.stdout.contains("[budget_exhausted]      14"),
        "{}",
        run.stdout
    );
}

#[test]
fn tighter_budgets_in_the_config_stop_the_storm_sooner() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[budgets]\nbreaker_failures = 1\n").unwrap();
    let default = replay(STORM, &["--format", "json"]);
    let tight = replay(
        STORM,
        &["--format", "json", "--config", config.to_str().unwrap()],
    );
    let (d, t): (Value, Value) = (
        serde_json::from_str(&default.stdout).unwrap(),
        serde_json::from_str(&tight.stdout).unwrap(),
    );
    assert_ne!(d["config_digest"], t["config_digest"]);
    let failed = |v: &Value| {
        v["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["outcome"] == "retry_failed")
            .unwrap()["count"]
            .as_u64()
    };
    assert_eq!((failed(&d), failed(&t)), (Some(3), Some(1)));
}

#[test]
fn output_is_byte_identical_for_the_same_seed_and_any_thread_count() {
    for format in ["text", "json", "markdown"] {
        let a = replay(STORM, &["--format", format, "--seed", "7", "--jobs", "1"]);
        let b = replay(STORM, &["--format", format, "--seed", "7", "--jobs", "2"]);
        let c = replay(STORM, &["--format", format, "--seed", "7"]);
        for other in [&b, &c] {
            assert_eq!(a.stdout, other.stdout, "{format}");
            assert_eq!(a.trace, other.trace, "{format}");
            assert_eq!(a.summary, other.summary, "{format}");
        }
    }
    let seven = replay(STORM, &["--seed", "7"]);
    let eight = replay(STORM, &["--seed", "8"]);
    assert_ne!(
        seven.trace, eight.trace,
        "the seed drives the back-off jitter"
    );
    assert!(seven.stdout.contains("seed 7"));
}

#[test]
fn scenario_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let run = replay(path.to_str().unwrap(), &[]);
        assert_eq!(run.code, Some(4), "{name}: {}", run.stderr);
        assert!(run.trace.is_empty(), "{name}: no trace on a bad scenario");
        run.stderr
    };
    let job = r#""job": {"name": "b", "conclusion": "failure"}"#;
    let err = bad(
        "syntax.ndjson",
        &format!("# ok\n{{\"id\": \"a\", \"log_text\": \"x\", {job}}}\n{{broken\n"),
    );
    assert!(err.contains("syntax.ndjson:3:"), "{err}");
    let err = bad(
        "both.ndjson",
        &format!("{{\"id\": \"a\", \"log\": \"x.log\", \"log_text\": \"x\", {job}}}\n"),
    );
    assert!(err.contains("both `log` and `log_text`"), "{err}");
    let err = bad(
        "dup.ndjson",
        &format!(
            "{{\"id\": \"a\", \"log_text\": \"x\", {job}}}\n{{\"id\": \"a\", \"log_text\": \"y\", {job}}}\n"
        ),
    );
    assert!(err.contains("dup.ndjson:2: duplicate case id `a`"), "{err}");
    let err = bad(
        "conclusion.ndjson",
        "{\"id\": \"a\", \"log_text\": \"x\", \"job\": {\"name\": \"b\", \"conclusion\": \"exploded\"}}\n",
    );
    assert!(
        err.contains("conclusion.ndjson:1:") && err.contains("exploded"),
        "{err}"
    );
    assert!(
        err.contains("README"),
        "the hint points at the format: {err}"
    );
}
