//! Line normalisation: what a person sees in the log, without timestamps, ANSI escapes, BOMs or overwritten text.

/// Reusable buffers that turn one raw line into its visible text.
///
/// Normalising never changes line numbering: one raw line in, one visible line out.
#[derive(Debug, Default)]
pub(crate) struct Normalizer {
    text: String,
    overwritten: Vec<String>,
    segment: String,
    /// An invalid line, decoded.
    decoded: String,
    timestamped: bool,
}

impl Normalizer {
    /// Normalises `raw` (one line without its `\n`) and returns the visible text.
    ///
    /// Invalid UTF-8 is decoded lossily. A trailing `\r` (CRLF) is dropped. Text before a `\r` inside
    /// the line was overwritten by a terminal progress display: the last non-blank segment is the
    /// visible text, and the earlier ones stay available through [`Self::overwritten`] because CI
    /// services hide markers there (Travis prints `travis_fold:end:x\r\x1b[0K` before the next line).
    pub(crate) fn normalize<'a>(&'a mut self, raw: &'a [u8]) -> Normalized<'a> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        // Strict validation is vectorised; the lossy decoder walks characters, so only invalid
        // lines pay for it.
        match std::str::from_utf8(raw) {
            // Most lines are valid with nothing to strip but a timestamp: they are not copied.
            Ok(line) if !has_controls(line) => {
                let (text, timestamped) = split_timestamp(line);
                self.overwritten.clear();
                return Normalized {
                    text,
                    overwritten: &self.overwritten,
                    timestamped,
                };
            }
            Ok(line) => self.apply(line),
            Err(invalid) => {
                let mut decoded = std::mem::take(&mut self.decoded);
                decoded.clear();
                decode_lossy(raw, invalid.valid_up_to(), &mut decoded);
                self.apply(&decoded);
                self.decoded = decoded;
            }
        }
        Normalized {
            text: &self.text,
            overwritten: &self.overwritten,
            timestamped: self.timestamped,
        }
    }

    /// The slow path, into the buffers: `line` (decoded, without its `\r\n`) has a BOM, control
    /// characters or escape sequences to strip, or `\r`s that overwrote text.
    fn apply(&mut self, line: &str) {
        let mut line = line;
        let without_bom;
        if line.contains('\u{feff}') {
            without_bom = line.replace('\u{feff}', "");
            line = &without_bom;
        }
        let (stripped, timestamped) = split_timestamp(line);
        self.timestamped = timestamped;
        line = stripped;

        self.text.clear();
        self.overwritten.clear();
        if !line.contains('\r') {
            strip_controls(line, &mut self.text);
            return;
        }
        let mut visible: Option<String> = None;
        for part in line.split('\r') {
            self.segment.clear();
            strip_controls(part, &mut self.segment);
            if self.segment.trim().is_empty() {
                continue;
            }
            if let Some(previous) = visible.replace(self.segment.clone()) {
                self.overwritten.push(previous);
            }
        }
        if let Some(v) = visible {
            self.text = v;
        }
    }
}

/// One normalised line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Normalized<'a> {
    /// The visible text.
    pub(crate) text: &'a str,
    /// Segments that a later `\r` overwrote, oldest first.
    pub(crate) overwritten: &'a [String],
    /// Whether the raw line carried a GitHub Actions timestamp prefix.
    pub(crate) timestamped: bool,
}

/// Longest bracketed timestamp looked for, in bytes: `[taskcluster 2025-02-13T21:39:55.345678Z]`
/// with room for a longer source word.
const MAX_BRACKET: usize = 64;

/// Strips a leading log timestamp: GitHub Actions' `2024-01-01T00:00:00.0000000Z ` and the bracketed
/// `[task 2024-01-01T00:00:00.000Z] ` / `[2024-01-01T00:00:00.000Z] ` forms of Taskcluster and Jenkins.
pub(crate) fn strip_timestamp(line: &str) -> &str {
    if let Some(len) = iso_timestamp_len(line.as_bytes())
        && line.as_bytes().get(len) == Some(&b' ')
    {
        return line.get(len + 1..).unwrap_or_default();
    }
    // The bracket closes within its first bytes (a source word, a space and a stamp), and no `]`
    // comes before: only those are looked at, as `[INFO] ` and the like open many lines.
    if let Some(inner) = line.strip_prefix('[')
        && let Some(close) = memchr::memchr(
            b']',
            inner
                .as_bytes()
                .get(..MAX_BRACKET)
                .unwrap_or(inner.as_bytes()),
        )
        && inner.as_bytes().get(close + 1) == Some(&b' ')
    {
        let bracket = inner.get(..close).unwrap_or_default();
        // An optional source word (`task`, `taskcluster`), then the stamp.
        let stamp = match bracket.split_once(' ') {
            Some((word, rest))
                if word
                    .bytes()
                    .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_') =>
            {
                rest
            }
            _ => bracket,
        };
        if is_timestamp(stamp) {
            return inner.get(close + 2..).unwrap_or_default();
        }
    }
    line
}

/// A whole RFC 3339 UTC stamp, with `T` or a space between date and time (`2025-02-13 21:39:55.345Z`).
/// `line` without its leading timestamp, and whether that was a GitHub Actions timestamp (the
/// bracketed forms are other tools').
fn split_timestamp(line: &str) -> (&str, bool) {
    let text = strip_timestamp(line);
    (text, text.len() < line.len() && !line.starts_with('['))
}

fn is_timestamp(stamp: &str) -> bool {
    // Checked as the `T`-joined, `Z`-terminated form, built on the stack: most bracketed line
    // starts (`[INFO] `) are no stamp at all, and this runs on each of them.
    let mut joined = [0u8; 40];
    let Some(room) = joined.get_mut(..stamp.len()) else {
        return false;
    };
    room.copy_from_slice(stamp.as_bytes());
    let mut len = stamp.len();
    if let Some(sep) = joined.get_mut(10).filter(|b| **b == b' ') {
        *sep = b'T';
    }
    if !stamp.ends_with('Z')
        && let Some(z) = joined.get_mut(len)
    {
        *z = b'Z';
        len += 1;
    }
    joined
        .get(..len)
        .is_some_and(|j| iso_timestamp_len(j) == Some(len))
}

/// Length of an RFC 3339 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.fff…]Z`) at the start of `s`.
fn iso_timestamp_len(s: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if s.len() < SHAPE.len() + 1 {
        return None;
    }
    for (&want, &got) in SHAPE.iter().zip(s) {
        let ok = if want == b'd' {
            got.is_ascii_digit()
        } else {
            got == want
        };
        if !ok {
            return None;
        }
    }
    let mut at = SHAPE.len();
    if s.get(at) == Some(&b'.') {
        at += 1;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    (s.get(at) == Some(&b'Z')).then_some(at + 1)
}

/// Whether `s` may hold a control character, escape sequence or BOM to strip (tabs are kept).
fn has_controls(s: &str) -> bool {
    // 0xEF leads the BOM U+FEFF (and other characters, which the slow path keeps). A fold rather
    // than `any`: without the early exit the compiler vectorises the scan, and almost every line
    // has nothing to strip.
    s.bytes()
        .fold(false, |found, b| found | starts_control(b) | (b == 0xef))
}

/// Appends `raw` to `out` as `String::from_utf8_lossy` decodes it (each invalid sequence one
/// U+FFFD), reusing `out`'s room. `raw[..valid]` is known to be valid: it is only checked again
/// (vectorised), and the character-by-character decoder walks the rest.
pub(super) fn decode_lossy(raw: &[u8], valid: usize, out: &mut String) {
    let (head, tail) = raw.split_at(valid.min(raw.len()));
    out.push_str(std::str::from_utf8(head).unwrap_or_default());
    for chunk in tail.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// Whether byte `b` may start a character that [`strip_controls`] drops: a C0 control other than
/// tab (ESC among them), DEL, or the lead byte of a C1 control (U+0080..U+009F).
fn starts_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') | (b == 0x7f) | (b == 0xc2)
}

/// Appends `s` to `out` without ANSI escape sequences and control characters (tabs are kept).
pub(crate) fn strip_controls(s: &str, out: &mut String) {
    let mut rest = s;
    // Text between controls is copied a run at a time: coloured output and lossily decoded binary
    // would otherwise be copied a character at a time.
    while let Some(at) = rest.bytes().position(starts_control) {
        let (kept, from) = rest.split_at(at);
        out.push_str(kept);
        let mut chars = from.chars();
        match chars.next() {
            Some('\u{1b}') => skip_escape(&mut chars),
            // `0xc2` also leads printable characters: `°`, `±`, the no-break space.
            Some(c) if !c.is_control() => out.push(c),
            _ => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
}

/// Skips the rest of an escape sequence, `chars` being just after its ESC.
fn skip_escape(chars: &mut std::str::Chars<'_>) {
    match chars.next() {
        // CSI: parameters and intermediates, then one final byte in @..~
        Some('[') => {
            for n in chars.by_ref() {
                if ('@'..='~').contains(&n) {
                    break;
                }
            }
        }
        // OSC: ends with BEL or ESC \
        Some(']') => {
            while let Some(n) = chars.next() {
                if n == '\u{7}' {
                    break;
                }
                if n == '\u{1b}' && chars.as_str().starts_with('\\') {
                    chars.next();
                    break;
                }
            }
        }
        // Charset designations take one more character (`ESC ( B`).
        Some('(' | ')' | '*' | '+') => {
            chars.next();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(raw: &[u8], expected: &str) {
        let mut n = Normalizer::default();
        assert_eq!(n.normalize(raw).text, expected);
    }

    #[test]
    fn normalises_lines() {
        case(
            b"2024-01-01T00:00:00.0000000Z ##[error]boom",
            "##[error]boom",
        );
        case(
            "\u{feff}2024-01-01T00:00:00.0000000Z hello".as_bytes(),
            "hello",
        );
        case(b"2022-04-27T19:35:52.9961234Z line\r", "line");
        case(b"\x1b[31;1mred\x1b[0m text", "red text");
        case(b"\x1b]8;;http://x\x07link\x1b]8;;\x07", "link");
        case(
            b"[task 2025-02-14T10:18:13.737Z] 10:18:13     INFO - x",
            "10:18:13     INFO - x",
        );
        case(
            b"[taskcluster 2025-02-13 21:39:55.345Z] Task ID: abc",
            "Task ID: abc",
        );
        case(b"[not a stamp] keep", "[not a stamp] keep");
        case(b"2024-01-01 not iso", "2024-01-01 not iso");
        case(b"bad \xff utf8", "bad \u{fffd} utf8");
        case(b"nul\x00byte", "nulbyte");
        case(b"tab\tkept", "tab\tkept");
    }

    #[test]
    fn carriage_returns_keep_the_last_visible_segment() {
        let mut n = Normalizer::default();
        let raw =
            b"travis_fold:end:a\r\x1b[0Ktravis_fold:start:b\r\x1b[0K\x1b[33;1mBuild info\x1b[0m\r";
        let line = n.normalize(raw);
        assert_eq!(line.text, "Build info");
        assert_eq!(
            line.overwritten,
            ["travis_fold:end:a", "travis_fold:start:b"]
        );
        case(b"10%\r50%\r100%\r\n", "100%");
        case(b"done\r   \r", "done");
    }
}
