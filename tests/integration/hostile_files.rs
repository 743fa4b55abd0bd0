//! Hostile files: huge, binary, empty, compressed bombs, unsafe archives, symlink loops, broken rule
//! packs. Each gets a clear error or a report that says what was degraded: never a panic or a hang.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::{assert_degraded, assert_success, bin};

/// Generous: a guard against hangs, not a speed check (debug builds on a loaded 2-core machine).
const HANG: Duration = Duration::from_secs(300);

/// `diagnose --format json` on `paths`: the exit status and the report.
fn diagnose(paths: &[&Path]) -> (std::process::Output, Value) {
    let out = bin()
        .args(["diagnose", "--format", "json", "--exit-zero"])
        .args(paths)
        .timeout(HANG)
        .output()
        .unwrap();
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = serde_json::from_slice(&out.stdout).unwrap();
    crate::common::assert_valid(&report);
    (out, report)
}

fn job_names(report: &Value) -> Vec<String> {
    report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes `total` bytes of `byte` through `sink` in 1 MiB pieces.
fn fill(sink: &mut dyn std::io::Write, byte: u8, total: usize) {
    let block = vec![byte; 1 << 20];
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len());
        sink.write_all(&block[..n]).unwrap();
        left -= n;
    }
}

#[test]
fn a_200_mb_line_without_a_newline_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(b"Error: ").unwrap();
    fill(&mut file, b'x', 200 << 20);
    drop(file);
    let (_, report) = diagnose(&[&path]);
    let job = &report["jobs"][0];
    assert_eq!(job["lines"], 1);
    assert_eq!(job["bytes"], (200 << 20) + 7);
    assert_degraded(&report, &["longer than 64 KiB"]);
}

#[test]
fn binary_nul_and_invalid_utf8_input_is_diagnosed_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.log");
    // Every byte value, NULs and bytes that are never valid UTF-8 among them, then a real error line
    // that carries invalid UTF-8 itself.
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(64 << 10).collect();
    bytes.extend_from_slice(b"\nwrite /tmp/x: No space left on device \xff\xfe\x00 end\n");
    std::fs::write(&path, &bytes).unwrap();
    let (_, report) = diagnose(&[&path]);
    let job = &report["jobs"][0];
    assert_eq!(job["diagnosis"]["category"], "resource_exhaustion");
    let evidence = job["diagnosis"]["evidence"][0]["text"].as_str().unwrap();
    assert!(evidence.contains('\u{FFFD}'), "{evidence}");
    assert!(!evidence.contains('\0'), "{evidence}");
}

#[test]
fn an_empty_log_is_reported_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.log");
    std::fs::write(&path, b"").unwrap();
    let (_, report) = diagnose(&[&path]);
    assert_eq!(report["jobs"][0]["lines"], 0);
    assert_degraded(
        &report,
        &["empty.log: the log is empty; there is nothing to diagnose"],
    );
}

#[test]
fn a_gzip_bomb_is_stopped_and_the_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::best(),
    );
    gz.write_all(b"npm ERR! code ECONNRESET\n").unwrap();
    fill(&mut gz, 0, 1 << 30);
    gz.finish().unwrap();
    let compressed = std::fs::metadata(&path).unwrap().len();
    assert!(compressed < 2 << 20, "a bomb is small: {compressed} bytes");

    let (_, report) = diagnose(&[&path]);
    let job = &report["jobs"][0];
    // Reading stopped far short of the GiB inside; what was read still counts.
    let read = job["bytes"].as_u64().unwrap();
    assert!(read <= allowance(compressed), "read {read} bytes");
    assert_eq!(job["diagnosis"]["category"], "network");
    assert_stopped_as_a_bomb(&report);
}

#[track_caller]
fn assert_stopped_as_a_bomb(report: &Value) {
    assert_degraded(report, &["decompression stopped", "decompression bomb"]);
}

/// What a compressed file of `compressed` bytes may expand to, with room for the last block read.
fn allowance(compressed: u64) -> u64 {
    (200 * compressed).max(64 << 20) + (2 << 20)
}

/// Writes one zip entry's contents.
type Contents = Box<dyn Fn(&mut dyn std::io::Write)>;

fn entry(name: &str, contents: impl Fn(&mut dyn std::io::Write) + 'static) -> (String, Contents) {
    (name.to_owned(), Box::new(contents))
}

/// A zip with the given entries (name, contents), deflated.
fn zip(path: &Path, entries: impl IntoIterator<Item = (String, Contents)>) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, write) in entries {
        zip.start_file(name, options).unwrap();
        write(&mut zip);
    }
    zip.finish().unwrap();
}

#[test]
fn a_zip_bomb_is_stopped_and_the_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.zip");
    zip(
        &path,
        [
            entry("1_build.txt", |w| {
                w.write_all(b"fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com\n").unwrap();
                fill(w, 0, 1 << 30);
            }),
            entry("2_test.txt", |w| fill(w, 0, 1 << 30)),
        ],
    );
    let (_, report) = diagnose(&[&path]);
    assert_stopped_as_a_bomb(&report);
    // Both jobs draw on one budget for the archive, far short of the 2 GiB inside.
    let read: u64 = report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["bytes"].as_u64().unwrap())
        .sum();
    let compressed = std::fs::metadata(&path).unwrap().len();
    assert!(
        read <= allowance(compressed),
        "read {read} of {compressed} bytes"
    );
    assert_eq!(report["jobs"][0]["diagnosis"]["category"], "network");
}

#[test]
fn a_zip_with_too_many_entries_is_read_in_part_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.zip");
    let first = entry("1_build.txt", |w| {
        w.write_all(b"write /tmp/x: No space left on device\n")
            .unwrap();
    });
    let filler = (0..10_050).map(|i| entry(&format!("junk/{i}.bin"), |_| {}));
    zip(&path, std::iter::once(first).chain(filler));
    let (_, report) = diagnose(&[&path]);
    assert_eq!(job_names(&report), ["build"]);
    assert_degraded(
        &report,
        &["the archive holds 10051 entries; only the first 10000 were considered"],
    );
}

#[test]
fn zip_entries_that_climb_out_of_the_archive_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escape.zip");
    let text = |text: &'static [u8]| move |w: &mut dyn std::io::Write| w.write_all(text).unwrap();
    zip(
        &path,
        [
            entry("../2_evil.txt", text(b"Error: evil\n")),
            entry("/3_abs.txt", text(b"Error: absolute\n")),
            entry("build/../../4_up.txt", text(b"Error: up\n")),
            entry("1_build.txt", text(b"No space left on device\n")),
        ],
    );
    let (_, report) = diagnose(&[&path]);
    assert_eq!(job_names(&report), ["build"]);
}

#[test]
#[cfg(unix)]
fn a_directory_with_symlink_loops_is_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("nested")).unwrap();
    std::fs::write(logs.join("nested/job.log"), b"No space left on device\n").unwrap();
    std::os::unix::fs::symlink(&logs, logs.join("nested/loop")).unwrap();
    std::os::unix::fs::symlink("self", logs.join("self")).unwrap();
    std::os::unix::fs::symlink("../nested", logs.join("nested/up")).unwrap();
    let (_, report) = diagnose(&[&logs]);
    assert_eq!(job_names(&report), ["job"]);
}

#[test]
fn rule_packs_with_enormous_or_invalid_regexes_name_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    for (rule, pattern, reason) in [
        (
            "big-repeat",
            "'(?:a{1000}){1000}'",
            "invalid pattern: Compiled regex exceeds size limit of 1048576 bytes.",
        ),
        (
            "big-text",
            &format!("'{}'", "a".repeat(100_000)),
            "pattern is 100000 bytes long (the limit is 4096)",
        ),
        (
            "bad-group",
            "'(unclosed'",
            "invalid pattern: regex parse error: (unclosed ^ error: unclosed group",
        ),
    ] {
        let pack = dir.path().join(format!("{rule}.toml"));
        std::fs::write(
            &pack,
            format!(
                "[pack]\nname = \"ours\"\nversion = \"1\"\n\n[[rules]]\nid = \"{rule}\"\ncategory = \"network\"\ntitle = \"t\"\nconfidence = 0.5\npattern = {pattern}\n"
            ),
        )
        .unwrap();
        let out = bin()
            .args(["diagnose", "--rules"])
            .arg(&pack)
            .arg(crate::common::fixture(
                "resource_exhaustion-gha-runner-no-space-left-on-device.log",
            ))
            .timeout(HANG)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{rule}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let expected = format!("error: {}: rule '{rule}': {reason}\n", pack.display());
        assert!(stderr.starts_with(&expected), "{stderr}");
    }
}

/// Runs `rules list` on one user pack (no built-in rules) and returns the exit code and stderr.
fn list_pack(pack: &Path) -> (Option<i32>, String) {
    let out = bin()
        .args(["rules", "list", "--no-builtin-rules", "--rules"])
        .arg(pack)
        .timeout(HANG)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// Writes pack `name` of `count` rules, each with `rule(i)` after its common keys, runs `rules
/// list` on it, and expects exit 3 and `message`; returns the pack's path and stderr.
fn list_generated(
    dir: &Path,
    name: &str,
    count: usize,
    rule: impl Fn(usize) -> String,
    message: &str,
) -> (PathBuf, String) {
    let pack = dir.join(format!("{name}.toml"));
    let mut text = format!("[pack]\nname = \"{name}\"\nversion = \"1\"\n");
    for i in 0..count {
        text.push_str(&format!(
            "\n[[rules]]\nid = \"{name}-{i}\"\ncategory = \"network\"\ntitle = \"t\"\nconfidence = 0.5\n{}\n",
            rule(i)
        ));
    }
    std::fs::write(&pack, text).unwrap();
    let (code, stderr) = list_pack(&pack);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    (pack, stderr)
}

#[test]
fn rule_packs_cannot_make_loading_slow_or_memory_hungry() {
    let dir = tempfile::tempdir().unwrap();
    // Each `\w{20}` compiles to most of the per-pattern limit (Unicode word characters): 8 KiB of
    // them once cost 235 MB and 1.6 s to load, 64 KiB 1.8 GB and 16 s.
    let (heavy, stderr) = list_generated(
        dir.path(),
        "heavy",
        64,
        |_| {
            "pattern = '\\w{20}'\nexclude = '\\w{20}'\nthen = { pattern = '\\w{20}', within = 2 }"
                .to_owned()
        },
        "may compile to 32 MiB in all, and this one does not fit",
    );
    assert!(
        stderr.starts_with(&format!("error: {}: rule 'heavy-", heavy.display())),
        "{stderr}"
    );
    list_generated(
        dir.path(),
        "many",
        5_001,
        |i| format!("pattern = 'literal {i}'"),
        "5001 rules is more than the 5000 all rule packs given may hold together",
    );
}
