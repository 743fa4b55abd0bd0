//! `cargo bench`: the scanning engine on real logs, in bytes per second, and the cost of starting.
//!
//! The input is every log in `fixtures/logs/` concatenated (about 1 MB of real CI output), repeated
//! to the sizes below. `bench/compare.sh` measures the whole binary against ripgrep instead.

#![allow(
    clippy::panic,
    reason = "a benchmark that cannot load the built-in rules has nothing to measure"
)]

use divan::counter::BytesCount;
use recovery_agent::harness::{self, Rules};

fn main() {
    divan::main();
}

/// Every fixture log, concatenated, repeated until it holds at least `size` bytes.
fn real_logs(size: usize) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/logs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "log"));
    paths.sort();
    let unit: Vec<u8> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .flatten()
        .collect();
    let mut out = Vec::with_capacity(size + unit.len());
    while !unit.is_empty() && out.len() < size {
        out.extend_from_slice(&unit);
    }
    out
}

const SIZES: &[usize] = &[1 << 20, 16 << 20];

/// Reading alone: splitting, normalising, step and outcome tracking.
#[divan::bench(args = SIZES, sample_count = 10)]
fn ingest(bencher: divan::Bencher<'_, '_>, size: usize) {
    let log = real_logs(size);
    bencher
        .counter(BytesCount::of_slice(&log))
        .bench(|| harness::ingest(divan::black_box(&log)));
}

/// A whole diagnosis with the built-in library: ingest, prefilter, rule regexes, scoring.
#[divan::bench(args = SIZES, sample_count = 10)]
fn diagnose(bencher: divan::Bencher<'_, '_>, size: usize) {
    let log = real_logs(size);
    let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let diagnoser = rules.diagnoser().unwrap_or_else(|e| panic!("{e}"));
    bencher
        .counter(BytesCount::of_slice(&log))
        .with_inputs(|| log.clone())
        .bench_values(|log| diagnoser.diagnose(log));
}

/// What every run pays before reading a line: loading the packs and building the prefilter.
#[divan::bench(sample_count = 20)]
fn start() -> usize {
    let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let diagnoser = rules.diagnoser().unwrap_or_else(|e| panic!("{e}"));
    divan::black_box(&diagnoser);
    1
}
