//! Bounded line splitting: stream any reader into `\n`-separated lines without holding more than one line.

use std::io::{self, BufRead};

/// The longest line prefix kept, in bytes; the rest of a longer line is skipped (and reported).
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;

/// Calls `f` for every line of `reader`, split on `\n` only, so line numbers match `split('\n')`,
/// and adds the bytes it consumes to `total`.
///
/// A line longer than `MAX_LINE_BYTES` is cut to its prefix, and `f` is told it was cut: memory stays
/// bounded by one line however the input is shaped (a 200 MB log without a newline included). A final
/// empty segment after a trailing `\n` is not a line. When reading fails (a truncated gzip), the line
/// read so far is still handed to `f` and `total` still counts it: it may be the one that matters.
pub(crate) fn for_each_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    total: &mut u64,
    mut f: impl FnMut(&[u8], bool),
) -> io::Result<()> {
    let mut cut = false;
    buf.clear();
    let result = loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break Ok(()),
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        };
        let (take, line_ends) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        let body = chunk
            .get(..take - usize::from(line_ends))
            .unwrap_or_default();
        // A whole line inside the buffer (almost every line) is handed on where it lies.
        if line_ends && buf.is_empty() && body.len() <= MAX_LINE_BYTES {
            f(body, false);
            reader.consume(take);
            *total += take as u64;
            continue;
        }
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        if body.len() > room {
            cut = true;
        }
        buf.extend_from_slice(body.get(..body.len().min(room)).unwrap_or_default());
        reader.consume(take);
        *total += take as u64;
        if line_ends {
            f(buf, cut);
            buf.clear();
            cut = false;
        }
    };
    if !buf.is_empty() || cut {
        f(buf, cut);
        buf.clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut reader = io::BufReader::with_capacity(7, input);
        for_each_line(&mut reader, &mut Vec::new(), &mut 0, |l, cut| {
            out.push((l.to_vec(), cut));
        })
        .unwrap();
        out
    }

    #[test]
    fn splits_like_split_on_newline() {
        #[track_caller]
        fn case(input: &str, expected: &[&str]) {
            let got: Vec<String> = split(input.as_bytes())
                .into_iter()
                .map(|(l, _)| String::from_utf8(l).unwrap())
                .collect();
            assert_eq!(got, expected);
        }
        case("", &[]);
        case("a", &["a"]);
        case("a\n", &["a"]);
        case("a\nb", &["a", "b"]);
        case("\n\n", &["", ""]);
        case("one\r\ntwo\r\n", &["one\r", "two\r"]);
        case(
            "a line longer than the buffer\nx",
            &["a line longer than the buffer", "x"],
        );
    }

    /// Fails after yielding its bytes, like a gzip stream that was cut short.
    struct Truncated<'a>(&'a [u8]);

    impl io::Read for Truncated<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut short"));
            }
            let n = out.len().min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_failed_read_still_yields_the_partial_line_and_counts_its_bytes() {
        let mut reader = io::BufReader::new(Truncated(b"one\ntwo, unfinished"));
        let (mut lines, mut total) = (Vec::new(), 0);
        let result = for_each_line(&mut reader, &mut Vec::new(), &mut total, |l, _| {
            lines.push(String::from_utf8_lossy(l).into_owned());
        });
        assert!(result.is_err());
        assert_eq!(lines, ["one", "two, unfinished"]);
        assert_eq!(total, 19);
    }

    #[test]
    fn cuts_overlong_lines_and_keeps_counting() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\nnext\n");
        let lines = split(&input);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0.len(), MAX_LINE_BYTES);
        assert!(lines[0].1);
        assert_eq!(lines[1], (b"next".to_vec(), false));
    }
}
