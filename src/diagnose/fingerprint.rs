//! Fingerprints: a stable identity for "the same failure", with volatile tokens masked.
//!
//! Algorithm `v1`: `v1:` + the first 16 hex digits of SHA-256 over the rule id and the masked values of
//! the rule's fingerprint captures (`name=value` lines, sorted by name). A rule without such captures
//! contributes its masked evidence line instead, and a failure no rule matched contributes `unknown`
//! and its masked error line. Changing anything here changes every fingerprint: bump the version.

use std::sync::LazyLock;

use crate::rules::SplitRegex;

pub(crate) const VERSION: &str = "v1";

/// Volatile tokens, masked in this order (earlier, more specific shapes first).
#[rustfmt::skip]
const MASKS: &[(&str, &str)] = &[
    // ISO-8601 / RFC 3339 timestamps and dates, and clock times.
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "<ts>"),
    (r"\b\d{4}-\d{2}-\d{2}\b", "<date>"),
    (r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "<time>"),
    (r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>"),
    // Durations: 1.23s, 450ms, 2m30s, 1h 2m, 00:01:02 is a time above.
    // The word boundary closes the whole run, so `2m30s` is one duration (none falls after `m`).
    (r"(?i)\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)(?:\s?\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|m|min))*\b", "<dur>"),
    // Hex ids and digests (7+ hex digits with at least one digit), with an optional algorithm prefix.
    (r"(?i)\b(?:sha(?:1|256|512):)?[0-9a-f]*\d[0-9a-f]*\b", "<hex>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<ip>"),
    // Paths: keep the last component, which names the file; the directories differ per machine.
    (r"(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+)+[\\/](?P<last>[\w.@+-]+)", "<path>/$last"),
    (r"\d+", "N"),
];

/// Compiled size cap for one mask (they are fixed; this only keeps the type's contract).
const MASK_SIZE_LIMIT: usize = 1 << 22;

// Masks run on a handful of short texts per diagnosis; in their ASCII form they are quick to compile,
// and only a text with non-ASCII characters needs the full, Unicode-aware regex.
static COMPILED: LazyLock<Vec<(SplitRegex, &'static str)>> = LazyLock::new(|| {
    MASKS
        .iter()
        .filter_map(|(p, r)| SplitRegex::new(p, MASK_SIZE_LIMIT).map(|re| (re, *r)))
        .collect()
});

/// Compiles the masks now rather than when the first fingerprint is taken.
pub(crate) fn warm() {
    LazyLock::force(&COMPILED);
}

/// Replaces volatile tokens with placeholders, so two runs of one failure read the same.
pub(crate) fn mask(text: &str) -> String {
    let mut out = text.trim().to_owned();
    for (i, (split, replacement)) in COMPILED.iter().enumerate() {
        let Some(re) = split.on(&out) else {
            continue;
        };
        // The hex mask only applies to runs of 7+ characters with a letter among them; shorter runs
        // and plain digits are numbers, masked later (a pid of 999999 and one of 1000000 read alike).
        let next = if i == 5 {
            re.replace_all(&out, |c: &regex::Captures<'_>| {
                let m = c.get(0).map_or("", |m| m.as_str());
                let digest = m.contains(':') || m.bytes().any(|b| b.is_ascii_alphabetic());
                if m.len() >= 7 && digest {
                    "<hex>".to_owned()
                } else {
                    m.to_owned()
                }
            })
        } else {
            re.replace_all(&out, *replacement)
        };
        out = next.into_owned();
    }
    out
}

/// Computes a `v1` fingerprint from a rule id (or `unknown`) and its identifying parts.
pub(crate) fn fingerprint(key: &str, parts: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, String)> =
        parts.iter().map(|(n, v)| (n.as_str(), mask(v))).collect();
    sorted.sort();
    let mut material = String::from(key);
    for (name, value) in sorted {
        material.push('\n');
        material.push_str(name);
        material.push('=');
        material.push_str(&value);
    }
    let digest = crate::digest::sha256_hex(material.as_bytes());
    format!("{VERSION}:{}", digest.get(..16).unwrap_or(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mask_compiles() {
        assert_eq!(COMPILED.len(), MASKS.len());
    }

    #[test]
    fn masks_volatile_tokens() {
        #[track_caller]
        fn case(input: &str, expected: &str) {
            assert_eq!(mask(input), expected);
        }
        case(
            "2024-01-02T03:04:05.123Z request failed",
            "<ts> request failed",
        );
        case("took 1.23s and 450ms", "took <dur> and <dur>");
        case(
            "layer sha256:4edbd2beb5f78b1014028f4fbb99 missing",
            "layer <hex> missing",
        );
        case("commit 1a2b3c4d broke it", "commit <hex> broke it");
        case("id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>");
        case("connect to 10.1.2.3:443 failed", "connect to <ip> failed");
        case(
            "/home/runner/work/app/app/src/main.rs:10:5: error",
            "<path>/main.rs:N:N: error",
        );
        case(
            "C:\\a\\b\\c.cs(10,5): error CS0246",
            "<path>/c.cs(N,N): error CSN",
        );
        case("Tests: 3 failed, 120 passed", "Tests: N failed, N passed");
        case("at 12:30:45 job lost", "at <time> job lost");
    }

    #[test]
    fn volatile_tokens_do_not_change_the_fingerprint() {
        let a = fingerprint(
            "net-x",
            &[("host".to_owned(), "10.0.0.1:443 after 1.2s".to_owned())],
        );
        let b = fingerprint(
            "net-x",
            &[("host".to_owned(), "10.9.8.7:443 after 30s".to_owned())],
        );
        assert_eq!(a, b);
        assert!(a.starts_with("v1:") && a.len() == 19, "{a}");
    }

    #[test]
    fn rule_and_captures_change_the_fingerprint() {
        let parts = [("package".to_owned(), "left-pad".to_owned())];
        assert_ne!(fingerprint("npm-a", &parts), fingerprint("npm-b", &parts));
        assert_ne!(
            fingerprint("npm-a", &parts),
            fingerprint("npm-a", &[("package".to_owned(), "right-pad".to_owned())])
        );
        let order_a = [
            ("a".to_owned(), "1x".to_owned()),
            ("b".to_owned(), "y".to_owned()),
        ];
        let order_b = [
            ("b".to_owned(), "y".to_owned()),
            ("a".to_owned(), "1x".to_owned()),
        ];
        assert_eq!(fingerprint("r", &order_a), fingerprint("r", &order_b));
    }
}
