//! Command-line behaviour: inputs of every kind, exit codes, errors, determinism.

use std::io::Write as _;

use serde_json::Value;

use crate::common::{bin, diagnose_json, fixture};

const NETWORK: &str = "network-docker-buildkit-layer-fetch-failed.log";

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn evidence_lines(report: &Value) -> Vec<u64> {
    report["jobs"][0]["diagnosis"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect()
}

/// The quick-start command from the README: a real log, no token, no network.
#[test]
fn readme_quick_start_prints_diagnosis_and_plan() {
    let out = bin()
        .args([
            "diagnose",
            "fixtures/logs/network-docker-buildkit-layer-fetch-failed.log",
            "--exit-zero",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "cause",
        "network",
        "evidence",
        "line 809",
        "plan",
        "1. retry",
        "verdict: retry",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn exit_codes_encode_the_verdict_and_the_attempt_budget() {
    let network = fixture(NETWORK);
    let code = |args: &[&str]| {
        bin()
            .arg("diagnose")
            .arg(&network)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&[]), Some(10), "attempt 1 of a network failure: retry");
    assert_eq!(
        code(&["--run-attempt", "2"]),
        Some(10),
        "attempt 2: retry with debug logging"
    );
    assert_eq!(
        code(&["--run-attempt", "3"]),
        Some(12),
        "attempt 3: budgets spent, escalate"
    );
    assert_eq!(code(&["--exit-zero"]), Some(0));
    let passing = bin()
        .args([
            "diagnose",
            "fixtures/logs/passing-terraform-docker-build.log",
        ])
        .output()
        .unwrap();
    assert_eq!(passing.status.code(), Some(0));
    let lint = bin()
        .args([
            "diagnose",
            "fixtures/logs/lint-go-exhaustive-switch-cases.log",
        ])
        .output()
        .unwrap();
    assert_eq!(lint.status.code(), Some(11));
}

#[test]
fn attempt_two_recommends_a_debug_rerun() {
    let report = diagnose_json(&[fixture(NETWORK).to_str().unwrap(), "--run-attempt", "2"]);
    let options = report["jobs"][0]["plan"]["options"].as_array().unwrap();
    assert_eq!(options[0]["action"], "retry_with_debug");
    let retry = options.iter().find(|o| o["action"] == "retry").unwrap();
    assert_eq!(retry["allowed"], false);
    assert_eq!(
        retry["blocked_by"],
        "attempt 2 is past policy.auto_retry_max_attempt = 1"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = bin().arg("diagnose").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["diagnose", "x.log", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_input_is_a_clear_error() {
    let out = bin().args(["diagnose", "no/such.log"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: no such file or directory: no/such.log\nhint: pass log files, directories, GitHub logs zips, or `-` for standard input\n"
    );
}

#[test]
fn a_malformed_rule_pack_names_file_rule_and_reason() {
    let dir = tempdir();
    let pack = dir.path().join("ours.toml");
    std::fs::write(
        &pack,
        "[pack]\nname = \"ours\"\nversion = \"1\"\n\n[[rules]]\nid = \"ours-broken\"\ncategory = \"network\"\ntitle = \"t\"\nconfidence = 0.5\npattern = 'Connection (reset'\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "diagnose",
            "fixtures/logs/passing-terraform-docker-build.log",
            "--rules",
        ])
        .arg(&pack)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "error: {}: rule 'ours-broken': invalid pattern: regex parse error: Connection (reset ^ error: unclosed group",
            pack.display()
        )
    );
}

#[test]
fn an_invalid_config_is_a_clear_error() {
    let dir = tempdir();
    let config = dir.path().join("recovery-agent.toml");
    std::fs::write(&config, "[policy]\nretryable = [\"auth\"]\n").unwrap();
    let out = bin()
        .args([
            "diagnose",
            "fixtures/logs/passing-terraform-docker-build.log",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("policy.retryable lists `auth`"), "{stderr}");
}

#[test]
fn a_user_pack_adds_rules_and_the_config_changes_the_policy() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("pack.toml"),
        r#"[pack]
name = "ours"
version = "1"

[[rules]]
id = "ours-registry-mirror"
category = "network"
title = "Our registry mirror at {host} failed"
pattern = '(?:for|from) (?P<host>docker\.mirror\.[^/\s]+)/'
confidence = 0.99
remediation = ["Page the owners of {host}"]
examples = ["load metadata for docker.mirror.hashicorp.services/alpine:latest"]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "rules = [\"pack.toml\"]\n[policy]\nmin_confidence = 0.995\n",
    )
    .unwrap();
    let report = diagnose_json(&[
        fixture(NETWORK).to_str().unwrap(),
        "--config",
        dir.path().join("config.toml").to_str().unwrap(),
    ]);
    let job = &report["jobs"][0];
    assert_eq!(job["diagnosis"]["rule_id"], "ours-registry-mirror");
    assert_eq!(
        job["diagnosis"]["title"],
        "Our registry mirror at docker.mirror.hashicorp.services failed"
    );
    // Below the configured minimum confidence, nothing runs automatically.
    let first = &job["plan"]["options"][0];
    assert_eq!(first["action"], "escalate");
    assert!(
        report["packs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "ours")
    );
}

#[test]
fn gzip_stdin_and_plain_inputs_agree_on_line_numbers() {
    let plain = diagnose_json(&[fixture(NETWORK).to_str().unwrap()]);
    let raw = std::fs::read(crate::common::root().join(fixture(NETWORK))).unwrap();

    let dir = tempdir();
    let gz = dir.path().join("job.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&raw).unwrap();
    enc.finish().unwrap();
    let gzipped = diagnose_json(&[gz.to_str().unwrap()]);

    let out = bin()
        .args(["diagnose", "-", "--format", "json", "--exit-zero"])
        .write_stdin(raw)
        .output()
        .unwrap();
    let stdin: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Line 809 is where the corpus's human label puts the cause.
    assert_eq!(evidence_lines(&plain).first(), Some(&809));
    assert_eq!(evidence_lines(&gzipped), evidence_lines(&plain));
    assert_eq!(evidence_lines(&stdin), evidence_lines(&plain));
    assert_eq!(stdin["jobs"][0]["source"], "<stdin>");
    assert_eq!(
        gzipped["jobs"][0]["diagnosis"]["fingerprint"],
        plain["jobs"][0]["diagnosis"]["fingerprint"]
    );
}

/// A GitHub Actions logs zip: whole-job files, a job present only as step files, and an entry that
/// tries to climb out of the archive.
#[test]
fn a_github_logs_zip_yields_one_job_per_log() {
    let dir = tempdir();
    let path = dir.path().join("logs.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let network = std::fs::read(crate::common::root().join(fixture(NETWORK))).unwrap();
    zip.start_file("1_build.txt", opts).unwrap();
    zip.write_all(&network).unwrap();
    zip.start_file("build/1_Set up job.txt", opts).unwrap();
    zip.write_all(b"ignored: the whole-job file wins\n")
        .unwrap();
    zip.start_file("test/1_Set up job.txt", opts).unwrap();
    zip.write_all(b"2024-01-01T00:00:00.0000000Z Current runner version: '2.300.0'\n")
        .unwrap();
    zip.start_file("test/2_Run cargo test.txt", opts).unwrap();
    zip.write_all(b"2024-01-01T00:00:01.0000000Z test result: FAILED. 3 passed; 1 failed; 0 ignored\n2024-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 101.\n").unwrap();
    zip.start_file("../escape.txt", opts).unwrap();
    zip.write_all(b"No space left on device\n").unwrap();
    zip.finish().unwrap();

    let report = diagnose_json(&[path.to_str().unwrap()]);
    let jobs = report["jobs"].as_array().unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["build", "test"]);
    assert_eq!(jobs[0]["diagnosis"]["category"], "network");
    assert_eq!(jobs[1]["diagnosis"]["category"], "test_failure");
    assert_eq!(jobs[1]["failed_step"]["name"], "Run cargo test");
    assert_eq!(jobs[1]["diagnosis"]["evidence"][0]["line"], 2);
}

#[test]
fn a_directory_is_read_in_name_order() {
    let dir = tempdir();
    std::fs::copy(
        crate::common::root().join(fixture(NETWORK)),
        dir.path().join("b.log"),
    )
    .unwrap();
    std::fs::copy(
        crate::common::root().join("fixtures/logs/passing-terraform-docker-build.log"),
        dir.path().join("a.log"),
    )
    .unwrap();
    let report = diagnose_json(&[dir.path().to_str().unwrap()]);
    let names: Vec<&str> = report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["verdict"], "retry");
}

#[test]
fn the_report_file_matches_stdout_and_is_written_whole() {
    let dir = tempdir();
    let path = dir.path().join("report.json");
    let out = bin()
        .args(["diagnose", "--format", "json", "--exit-zero", "--report"])
        .arg(&path)
        .arg(fixture(NETWORK))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), out.stdout);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["report.json"],
        "no temporary files are left behind"
    );
}

#[test]
fn same_inputs_give_byte_identical_reports() {
    let run = || {
        bin()
            .args(["diagnose", "--format", "json", "--exit-zero"])
            .arg(fixture(NETWORK))
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn travis_logs_use_folds_commands_and_the_final_status() {
    let log = "travis_fold:start:worker_info\r\x1b[0KWorker information\nhostname: x\ntravis_fold:end:worker_info\r\x1b[0K\n$ npm ci\nadded 10 packages\n$ npm test\n\n  3 passing\n  1 failing\n\n  1) math\n       adds:\n     AssertionError [ERR_ASSERTION]: 1 == 2\n\nThe command \"npm test\" exited with 1.\n\nDone. Your build exited with 1.\n";
    let out = bin()
        .args(["diagnose", "-", "--format", "json", "--exit-zero"])
        .write_stdin(log)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = &report["jobs"][0];
    assert_eq!(job["format"], "travis");
    assert_eq!(job["outcome"], "failed");
    assert_eq!(job["outcome_line"], 17);
    assert_eq!(job["failed_step"]["name"], "$ npm test");
    assert_eq!(job["diagnosis"]["category"], "test_failure");
    assert_eq!(job["diagnosis"]["evidence"][0]["line"], 11);
}

/// A failure no rule explains is still located, and reported as `unknown` for a human.
#[test]
fn an_unexplained_failure_points_at_its_most_likely_error_line() {
    let log = "2024-01-01T00:00:00.0000000Z ##[group]Run ./deploy.sh\n2024-01-01T00:00:01.0000000Z deploying\n2024-01-01T00:00:02.0000000Z Frobnicator error: the widget refused the gizmo\n2024-01-01T00:00:03.0000000Z ##[error]Process completed with exit code 3.\n";
    let out = bin()
        .args(["diagnose", "-", "--format", "json"])
        .write_stdin(log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(12));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &report["jobs"][0]["diagnosis"];
    assert_eq!(d["category"], "unknown");
    assert_eq!(d["rule_id"], Value::Null);
    assert_eq!(d["evidence"][0]["line"], 3);
    assert_eq!(
        report["jobs"][0]["plan"]["options"][0]["action"],
        "escalate"
    );
}

#[test]
fn a_truncated_gzip_is_diagnosed_as_far_as_it_goes_and_says_so() {
    let raw = std::fs::read(crate::common::root().join(fixture(NETWORK))).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw).unwrap();
    let gz = enc.finish().unwrap();
    let dir = tempdir();
    let path = dir.path().join("cut.log.gz");
    std::fs::write(&path, &gz[..gz.len() * 9 / 10]).unwrap();
    let report = diagnose_json(&[path.to_str().unwrap()]);
    let degraded = report["degraded"].as_array().unwrap();
    assert_eq!(degraded.len(), 1, "{degraded:?}");
    assert!(
        degraded[0].as_str().unwrap().contains("the log ends early"),
        "{degraded:?}"
    );
    assert!(report["jobs"][0]["lines"].as_u64().unwrap() > 100);
}

#[test]
fn one_unreadable_log_does_not_cost_the_others_their_report() {
    let dir = tempdir();
    let bad = dir.path().join("bad.log.gz");
    std::fs::write(&bad, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff]).unwrap();
    let report = diagnose_json(&[bad.to_str().unwrap(), fixture(NETWORK).to_str().unwrap()]);
    assert_eq!(report["jobs"].as_array().unwrap().len(), 1);
    assert!(
        report["degraded"][0]
            .as_str()
            .unwrap()
            .starts_with(bad.to_str().unwrap())
    );
}

#[test]
fn a_template_directory_overrides_the_builtin_markdown() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("report.md.j2"),
        "verdict={{ verdict }}{% for job in jobs %} {{ job.name | md }}:{{ job.diagnosis.category }}{% endfor %}\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "diagnose",
            "--format",
            "markdown",
            "--exit-zero",
            "--templates",
        ])
        .arg(dir.path())
        .arg(fixture(NETWORK))
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "verdict=retry network-docker-buildkit-layer-fetch-failed:network\n"
    );
}

#[test]
fn a_template_that_refers_to_a_missing_field_is_a_clear_error() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("report.md.j2"),
        "line one\n{{ jobs[0].diagnosis.no_such_field }}\n",
    )
    .unwrap();
    let out = bin()
        .args(["diagnose", "--format", "markdown", "--templates"])
        .arg(dir.path())
        .arg(fixture(NETWORK))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: template `report.md.j2`: undefined value"),
        "{stderr}"
    );
    assert!(stderr.contains("(in report.md.j2:2)"), "{stderr}");
    assert!(
        stderr.contains("hint: templates see the JSON report"),
        "{stderr}"
    );
}
