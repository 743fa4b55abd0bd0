//! Property tests for ingest: line numbers survive normalisation, and no bytes make reading panic.

use std::io::{BufReader, Write as _};

use proptest::prelude::*;

use super::lines::{MAX_LINE_BYTES, for_each_line};
use super::normalize::{Normalizer, decode_lossy, strip_controls};
use super::{IngestError, JobLog, LogInput, read};

fn config(cases: u32) -> ProptestConfig {
    crate::props::config(cases, 0x1e57_1a9e)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads `bytes` as one in-memory log, keeping every visited line.
fn read_bytes(bytes: Vec<u8>) -> (Result<JobLog, IngestError>, Vec<(u64, String)>) {
    let mut seen = Vec::new();
    let result = read(
        LogInput::from_bytes("props", "<props>", bytes),
        &mut |line| seen.push((line.number, line.text.to_owned())),
    );
    (result, seen)
}

/// The line rule, stated independently of `lines.rs`: a log's lines are `input.split('\n')`, except
/// that the empty piece after a final `\n` (and the single empty piece of an empty input) is not a
/// line. So `""` has 0 lines, `"a"` and `"a\n"` 1, `"\n"` 1, `"a\n\nb"` 3.
fn expected_lines(input: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if input.is_empty() || input.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

/// What a person can see: no newline, no carriage return, no escape or other control (tabs stay).
fn is_visible_text(text: &str) -> bool {
    text.chars().all(|c| c == '\t' || !c.is_control())
}

/// One piece of a raw log: a few arbitrary bytes, or a long run of one byte (a minified bundle or a
/// progress bar without newlines) which may cross the per-line cap.
#[derive(Debug, Clone)]
enum Piece {
    Bytes(Vec<u8>),
    /// `alone`: on a line of its own, so its length is the line's (the cap's edge is exact).
    Run {
        len: usize,
        byte: u8,
        alone: bool,
    },
}

/// Bytes weighted towards what breaks line handling: newlines, `\r`, ESC, NUL, invalid UTF-8.
fn raw_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        6 => any::<u8>(),
        6 => b' '..=b'~',
        3 => Just(b'\n'),
        2 => Just(b'\r'),
        1 => Just(0x1b),
        1 => Just(0),
        1 => Just(b'\t'),
        1 => 0x80u8..=0xff,
    ]
}

/// Raw log bytes; `long_weight` is how often (out of 10) a piece is a long run.
fn log_bytes(long_weight: u32, max_pieces: usize) -> impl Strategy<Value = Vec<u8>> {
    let run_len = prop_oneof![
        // Around the cap, where an off-by-one would hide.
        MAX_LINE_BYTES - 2..=MAX_LINE_BYTES + 2,
        MAX_LINE_BYTES + 3..MAX_LINE_BYTES + 4096,
        1..512usize,
    ];
    // A run of `\n` would be thousands of empty lines: slow, and not what a long line is.
    let run_byte = any::<u8>().prop_map(|b| if b == b'\n' { b'=' } else { b });
    let piece = prop_oneof![
        (10 - long_weight) => prop::collection::vec(raw_byte(), 0..48).prop_map(Piece::Bytes),
        long_weight => (run_len, run_byte, any::<bool>())
            .prop_map(|(len, byte, alone)| Piece::Run { len, byte, alone }),
    ];
    prop::collection::vec(piece, 0..max_pieces).prop_map(|pieces| {
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Bytes(b) => out.extend_from_slice(&b),
                Piece::Run { len, byte, alone } => {
                    if alone {
                        out.push(b'\n');
                    }
                    out.resize(out.len() + len, byte);
                    if alone {
                        out.push(b'\n');
                    }
                }
            }
        }
        out
    })
}

/// Asserts what holds for every read: numbers run 1, 2, 3… with no gap, the job counts every
/// visited line, and no text holds a newline or control character.
fn check_numbering(
    job: &JobLog,
    seen: &[(u64, String)],
) -> Result<(), proptest::test_runner::TestCaseError> {
    for (i, (number, text)) in seen.iter().enumerate() {
        prop_assert_eq!(*number, i as u64 + 1, "numbers are gapless from 1");
        prop_assert!(
            is_visible_text(text),
            "line {} holds a control: {:?}",
            number,
            text
        );
    }
    prop_assert_eq!(
        job.lines,
        seen.len() as u64,
        "the job counts every visited line"
    );
    Ok(())
}

/// A GitHub Actions timestamp (`2024-01-01T00:00:00.0000000Z`), with 0–9 fraction digits.
fn github_stamp() -> impl Strategy<Value = String> {
    (
        (2000u32..2100, 1u32..=12, 1u32..=28),
        (0u32..24, 0u32..60, 0u32..60),
        prop::option::of("[0-9]{0,9}"),
    )
        .prop_map(|((y, mo, d), (h, mi, s), frac)| {
            let frac = frac.map_or_else(String::new, |f| format!(".{f}"));
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
        })
}

/// A line prefix that a log service adds: GitHub's, or the bracketed Jenkins / Taskcluster forms.
fn stamp_prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => github_stamp().prop_map(|s| format!("{s} ")),
        1 => github_stamp().prop_map(|s| format!("[{s}] ")),
        1 => github_stamp().prop_map(|s| format!("[task {s}] ")),
    ]
}

/// ANSI sequences seen in CI logs: colours, erase-line, OSC 8 hyperlinks, charset selection.
const ANSI: &[&str] = &[
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[1;33m",
    "\x1b[36;1m",
    "\x1b[K",
    "\x1b[2K",
    "\x1b[0K",
    "\x1b]8;;https://example.com\x07",
    "\x1b]8;;\x1b\\",
    "\x1b(B",
];

fn ansi() -> impl Strategy<Value = &'static str> {
    prop::sample::select(ANSI)
}

/// Visible line content: no newline, `\r`, control character or BOM, but anything else, with the
/// tokens that log processing reacts to (workflow commands, groups, stamps, brackets).
fn content() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[ -~]{1,8}",
        2 => any::<char>()
            .prop_filter("visible", |c| !c.is_control() && *c != '\u{feff}')
            .prop_map(String::from),
        1 => Just("\t".to_owned()),
        1 => prop::sample::select(vec![
            "##[error]", "##[group]", "##[endgroup]", "::error::", "::add-mask::", "[", "] ",
            "2024-01-01T00:00:00.0000000Z ", "[2024-01-01T00:00:00.000Z] ", "Error: ", "  ",
            "\u{200b}", "\u{fffd}",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

/// One content line and how a CI service dressed it.
#[derive(Debug, Clone)]
struct Dressed {
    content: String,
    stamp: Option<String>,
    /// `(char position, sequence)`: escapes inserted into the content.
    ansi: Vec<(usize, &'static str)>,
    crlf: bool,
}

impl Dressed {
    fn raw(&self) -> String {
        let mut out = self.stamp.clone().unwrap_or_default();
        let mut ansi = self.ansi.clone();
        ansi.sort_by_key(|(at, _)| *at);
        let chars: Vec<char> = self.content.chars().collect();
        let mut next = ansi.iter().peekable();
        for (i, c) in chars.iter().enumerate() {
            while let Some((_, seq)) = next.next_if(|(at, _)| *at <= i) {
                out.push_str(seq);
            }
            out.push(*c);
        }
        for (_, seq) in next {
            out.push_str(seq);
        }
        if self.crlf {
            out.push('\r');
        }
        out
    }
}

fn dressed() -> impl Strategy<Value = Dressed> {
    (
        content(),
        prop::option::weighted(0.7, stamp_prefix()),
        prop::collection::vec((0usize..40, ansi()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(content, stamp, ansi, crlf)| {
            // Only a stamp at the very start of a line is the service's; content that itself opens
            // like one (a digit or `[`) would lose it when undressed, so give such lines a stamp.
            let stamp = match stamp {
                None if content.starts_with(|c: char| c.is_ascii_digit() || c == '[') => {
                    Some("2024-01-01T00:00:00.0000000Z ".to_owned())
                }
                s => s,
            };
            Dressed {
                content,
                stamp,
                ansi,
                crlf,
            }
        })
}

/// A line overwritten by `\r` (a progress display): visible segments and blank ones.
fn overwrite_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        // Blank once controls are gone: it overwrites nothing a person would read.
        1 => prop::sample::select(vec!["", " ", "\t", "   ", "\x1b[0K", "\x1b[2K ", "\x1b[31m\x1b[0m"])
            .prop_map(str::to_owned),
        2 => (prop::option::of(ansi()), "[!-~]", content()).prop_map(|(esc, first, rest)| {
            format!("{}{first}{rest}", esc.unwrap_or_default())
        }),
    ]
}

/// The visible text of `s`: `s` without its ANSI sequences (the generators above emit no others).
fn without_ansi(s: &str) -> String {
    let mut out = s.to_owned();
    for seq in ANSI {
        out = out.replace(seq, "");
    }
    out
}

/// What `strip_controls` keeps, stated a character at a time: tabs and printable characters stay;
/// ESC drops the character after it too, and for CSI (`ESC [`) everything up to a final byte in
/// `@`..`~`, for OSC (`ESC ]`) everything up to BEL or `ESC \`, for a charset (`ESC (`) one more.
fn strip_by_char(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if c == '\t' || !c.is_control() {
                out.push(c);
            }
            continue;
        }
        match chars.next() {
            Some('[') => {
                let _ = chars.by_ref().find(|n| ('@'..='~').contains(n));
            }
            Some(']') => loop {
                match chars.next() {
                    None | Some('\u{7}') => break,
                    Some('\u{1b}') if chars.as_str().starts_with('\\') => {
                        chars.next();
                        break;
                    }
                    Some(_) => {}
                }
            },
            Some('(' | ')' | '*' | '+') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

/// Text where escapes and controls are dense: whole and cut-off sequences, C0 and C1 controls,
/// DEL, and printable characters that share a lead byte with the C1 controls.
fn control_heavy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[ -~]{1,6}",
        2 => ansi().prop_map(str::to_owned),
        2 => ansi().prop_flat_map(|a| (0..a.len()).prop_map(move |n| a[..n].to_owned())),
        2 => prop::sample::select(vec![
            "\u{1b}", "\u{7}", "\u{0}", "\t", "\u{7f}", "\u{80}", "\u{9f}", "\u{a0}", "°", "é",
            "\u{fffd}", "\u{1b}\\", "[", "]", "(",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config(256))]

    /// Stripping a run at a time keeps exactly what stripping a character at a time keeps.
    #[test]
    fn controls_are_stripped_as_one_character_at_a_time_would(text in control_heavy()) {
        let mut out = String::from("kept:");
        strip_controls(&text, &mut out);
        prop_assert_eq!(out, format!("kept:{}", strip_by_char(&text)));
    }

    /// Decoding an invalid line from where it turns invalid gives what the standard library's
    /// lossy decoding gives for the whole line.
    #[test]
    fn lossy_decoding_matches_the_standard_library(input in log_bytes(0, 12)) {
        let valid = match std::str::from_utf8(&input) {
            Ok(_) => input.len(),
            Err(e) => e.valid_up_to(),
        };
        let mut out = String::from("kept:");
        decode_lossy(&input, valid, &mut out);
        prop_assert_eq!(out, format!("kept:{}", String::from_utf8_lossy(&input)));
    }

    /// Every `\n`-separated line is visited once, numbered from 1 with no gap, whatever the bytes
    /// (NUL, ESC, `\r`, invalid UTF-8); the visible text never holds a newline or control character.
    #[test]
    fn every_newline_separated_line_is_numbered(input in log_bytes(0, 24)) {
        prop_assume!(!input.starts_with(&GZIP_MAGIC), "that is a gzip stream, read elsewhere");
        let expected = expected_lines(&input).len() as u64;
        let (result, seen) = read_bytes(input.clone());
        let job = result.map_err(|e| TestCaseError::fail(format!("plain text must read: {e}")))?;
        check_numbering(&job, &seen)?;
        prop_assert_eq!(job.lines, expected);
        prop_assert_eq!(job.bytes, input.len() as u64);
        prop_assert_eq!(job.cut_lines, 0);
        prop_assert!(job.incomplete.is_none());
    }

    /// Timestamps, ANSI escapes and CRLF endings added around lines change neither how many lines
    /// there are nor their numbers, and the visible text is exactly the undressed line.
    #[test]
    fn dressing_lines_changes_no_number_and_no_text(
        lines in prop::collection::vec(dressed(), 0..16),
        final_newline in any::<bool>(),
    ) {
        let join = |parts: Vec<String>| {
            let mut log = parts.join("\n");
            if final_newline && !parts.is_empty() {
                log.push('\n');
            }
            log.into_bytes()
        };
        let plain = join(lines.iter().map(|l| l.content.clone()).collect());
        let dressed = join(lines.iter().map(Dressed::raw).collect());
        let (job, seen) = read_bytes(dressed);
        let job = job.unwrap();
        check_numbering(&job, &seen)?;
        // Line i is still line i; only an empty last line without its newline is no line at all
        // (see `expected_lines`), dressed or not.
        let expected = if !final_newline && lines.last().is_some_and(|l| l.raw().is_empty()) {
            lines.len() - 1
        } else {
            lines.len()
        };
        prop_assert_eq!(seen.len(), expected);
        for ((number, text), line) in seen.iter().zip(&lines) {
            prop_assert_eq!(text, &line.content, "line {} from {:?}", number, line.raw());
        }
        // Undressed, the same lines carry the same numbers.
        let (plain_job, plain_seen) = read_bytes(plain);
        check_numbering(&plain_job.unwrap(), &plain_seen)?;
        for ((n, text), (plain_n, plain_text)) in seen.iter().zip(&plain_seen) {
            prop_assert_eq!(n, plain_n);
            // Undressed content that opens like a stamp loses it, as it should: compare the rest.
            if !text.starts_with(|c: char| c.is_ascii_digit() || c == '[') {
                prop_assert_eq!(text, plain_text);
            }
        }
    }

    /// Text before a `\r` inside a line was overwritten on the terminal: the visible text is the last
    /// segment that is not blank, the overwritten ones are kept in order, and a final `\r` is a CRLF
    /// ending, not an overwrite.
    #[test]
    fn carriage_returns_show_the_last_visible_segment(
        stamp in prop::option::of(stamp_prefix()),
        segments in prop::collection::vec(overwrite_segment(), 1..6),
        crlf in any::<bool>(),
    ) {
        // Only the service's stamp opens a line; content opening like one gets a stamp before it.
        let opens_like_stamp = segments[0].starts_with(|c: char| c.is_ascii_digit() || c == '[');
        let stamp = match stamp {
            None if opens_like_stamp => Some("2024-01-01T00:00:00.0000000Z ".to_owned()),
            s => s,
        };
        let mut raw = stamp.unwrap_or_default();
        raw.push_str(&segments.join("\r"));
        if crlf {
            raw.push('\r');
        }
        // The documented rule, applied to the segments as generated.
        let line = segments.join("\r");
        let line = if crlf { line.as_str() } else { line.strip_suffix('\r').unwrap_or(&line) };
        let (text, overwritten) = if line.contains('\r') {
            let mut visible: Vec<String> = line
                .split('\r')
                .map(without_ansi)
                .filter(|s| !s.trim().is_empty())
                .collect();
            let text = visible.pop().unwrap_or_default();
            (text, visible)
        } else {
            (without_ansi(line), Vec::new())
        };
        let mut normalizer = Normalizer::default();
        let got = normalizer.normalize(raw.as_bytes());
        prop_assert_eq!(got.text, text.as_str(), "raw {:?}", raw);
        prop_assert_eq!(got.overwritten, overwritten.as_slice(), "raw {:?}", raw);
    }

    /// A gzip log reads exactly like its text, and a truncated one is never taken for a whole log:
    /// reading fails, or stops with a reason after a prefix of the lines.
    #[test]
    fn gzip_reads_like_its_text_and_truncation_is_noticed(
        input in log_bytes(0, 16),
        cut in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!input.starts_with(&GZIP_MAGIC), "a gzip inside a gzip reads differently");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&input).unwrap();
        let gz = encoder.finish().unwrap();

        let (plain, plain_seen) = read_bytes(input.clone());
        let plain = plain.unwrap();
        let (whole, seen) = read_bytes(gz.clone());
        let whole = whole.map_err(|e| TestCaseError::fail(format!("whole gzip must read: {e}")))?;
        check_numbering(&whole, &seen)?;
        prop_assert!(whole.incomplete.is_none(), "{:?}", whole.incomplete);
        prop_assert_eq!(&seen, &plain_seen);
        prop_assert_eq!(whole.bytes, plain.bytes);

        // Cut before the magic's second byte, it is no longer a gzip: plain bytes, tested above.
        let truncated = gz[..cut.index(gz.len()).max(GZIP_MAGIC.len())].to_vec();
        let (result, seen) = read_bytes(truncated);
        if let Ok(job) = result {
            check_numbering(&job, &seen)?;
            prop_assert!(job.incomplete.is_some(), "a truncated gzip read as complete");
            prop_assert!(seen.len() <= plain_seen.len());
            // The last line may be one the cut fell inside: read in part (its raw bytes a prefix,
            // so its visible text need not be one), but it is still that line, with that number.
            let whole_lines = seen.len().saturating_sub(1);
            prop_assert_eq!(&seen[..whole_lines], &plain_seen[..whole_lines], "lines read are the log's own");
            if let (Some(last), Some(same)) = (seen.last(), plain_seen.get(whole_lines)) {
                prop_assert_eq!(last.0, same.0);
            }
        }
    }

    /// Whatever the bytes, reading returns (an error is allowed for a corrupt gzip) and never
    /// panics; plain input always reads, with one visit per line.
    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop_oneof![
            4 => log_bytes(0, 16),
            // Gzip's magic, then garbage: taken for gzip, and corrupt.
            2 => log_bytes(0, 8).prop_map(|rest| [GZIP_MAGIC.to_vec(), rest].concat()),
            // A real gzip header with one byte flipped somewhere.
            2 => (log_bytes(0, 8), any::<prop::sample::Index>(), 1u8..=255).prop_map(|(text, at, flip)| {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(&text).unwrap();
                let mut gz = encoder.finish().unwrap();
                let at = at.index(gz.len());
                gz[at] ^= flip;
                gz
            }),
        ],
    ) {
        let is_gzip = input.starts_with(&GZIP_MAGIC);
        let expected = expected_lines(&input).len() as u64;
        let (result, seen) = read_bytes(input);
        match result {
            Ok(job) => {
                check_numbering(&job, &seen)?;
                if !is_gzip {
                    prop_assert_eq!(job.lines, expected);
                }
            }
            Err(e) => prop_assert!(is_gzip, "plain text failed to read: {}", e),
        }
    }
}

proptest! {
    // Lines past the cap are 64 KiB each: fewer cases keep the debug run quick.
    #![proptest_config(config(48))]

    /// Lines longer than `MAX_LINE_BYTES` are cut (and counted) without shifting any later number.
    #[test]
    fn overlong_lines_are_cut_and_counted(input in log_bytes(3, 8)) {
        prop_assume!(!input.starts_with(&GZIP_MAGIC), "that is a gzip stream");
        let lines = expected_lines(&input);
        let cut = lines.iter().filter(|l| l.len() > MAX_LINE_BYTES).count() as u64;
        let (result, seen) = read_bytes(input.clone());
        let job = result.unwrap();
        check_numbering(&job, &seen)?;
        prop_assert_eq!(job.lines, lines.len() as u64);
        prop_assert_eq!(job.cut_lines, cut);
        prop_assert_eq!(job.bytes, input.len() as u64);
    }

    /// How the reader hands over bytes (one at a time, or in blocks) never changes the lines: each
    /// is its `\n`-separated piece, cut to `MAX_LINE_BYTES` and flagged when longer.
    #[test]
    fn splitting_is_independent_of_read_sizes(
        input in log_bytes(2, 8),
        capacity in prop_oneof![1usize..16, 16usize..70_000],
    ) {
        let expected: Vec<(Vec<u8>, bool)> = expected_lines(&input)
            .iter()
            .map(|l| (l[..l.len().min(MAX_LINE_BYTES)].to_vec(), l.len() > MAX_LINE_BYTES))
            .collect();
        let mut got = Vec::new();
        let mut reader = BufReader::with_capacity(capacity, input.as_slice());
        let mut total = 0;
        for_each_line(&mut reader, &mut Vec::new(), &mut total, |line, cut| {
            got.push((line.to_vec(), cut));
        })
        .unwrap();
        prop_assert_eq!(total, input.len() as u64);
        prop_assert!(got == expected, "{} lines, expected {}", got.len(), expected.len());
    }
}
