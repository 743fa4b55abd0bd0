//! The full pipeline (ingest, prefilter, scan, score, decide) with the built-in rule library, on raw
//! bytes (plain or gzip). It must never panic, hang or blow up in memory, and:
//!
//! * plain input (not gzip) is always diagnosed (`Ok`): only a broken gzip stream may fail;
//! * the category is `unknown` exactly when no rule decided (no built-in rule has category
//!   `unknown`), and a deciding rule id is never empty.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use recovery_agent::harness::{Diagnoser, Rules};

// The library and its compiled matcher are built once per process, not per input; the diagnoser
// borrows the library, so both live for the whole run.
static RULES: LazyLock<Rules> =
    LazyLock::new(|| Rules::builtin().unwrap_or_else(|e| panic!("built-in rules: {e}")));
static DIAGNOSER: LazyLock<Diagnoser<'static>> = LazyLock::new(|| {
    RULES
        .diagnoser()
        .unwrap_or_else(|e| panic!("built-in matcher: {e}"))
});

fuzz_target!(
    init: {
        LazyLock::force(&DIAGNOSER);
    },
    |data: &[u8]| {
        let gzip = data.starts_with(&[0x1f, 0x8b]);
        match DIAGNOSER.diagnose(data.to_vec()) {
            Ok((category, rule)) => {
                assert_eq!(
                    category == "unknown",
                    rule.is_none(),
                    "category {category} with deciding rule {rule:?}"
                );
                if let Some(id) = rule {
                    assert!(!id.is_empty(), "a deciding rule with an empty id");
                }
            }
            Err(e) => assert!(gzip, "plain input must always be diagnosed: {e}"),
        }
    }
);
