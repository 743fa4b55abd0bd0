//! Decompression limits: a small gzip or zip may not expand into unbounded text.
//!
//! A plain log is read as it is, however large: memory stays bounded by one line. Compressed input is
//! different, because a few kilobytes can expand into terabytes (a decompression bomb) and the time
//! to read them is the attack. So every decompressed stream draws on a [`Budget`] shared by everything
//! read from one file: past [`RATIO_FROM`] bytes, text may be at most [`MAX_RATIO`] times the
//! compressed size, and never more than [`MAX_EXPANDED`] in all. A stream that breaks a limit ends
//! there, as if the log ended; the reason is kept and the report says the log was read in part.

use std::io::{self, BufRead, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Real CI logs compress 5–30×; a stream of one repeated byte reaches ~1,000× (deflate's limit).
pub(crate) const MAX_RATIO: u64 = 200;
/// Below this much text, any ratio is accepted: small, repetitive logs are common and harmless.
pub(crate) const RATIO_FROM: u64 = 64 << 20;
/// The most text one compressed file (a gzip log, or a whole logs zip) may expand to.
pub(crate) const MAX_EXPANDED: u64 = 4 << 30;
/// The most entries of a logs zip that are considered (GitHub's hold a few hundred at most).
pub(crate) const MAX_ZIP_ENTRIES: usize = 10_000;

/// What one compressed file may still expand to, shared by every stream read from it.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Compressed bytes: the file's size when known up front, else counted as they are consumed.
    compressed: AtomicU64,
    expanded: AtomicU64,
    /// Why reading stopped, once a limit was reached.
    stopped: Mutex<Option<String>>,
}

impl Budget {
    /// A budget for a file of `compressed` bytes (0 when unknown: then count with [`Counted`]).
    pub(crate) fn new(compressed: u64) -> Self {
        Self {
            compressed: AtomicU64::new(compressed),
            expanded: AtomicU64::new(0),
            stopped: Mutex::new(None),
        }
    }

    /// Why a stream drawing on this budget was stopped, if one was.
    pub(crate) fn stopped(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|s| s.clone())
    }

    /// Records `n` more expanded bytes; `false` once a limit is broken.
    fn spend(&self, n: u64) -> bool {
        let expanded = self.expanded.fetch_add(n, Ordering::Relaxed) + n;
        let compressed = self.compressed.load(Ordering::Relaxed);
        let why = if expanded > MAX_EXPANDED {
            format!(
                "decompression stopped after {} MiB, the most one compressed file may expand to",
                MAX_EXPANDED >> 20
            )
        } else if expanded > RATIO_FROM && expanded > compressed.saturating_mul(MAX_RATIO) {
            format!(
                "decompression stopped after {} MiB: {compressed} compressed bytes expand more than \
                 {MAX_RATIO}-fold, which no real log does (a decompression bomb?)",
                expanded >> 20
            )
        } else {
            return true;
        };
        if let Ok(mut stopped) = self.stopped.lock() {
            stopped.get_or_insert(why);
        }
        false
    }
}

/// A decompressed stream that ends once its budget is spent.
#[derive(Debug)]
pub(crate) struct Capped<'b, R> {
    inner: R,
    budget: &'b Budget,
    done: bool,
}

impl<'b, R: Read> Capped<'b, R> {
    pub(crate) fn new(inner: R, budget: &'b Budget) -> Self {
        Self {
            inner,
            budget,
            done: false,
        }
    }
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if !self.budget.spend(n as u64) {
            // The bytes that broke the limit are dropped too: the stream ends where the budget did.
            self.done = true;
            return Ok(0);
        }
        Ok(n)
    }
}

/// A compressed source whose size is not known up front (stdin): counts what the decoder consumes.
#[derive(Debug)]
pub(crate) struct Counted<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R: BufRead> Counted<'b, R> {
    pub(crate) fn new(inner: R, budget: &'b Budget) -> Self {
        Self { inner, budget }
    }
}

impl<R: BufRead> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget
            .compressed
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.budget
            .compressed
            .fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(reader: &mut dyn Read) -> u64 {
        io::copy(reader, &mut io::sink()).unwrap_or(0)
    }

    #[test]
    fn a_stream_within_the_ratio_is_read_whole() {
        let budget = Budget::new(RATIO_FROM / 10);
        let data = vec![b'x'; (RATIO_FROM + 1) as usize];
        let read = drain(&mut Capped::new(data.as_slice(), &budget));
        assert_eq!(read, RATIO_FROM + 1);
        assert_eq!(budget.stopped(), None);
    }

    #[test]
    fn small_streams_may_have_any_ratio() {
        let budget = Budget::new(1);
        let data = vec![b'x'; (RATIO_FROM / 2) as usize];
        assert_eq!(
            drain(&mut Capped::new(data.as_slice(), &budget)),
            RATIO_FROM / 2
        );
        assert_eq!(budget.stopped(), None);
    }

    #[test]
    fn a_stream_past_the_ratio_ends_and_says_why() {
        let budget = Budget::new(1000);
        let data = io::repeat(b'x').take(RATIO_FROM * 4);
        let read = drain(&mut Capped::new(data, &budget));
        assert!(read <= RATIO_FROM + (64 << 10), "read {read}");
        let why = budget.stopped().unwrap_or_default();
        assert!(why.contains("expand more than 200-fold"), "{why}");
    }

    #[test]
    fn streams_share_one_budget() {
        let budget = Budget::new(1000);
        let half = RATIO_FROM / 2 + 1;
        let first = drain(&mut Capped::new(io::repeat(b'x').take(half), &budget));
        let second = drain(&mut Capped::new(io::repeat(b'x').take(half), &budget));
        assert_eq!(first, half);
        assert!(
            second < half,
            "the second stream draws on what the first left"
        );
        assert!(budget.stopped().is_some());
    }

    #[test]
    fn counted_sources_grow_the_allowance() {
        let budget = Budget::new(0);
        let compressed = vec![0u8; 1 << 20];
        let mut counted = Counted::new(compressed.as_slice(), &budget);
        assert_eq!(drain(&mut counted), 1 << 20);
        let read = drain(&mut Capped::new(
            io::repeat(b'x').take(RATIO_FROM * 2),
            &budget,
        ));
        assert_eq!(read, RATIO_FROM * 2, "200 × 1 MiB is well above 128 MiB");
        assert_eq!(budget.stopped(), None);
    }
}
