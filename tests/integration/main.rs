//! Integration tests: the `recovery-agent` binary, driven as users drive it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a broken expectation should fail the test loudly"
)]

// The composite action's scripts.
mod action;
// Shared helpers: a clean command, fixture paths, the report schema.
mod common;
// Command-line behaviour: inputs, exit codes, errors, determinism.
mod cli;
// `eval` on a hand-scored corpus, and the baseline gate.
mod eval;
// `run` against a wiremock GitHub, faults included.
mod github;
// Every fixture log: expected category, schema-valid JSON, and snapshots of all three formats.
mod fixtures;
// Hostile log text: secrets, workflow commands, mentions, HTML, fence breaks.
mod hostile;
// Hostile files: huge, binary, empty, decompression bombs, unsafe archives, symlink loops, bad packs.
mod hostile_files;
// `replay`: outcomes, budgets under a retry storm, byte-identical output.
mod replay;
// `rules list|test|export|lint` and `schema`.
mod rules;
