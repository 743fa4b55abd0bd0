//! Property tests for fingerprints: volatile tokens never change one, and different rules never collide.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::fingerprint::{VERSION, fingerprint, mask};

fn config(cases: u32) -> ProptestConfig {
    crate::props::config(cases, 0xf1_9e12)
}

/// The kinds of volatile token that differ between two runs of one failure.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Timestamp,
    Date,
    Time,
    Uuid,
    Sha,
    Digest,
    Duration,
    Ip,
    Number,
    Path,
}

const KINDS: [Kind; 10] = [
    Kind::Timestamp,
    Kind::Date,
    Kind::Time,
    Kind::Uuid,
    Kind::Sha,
    Kind::Digest,
    Kind::Duration,
    Kind::Ip,
    Kind::Number,
    Kind::Path,
];

fn date() -> impl Strategy<Value = String> {
    (1970u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn clock() -> impl Strategy<Value = String> {
    (0u32..24, 0u32..60, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}"))
}

/// Hex digits, lower or upper case as a whole (tools print one or the other).
fn hex(len: usize, upper: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(b"0123456789abcdef".to_vec()), len).prop_map(
        move |digits| {
            let s: String = digits.into_iter().map(char::from).collect();
            if upper { s.to_ascii_uppercase() } else { s }
        },
    )
}

/// A directory name that is not itself a volatile token: `node_modules`, `runner`, `app_2`.
fn directory() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "home",
            "runner",
            "work",
            "src",
            "lib",
            "target",
            "debug",
            "_temp",
            ".cargo",
            "registry",
            "node_modules",
            ".pnpm",
            "site-packages",
            "python3.11",
            "lodash@4.17.21",
            "Users",
            "runneradmin",
            "AppData",
            "Local",
            "Temp",
            "go",
            "pkg",
            "mod",
            "tmp",
        ])
        .prop_map(str::to_owned),
        // Not a hex id (`a2DD10C`): a directory named by one is masked as one, before paths are.
        "[A-Za-z_][A-Za-z0-9_]{0,10}".prop_filter("not a hex id", |d| {
            d.len() < 7 || !d.bytes().all(|b| b.is_ascii_hexdigit())
        }),
    ]
}

/// One random token of `kind`, shaped like the ones real tools print.
fn token(kind: Kind) -> BoxedStrategy<String> {
    match kind {
        Kind::Timestamp => (
            date(),
            prop::sample::select(vec!['T', ' ']),
            clock(),
            prop::option::of("[0-9]{1,9}"),
            prop::sample::select(vec!["", "Z", "+00:00", "-0700", "+05:30"]),
        )
            .prop_map(|(d, sep, t, frac, zone)| {
                let frac = frac.map_or_else(String::new, |f| format!(".{f}"));
                format!("{d}{sep}{t}{frac}{zone}")
            })
            .boxed(),
        Kind::Date => date().boxed(),
        Kind::Time => (0u32..24, 0u32..60, 0u32..60, prop::option::of("[0-9]{1,6}"))
            .prop_map(|(h, m, s, frac)| {
                let frac = frac.map_or_else(String::new, |f| format!(".{f}"));
                format!("{h}:{m:02}:{s:02}{frac}")
            })
            .boxed(),
        Kind::Uuid => any::<bool>()
            .prop_flat_map(|upper| {
                (
                    hex(8, upper),
                    hex(4, upper),
                    hex(4, upper),
                    hex(4, upper),
                    hex(12, upper),
                )
            })
            .prop_map(|(a, b, c, d, e)| format!("{a}-{b}-{c}-{d}-{e}"))
            .boxed(),
        // Abbreviated or full commit shas. A run of hex letters without a digit reads as a word
        // (`defaced`), which the mask leaves alone by design; tools' shas almost always hold one.
        Kind::Sha => (7usize..=40)
            .prop_flat_map(|len| hex(len, false))
            .prop_filter("a sha holds a digit", |s| {
                s.bytes().any(|b| b.is_ascii_digit())
            })
            .boxed(),
        Kind::Digest => (
            prop::sample::select(vec!["sha256", "sha1", "sha512"]),
            any::<bool>(),
        )
            .prop_flat_map(|(algo, upper)| (Just(algo), hex(64, upper)))
            .prop_filter("a digest holds a digit", |(_, h)| {
                h.bytes().any(|b| b.is_ascii_digit())
            })
            .prop_map(|(algo, h)| format!("{algo}:{h}"))
            .boxed(),
        // One number and unit (compound ones: `compound_durations_mask_like_simple_ones`).
        Kind::Duration => (
            0u32..100_000,
            prop::option::of(0u32..1000),
            prop::sample::select(vec![
                "ns", "us", "µs", "ms", "s", "sec", "secs", "second", "seconds", "m", "min",
                "mins", "minute", "minutes", "h", "hour", "hours",
            ]),
            any::<bool>(),
        )
            .prop_map(|(n, frac, unit, space)| {
                let frac = frac.map_or_else(String::new, |f| format!(".{f}"));
                let space = if space { " " } else { "" };
                format!("{n}{frac}{space}{unit}")
            })
            .boxed(),
        Kind::Ip => (any::<[u8; 4]>(), prop::option::of(1u16..=65535))
            .prop_map(|([a, b, c, d], port)| {
                let port = port.map_or_else(String::new, |p| format!(":{p}"));
                format!("{a}.{b}.{c}.{d}{port}")
            })
            .boxed(),
        // Counts, pids, ports, exit codes, run ids: any length.
        Kind::Number => any::<u64>().prop_map(|n| n.to_string()).boxed(),
        // The file name is the caller's to choose (`path_to`); this is the directories.
        Kind::Path => prop::collection::vec(directory(), 1..7)
            .prop_flat_map(|dirs| (Just(dirs), any::<bool>()))
            .prop_map(|(dirs, windows)| {
                if windows {
                    format!("C:\\{}\\", dirs.join("\\"))
                } else {
                    format!("/{}/", dirs.join("/"))
                }
            })
            .boxed(),
    }
}

/// Words around the tokens: none a digit or a unit (`s`, `ms`, `min`), so only the token can mask.
fn words() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec![
            "error:",
            "Error",
            "failed",
            "connecting",
            "to",
            "request",
            "timed",
            "out",
            "after",
            "at",
            "in",
            "while",
            "reading",
            "from",
            "cannot",
            "open",
            "took",
            "layer",
            "commit",
            "id",
            "(",
            ")",
            "->",
            "=",
            "FAILED",
            "warning:",
            "on",
            "host",
            "since",
            "pid",
        ]),
        1..6,
    )
}

/// The same template with its slots filled twice, by two tokens of one kind each time.
#[derive(Debug, Clone)]
struct Pair {
    kind: Kind,
    words: Vec<Vec<&'static str>>,
    tokens: Vec<(String, String)>,
}

impl Pair {
    fn fill(&self, second: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, words) in self.words.iter().enumerate() {
            parts.extend(words.iter().map(|w| (*w).to_owned()));
            if let Some((a, b)) = self.tokens.get(i) {
                parts.push(if second { b.clone() } else { a.clone() });
            }
        }
        parts.join(" ")
    }
}

fn file_name() -> impl Strategy<Value = String> {
    (
        "[a-z_]{1,10}",
        prop::sample::select(vec!["rs", "py", "go", "ts", "js", "cs", "java", "c", "h"]),
    )
        .prop_map(|(stem, ext)| format!("{stem}.{ext}"))
}

fn pair() -> impl Strategy<Value = Pair> {
    (prop::sample::select(KINDS.to_vec()), 1usize..=3).prop_flat_map(|(kind, slots)| {
        let tokens = prop::collection::vec(
            (token(kind), token(kind), file_name()).prop_map(move |(a, b, file)| match kind {
                // Different directories, one file.
                Kind::Path => (format!("{a}{file}"), format!("{b}{file}")),
                _ => (a, b),
            }),
            slots,
        );
        // Words before, between and after the slots: at least one between two slots, so two
        // tokens never run together into one (`10s 5` is not two durations).
        let between = prop::collection::vec(words(), slots - 1);
        (
            Just(kind),
            prop::option::of(words()),
            between,
            prop::option::of(words()),
            tokens,
        )
            .prop_map(|(kind, head, between, tail, tokens)| {
                let mut all = vec![head.unwrap_or_default()];
                all.extend(between);
                all.push(tail.unwrap_or_default());
                Pair {
                    kind,
                    words: all,
                    tokens,
                }
            })
    })
}

/// A rule id as the library accepts it (kebab-case), or the id of "no rule matched".
fn rule_id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}",
        1 => Just("unknown".to_owned()),
    ]
}

/// Capture values: log text of one line, volatile tokens included.
fn capture_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\n]{0,24}",
        prop::sample::select(KINDS.to_vec()).prop_flat_map(token),
        (words(), "[a-z@/._-]{1,12}").prop_map(|(w, x)| format!("{} {x}", w.join(" "))),
    ]
}

/// Captures as a rule's regex yields them: unique group names, each with a one-line value.
fn captures() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map("[a-z_][a-z0-9_]{0,9}", capture_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

/// What a fingerprint is meant to identify: the rule, and each capture's masked value by name.
fn identity(captures: &[(String, String)]) -> BTreeMap<String, String> {
    captures.iter().map(|(n, v)| (n.clone(), mask(v))).collect()
}

/// Whether `words` occur in `text` in order, so masking kept the text around the tokens.
fn keeps_in_order(text: &str, words: &[Vec<&str>]) -> bool {
    let mut rest = text;
    for word in words.iter().flatten() {
        match rest.find(word) {
            Some(at) => rest = &rest[at + word.len()..],
            None => return false,
        }
    }
    true
}

proptest! {
    #![proptest_config(config(512))]

    /// Two runs of one failure differ only in volatile tokens (timestamps, uuids, shas, durations,
    /// addresses, numbers, directories): masked, they read the same, and so fingerprint the same.
    #[test]
    fn volatile_tokens_never_change_a_fingerprint(pair in pair()) {
        let (first, second) = (pair.fill(false), pair.fill(true));
        let (a, b) = (mask(&first), mask(&second));
        prop_assert_eq!(&a, &b, "{:?}: {:?} vs {:?}", pair.kind, first, second);
        // Masking must not win by erasing the text around the tokens.
        prop_assert!(keeps_in_order(&a, &pair.words), "{:?} lost words: {:?}", first, a);
        let parts = |value: String| vec![("value".to_owned(), value)];
        prop_assert_eq!(fingerprint("some-rule", &parts(first)), fingerprint("some-rule", &parts(second)));
    }

    /// Two different rules never share a fingerprint, whatever either captured (identical captures
    /// included): a dashboard grouping by fingerprint never merges two causes.
    #[test]
    fn different_rules_never_collide(
        (a, b) in (rule_id(), rule_id()).prop_filter("two rules", |(a, b)| a != b),
        captures_a in captures(),
        captures_b in captures(),
    ) {
        prop_assert_ne!(fingerprint(&a, &captures_a), fingerprint(&b, &captures_a));
        prop_assert_ne!(fingerprint(&a, &captures_a), fingerprint(&b, &captures_b));
    }

    /// For one rule, the fingerprint tells captures apart exactly when their masked values differ:
    /// what a rule identifies a failure by is what groups it, no more, no less.
    #[test]
    fn one_rule_groups_by_masked_captures(
        rule in rule_id(),
        captures_a in captures(),
        captures_b in captures(),
    ) {
        let same = identity(&captures_a) == identity(&captures_b);
        let fa = fingerprint(&rule, &captures_a);
        let fb = fingerprint(&rule, &captures_b);
        prop_assert_eq!(fa == fb, same, "{:?} / {:?}", captures_a, captures_b);
    }

    /// The same input always gives the same fingerprint: twice over, in another thread, with the
    /// captures in any order; and it is `v1:` and 16 lowercase hex digits.
    #[test]
    fn fingerprints_are_deterministic(
        rule in rule_id(),
        captures in captures(),
        shuffle in any::<u64>(),
    ) {
        let once = fingerprint(&rule, &captures);
        prop_assert_eq!(&once, &fingerprint(&rule, &captures));
        let (r, c) = (rule.clone(), captures.clone());
        let elsewhere = std::thread::spawn(move || fingerprint(&r, &c)).join().unwrap();
        prop_assert_eq!(&once, &elsewhere);
        let mut reordered = captures;
        if !reordered.is_empty() {
            let len = reordered.len();
            reordered.rotate_left((shuffle % len as u64) as usize);
            reordered.reverse();
        }
        prop_assert_eq!(&once, &fingerprint(&rule, &reordered));
        let hex = once.strip_prefix(&format!("{VERSION}:")).unwrap_or_default();
        prop_assert!(
            hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{}", once
        );
    }
}

/// A duration as Go's `time.Duration` prints it past a minute: `1m30s`, `2h0m0s`, `1m0.5s`.
fn go_duration() -> impl Strategy<Value = String> {
    (0u32..48, 0u32..60, 0u32..60, prop::option::of(1u32..1000)).prop_map(|(h, m, s, frac)| {
        let s = frac.map_or_else(|| format!("{s}s"), |f| format!("{s}.{f}s"));
        match (h, m) {
            (0, 0) => s,
            (0, m) => format!("{m}m{s}"),
            (h, m) => format!("{h}h{m}m{s}"),
        }
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// A count or id that crosses a million (`pid 999999` / `pid 1000000`, run and job ids) must
    /// not change the fingerprint: digits alone are a number, however many.
    #[test]
    fn numbers_of_any_length_mask_alike(
        words in words(),
        a in (0u32..20).prop_flat_map(|digits| 0..10u64.pow(digits)),
        b in (0u32..20).prop_flat_map(|digits| 0..10u64.pow(digits)),
    ) {
        let text = |n: u64| format!("{} {n} failed", words.join(" "));
        prop_assert_eq!(mask(&text(a)), mask(&text(b)));
    }

    /// A Go timeout that crosses a minute (`45s` / `2m30s` / `1m0.5s`) must not change the
    /// fingerprint: a compound duration is one duration.
    #[test]
    fn compound_durations_mask_like_simple_ones(
        words in words(),
        a in go_duration(),
        b in go_duration(),
    ) {
        let text = |d: &str| format!("{} {d} exceeded", words.join(" "));
        prop_assert_eq!(mask(&text(&a)), mask(&text(&b)));
    }
}
