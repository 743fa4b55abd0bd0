//! `harness::rule_pack` on arbitrary text: a user's rule pack, parsed and every regex compiled.
//!
//! `Err(message)` is a legitimate outcome; a panic, a hang (`-timeout`) or a blow-up in memory
//! (`-rss_limit_mb` / `-malloc_limit_mb`) is a bug. On top of that:
//!
//! * every error names the pack's file first, as a user sees it (`fuzz.toml: …`) and is one line
//!   long enough to say something;
//! * an accepted pack is valid TOML (checked with the same `toml` crate), and the rule count it
//!   reports is the length of its `rules` array (0 when there is none).

#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_agent::harness;

fuzz_target!(|data: &[u8]| {
    // Lossy, so no input is wasted: invalid UTF-8 becomes U+FFFD, which TOML strings accept.
    let text = String::from_utf8_lossy(data);
    match harness::rule_pack(&text) {
        Ok(count) => {
            let table: toml::Table = toml::from_str(&text)
                .unwrap_or_else(|e| panic!("rule_pack accepted invalid TOML ({e}): {text:?}"));
            let want = match table.get("rules") {
                None => 0,
                Some(toml::Value::Array(rules)) => rules.len(),
                Some(other) => panic!("rule_pack accepted `rules` = {other:?}"),
            };
            assert_eq!(count, want, "rule count vs the `rules` array");
        }
        Err(message) => {
            assert!(
                message.starts_with("fuzz.toml: "),
                "an error must name the pack's file: {message:?}"
            );
            assert!(
                message.len() > "fuzz.toml: ".len(),
                "an empty error: {message:?}"
            );
        }
    }
});
