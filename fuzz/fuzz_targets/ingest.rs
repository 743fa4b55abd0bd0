//! `harness::ingest` on raw bytes: plain text or gzip, whatever the fuzzer makes.
//!
//! `harness::ingest` itself asserts that line numbers are gapless and that no line holds a `\n`.
//! On top of that this target checks what ingest reports against an independent model of
//! `src/ingest/lines.rs` (split on `\n` only; a final empty segment after a trailing `\n` is not a
//! line; a line over 64 KiB is cut but still one line; `\r` never splits a line):
//!
//! * plain input (not starting with the gzip magic `1f 8b`): reading never fails, nothing is
//!   incomplete, `bytes` is the input's length and `lines` is the number of `\n` plus one when the
//!   input is non-empty and does not end in `\n`;
//! * gzip input: the same counts over the decompressed stream, decoded here through the reader
//!   stack ingest uses (`BufReader<MultiGzDecoder>` with a 1 MiB buffer, so a corrupt stream fails
//!   at exactly the same point). A stream that decodes cleanly is read whole and complete. When it
//!   fails after `n > 0` complete lines, ingest returns `Ok` with `incomplete` set and `n` lines
//!   plus the partial line read before the failure, which is evidence too, with `bytes` counting all
//!   that was decoded; when it fails before any text, ingest returns `Err`. Past 64 MiB of text, where
//!   `src/ingest/limits.rs`' decompression budget may end the stream, only upper bounds are checked
//!   (and that `incomplete` says why when the ratio limit must have applied).
//!
#![no_main]

use std::io::{BufRead, BufReader};

use flate2::read::MultiGzDecoder;
use libfuzzer_sys::fuzz_target;
use recovery_agent::harness;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// `src/ingest/source.rs`' `BLOCK`: the read-buffer size over the gzip decoder.
const BLOCK: usize = 1 << 20;
/// `src/ingest/limits.rs`: below this much text any ratio is accepted; past it, at most `MAX_RATIO`×
/// the compressed bytes consumed so far.
const RATIO_FROM: u64 = 64 << 20;
const MAX_RATIO: u64 = 200;

/// What the model expects from a stream: lines and bytes read, and whether the stream failed.
#[derive(Debug)]
struct Expected {
    /// Complete lines, plus the unterminated last one when the stream ended cleanly.
    lines: u64,
    /// Bytes read, up to the failure if any.
    bytes: u64,
    /// 1 when the stream failed in the middle of a line (text after the last `\n`), else 0.
    partial: u64,
    failed: Option<String>,
}

/// Counts lines the way ingest must, streaming (a gzip bomb is never held in memory).
fn model(reader: &mut dyn BufRead) -> Expected {
    let (mut newlines, mut bytes, mut last) = (0u64, 0u64, None::<u8>);
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Expected {
                    lines: newlines,
                    bytes,
                    partial: u64::from(last.is_some_and(|b| b != b'\n')),
                    failed: Some(e.to_string()),
                };
            }
        };
        newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
        last = chunk.last().copied();
        let n = chunk.len();
        reader.consume(n);
    }
    Expected {
        lines: newlines + u64::from(last.is_some_and(|b| b != b'\n')),
        bytes,
        partial: 0,
        failed: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let got = harness::ingest(data);
    if !data.starts_with(GZIP_MAGIC) {
        let read = got.unwrap_or_else(|e| panic!("plain input must always be readable: {e}"));
        let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        let unterminated = u64::from(data.last().is_some_and(|&b| b != b'\n'));
        assert_eq!(read.lines, newlines + unterminated, "plain: lines");
        assert_eq!(read.bytes, data.len() as u64, "plain: bytes");
        assert_eq!(read.incomplete, None, "plain: incomplete");
        return;
    }
    let mut reader = BufReader::with_capacity(BLOCK, MultiGzDecoder::new(data));
    let want = model(&mut reader);
    if want.bytes > RATIO_FROM {
        // The decompression budget may have ended the stream early: bounds only.
        if let Ok(read) = &got {
            assert!(
                read.lines <= want.lines,
                "budget: more lines than the stream holds"
            );
            assert!(
                read.bytes <= want.bytes,
                "budget: more bytes than the stream holds"
            );
            if (data.len() as u64).saturating_mul(MAX_RATIO) < RATIO_FROM {
                assert!(
                    read.incomplete.is_some(),
                    "a bomb past the ratio limit read as complete"
                );
            }
        }
        return;
    }
    match (&want.failed, got) {
        (None, Ok(read)) => {
            assert_eq!(read.incomplete, None, "gzip ok: incomplete");
            assert_eq!(read.lines, want.lines, "gzip ok: lines");
            assert_eq!(read.bytes, want.bytes, "gzip ok: bytes");
        }
        (None, Err(e)) => panic!("gzip stream decodes cleanly ({want:?}) but ingest failed: {e}"),
        (Some(why), Ok(read)) => {
            assert!(
                want.lines + want.partial > 0,
                "ingest read a stream that failed before any text: {why}"
            );
            assert!(
                read.incomplete.is_some(),
                "a failing stream must be reported incomplete"
            );
            assert_eq!(
                read.bytes, want.bytes,
                "gzip failed: bytes read before the failure"
            );
            assert_eq!(
                read.lines,
                want.lines + want.partial,
                "gzip failed: the partial line before the failure is evidence too"
            );
        }
        (Some(why), Err(_)) => {
            assert_eq!(
                want.lines, 0,
                "a stream that failed after {} complete lines is still evidence",
                want.lines
            );
            assert_eq!(
                want.partial, 0,
                "text read before the failure is evidence: {why}"
            );
        }
    }
});
