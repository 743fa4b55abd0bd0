//! Shared test helpers.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The taxonomy's categories (taxonomy.md), `unknown` last.
pub(crate) const CATEGORIES: &[&str] = &[
    "network",
    "rate_limit",
    "auth",
    "dependency_resolution",
    "compilation",
    "test_failure",
    "lint",
    "configuration",
    "resource_exhaustion",
    "timeout",
    "infrastructure",
    "cache",
    "unknown",
];

/// The binary with an environment that cannot leak the caller's CI context into the test.
pub(crate) fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recovery-agent"));
    for var in [
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_RUN_ID",
        "GITHUB_ACTIONS",
        "GITHUB_TOKEN",
        "GITHUB_API_URL",
        "CI",
        "NO_COLOR",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(root());
    cmd
}

pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture log, as a path relative to the crate root (so reports show stable paths).
pub(crate) fn fixture(name: &str) -> PathBuf {
    let path = PathBuf::from("fixtures/logs").join(name);
    assert!(
        root().join(&path).is_file(),
        "missing fixture {}",
        path.display()
    );
    path
}

/// Runs `diagnose --format json` and returns the parsed report.
pub(crate) fn diagnose_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("diagnose")
        .args(args)
        .args(["--format", "json", "--exit-zero"])
        .output()
        .unwrap();
    assert_success(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The committed schema of the report.
pub(crate) fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("schema/report-v1.json")).unwrap())
        .unwrap()
}

/// Fails with every violation when `report` does not conform to the committed schema.
#[track_caller]
pub(crate) fn assert_valid(report: &Value) {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match schema/report-v1.json:\n{}",
        errors.join("\n")
    );
}

/// Replaces the report's own digests and version (they change with every rule edit or release), for
/// snapshots. Log text is left alone, digests in it included.
pub(crate) fn redact_volatile(text: &str) -> String {
    let short = regex::Regex::new(r"(rules|config) `[0-9a-f]{12}`").unwrap();
    let version = format!("recovery-agent {}", env!("CARGO_PKG_VERSION"));
    short
        .replace_all(text, "$1 `[digest]`")
        .replace(&version, "recovery-agent [version]")
}

/// Replaces full digests and throughput lines (they change with every rule edit and every run), for
/// snapshots of eval and replay output.
pub(crate) fn redact_run(text: &str) -> String {
    let digest = regex::Regex::new(r"sha256:[0-9a-f]{64}").unwrap();
    let speed = regex::Regex::new(r"(?m)^.*(logs/s| thread\(s\)).*$").unwrap();
    let text = digest.replace_all(text, "sha256:[digest]");
    speed.replace_all(&text, "[throughput]").into_owned()
}

/// Fails unless one entry of the report's `degraded` contains every one of `parts`.
#[track_caller]
pub(crate) fn assert_degraded(report: &Value, parts: &[&str]) {
    let degraded = report["degraded"].as_array().unwrap();
    assert!(
        degraded.iter().any(|d| {
            let d = d.as_str().unwrap();
            parts.iter().all(|p| d.contains(p))
        }),
        "no `degraded` entry says {parts:?}: {degraded:?}"
    );
}

/// Fails the test, showing the command's standard error, unless it exited successfully.
#[track_caller]
pub(crate) fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
