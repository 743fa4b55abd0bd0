//! Every fixture log in `fixtures/logs/` (real CI logs, sources in `fixtures/logs/SOURCES.md`).
//!
//! A fixture's file name starts with the category a human gave it (`network-…`, `lint-…`), or
//! `passing-…` for a job that passed. The label, not the code, is the expected answer.

use std::path::Path;

use serde_json::Value;

use crate::common::{CATEGORIES, assert_valid, bin, redact_volatile};

fn relative(path: &Path) -> String {
    path.strip_prefix(crate::common::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn label(path: &Path) -> &str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap();
    name.split_once('-').map_or(name, |(label, _)| label)
}

fn run(path: &str, format: &str) -> (String, i32) {
    let out = bin()
        .args(["diagnose", path, "--format", format, "--color", "never"])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "killed by a signal");
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// The diagnosis agrees with the human label, the report is schema-valid, and the exit code encodes
/// the verdict.
#[test]
fn fixtures_are_diagnosed_as_labeled() {
    insta::glob!("../../fixtures/logs", "*.log", |path| {
        let file = relative(path);
        let (json, code) = run(&file, "json");
        let report: Value = serde_json::from_str(&json).unwrap();
        assert_valid(&report);
        let job = &report["jobs"][0];
        let got = job["diagnosis"]["category"].as_str().unwrap();
        match label(path) {
            "passing" => {
                assert_eq!(job["outcome"], "passed", "{file}");
                assert_eq!(report["verdict"], "passed", "{file}");
                assert!(
                    job["plan"]["options"].as_array().unwrap().is_empty(),
                    "{file}"
                );
                assert!(
                    job["diagnosis"]["confidence"].as_f64().unwrap() < 0.5,
                    "{file}"
                );
            }
            expected => {
                assert!(
                    CATEGORIES.contains(&expected),
                    "fixture {file} has no category prefix"
                );
                assert_eq!(got, expected, "{file}: diagnosed {got}, labeled {expected}");
                assert_ne!(job["outcome"], "passed", "{file}");
                assert!(
                    !job["plan"]["options"].as_array().unwrap().is_empty(),
                    "{file} has no plan"
                );
            }
        }
        let expected_code = match report["verdict"].as_str().unwrap() {
            "passed" => 0,
            "retry" => 10,
            "manual_fix" => 11,
            "escalate" => 12,
            other => panic!("unknown verdict {other}"),
        };
        assert_eq!(
            code, expected_code,
            "{file}: exit code does not encode the verdict"
        );
    });
}

/// Snapshots of the three output formats, for every fixture.
#[test]
fn fixture_output_snapshots() {
    insta::glob!("../../fixtures/logs", "*.log", |path| {
        let file = relative(path);
        let (json, _) = run(&file, "json");
        let report: Value = serde_json::from_str(&json).unwrap();
        insta::assert_json_snapshot!("json", report, {
            ".tool.version" => "[version]",
            ".config_digest" => "[digest]",
            ".rules_digest" => "[digest]",
            ".packs" => "[packs]",
        });
        insta::assert_snapshot!("text", redact_volatile(&run(&file, "text").0));
        insta::assert_snapshot!("markdown", redact_volatile(&run(&file, "markdown").0));
    });
}

/// There is a fixture for every category, so each is covered by the snapshots above.
#[test]
fn every_category_has_a_fixture() {
    let dir = crate::common::root().join("fixtures/logs");
    let labels: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".log")?;
            Some(stem.split_once('-').map_or(stem, |(l, _)| l).to_owned())
        })
        .collect();
    for category in CATEGORIES.iter().chain(&["passing"]) {
        assert!(
            labels.iter().any(|l| l == category),
            "no fixture for {category}"
        );
    }
}

/// Every fixture has its source and licence recorded beside it.
#[test]
fn every_fixture_has_a_recorded_source() {
    let dir = crate::common::root().join("fixtures/logs");
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".log") {
            assert!(
                sources.contains(&format!("`{name}`")),
                "{name} is not in fixtures/logs/SOURCES.md"
            );
        }
    }
}
