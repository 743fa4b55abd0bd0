//! The literal index: where the prefilter looks for each literal, and the search for their
//! prefixes. Built from a set of literals, and stored as bytes: the build makes the built-in
//! library's (`build.rs`), so start-up only reads it.

use std::collections::HashMap;

use super::dfa::Dfa;
use super::literals::{Edge, Literal, Text};

/// The search looks for a literal's first this many bytes, and the rest is compared where they
/// were found: short prefixes keep the table small, quick to build and cache-resident (measured on
/// the built-in library: 12 scans fastest; 8 finds too many false starts, 24 misses the cache).
const PREFIX: usize = 12;

/// Literals, numbered, and where each is looked for.
#[derive(Debug, PartialEq)]
pub(crate) struct Index {
    pub(crate) literals: Vec<Literal>,
    /// Literals right after the line's leading whitespace, by their first byte (lowercase).
    pub(crate) blank: Vec<Vec<usize>>,
    /// The other literals' prefixes (with the newline before them, for those that start a line).
    pub(crate) prefixes: Vec<Vec<u8>>,
    /// Prefix → the literals with that prefix.
    pub(crate) by_prefix: Vec<Vec<usize>>,
    /// Prefix → how many bytes before the literal it starts (1 with a newline).
    pub(crate) skip: Vec<usize>,
    /// The search for the prefixes; `None` when its table would be too large.
    pub(crate) dfa: Option<Dfa>,
}

/// Literals numbered once each, however many patterns need them, for an [`Index`] of them.
#[derive(Debug, Default)]
pub(crate) struct Numbering {
    literals: Vec<Literal>,
    number_of: HashMap<Literal, usize>,
}

impl Numbering {
    pub(crate) fn number(&mut self, literal: Literal) -> usize {
        *self.number_of.entry(literal).or_insert_with_key(|literal| {
            self.literals.push(literal.clone());
            self.literals.len() - 1
        })
    }

    pub(crate) fn index(self) -> Index {
        Index::new(self.literals)
    }
}

impl Index {
    pub(crate) fn new(literals: Vec<Literal>) -> Self {
        let mut blank = vec![Vec::new(); 256];
        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        let mut by_prefix: Vec<Vec<usize>> = Vec::new();
        let mut prefix_of = HashMap::new();
        for (index, literal) in literals.iter().enumerate() {
            let first = literal.text.bytes.first().map(u8::to_ascii_lowercase);
            if literal.start == Edge::Blank
                && literal.leads()
                && let Some(slot) = first.and_then(|b| blank.get_mut(usize::from(b)))
            {
                slot.push(index);
                continue;
            }
            let anchored = literal.start == Edge::Flush;
            let prefix: Vec<u8> = (anchored.then_some(b'\n').into_iter())
                .chain((literal.text.bytes.iter().take(PREFIX)).map(u8::to_ascii_lowercase))
                .collect();
            let at = *prefix_of.entry(prefix).or_insert_with_key(|prefix| {
                prefixes.push(prefix.clone());
                by_prefix.push(Vec::new());
                by_prefix.len() - 1
            });
            if let Some(list) = by_prefix.get_mut(at) {
                list.push(index);
            }
        }
        let skip = (prefixes.iter())
            .map(|p| usize::from(p.first() == Some(&b'\n')))
            .collect();
        let dfa = match prefixes.is_empty() {
            true => None,
            false => Dfa::new(&prefixes),
        };
        Self {
            literals,
            blank,
            prefixes,
            by_prefix,
            skip,
            dfa,
        }
    }

    /// The index as bytes, for [`Index::from_bytes`].
    #[allow(
        dead_code,
        reason = "the build writes the index; the binary only reads it"
    )]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Writer::default();
        out.len(self.literals.len());
        for literal in &self.literals {
            out.bytes(&literal.text.bytes);
            out.bytes(&literal.text.fold);
            out.0
                .extend([edge_byte(literal.start), edge_byte(literal.end)]);
        }
        out.lists(&self.blank);
        out.len(self.prefixes.len());
        self.prefixes.iter().for_each(|p| out.bytes(p));
        out.lists(&self.by_prefix);
        out.numbers(self.skip.iter().copied());
        match &self.dfa {
            None => out.0.push(0),
            Some(dfa) => {
                out.0.push(1);
                let (classes, table, ends, lens) = dfa.parts();
                out.0.extend_from_slice(classes);
                out.len(table.len());
                table.iter().for_each(|e| out.0.extend(e.to_le_bytes()));
                out.len(ends.len());
                for state in ends {
                    out.numbers(state.iter().map(|&l| l as usize));
                }
                out.numbers(lens.iter().map(|&l| l as usize));
            }
        }
        out.0
    }

    /// Reads what [`Index::to_bytes`] wrote; `None` when `bytes` are not such an index.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        let literals = (0..r.len(10)?)
            .map(|_| {
                let bytes = r.bytes()?.to_vec();
                let fold = r.bytes()?.to_vec();
                let [start, end] = r.take(2)? else {
                    return None;
                };
                Some(Literal {
                    text: Text { bytes, fold },
                    start: edge_from(*start)?,
                    end: edge_from(*end)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let blank = r.lists()?;
        let prefixes = (0..r.len(4)?)
            .map(|_| r.bytes().map(<[u8]>::to_vec))
            .collect::<Option<Vec<_>>>()?;
        let by_prefix = r.lists()?;
        let skip = r.numbers()?;
        let dfa = match r.take(1)? {
            [0] => None,
            _ => {
                let classes: [u8; 256] = r.take(256)?.try_into().ok()?;
                let entries = r.len(2)?;
                // A plain map (each chunk has two bytes): collecting `Option`s here took
                // several times as long as the copy itself.
                let table = (r.take(entries * 2)?.chunks_exact(2))
                    .map(|e| e.try_into().map_or(0, u16::from_le_bytes))
                    .collect();
                let ends = (0..r.len(4)?)
                    .map(|_| {
                        r.numbers()
                            .map(|n| n.into_iter().map(|l| l as u32).collect())
                    })
                    .collect::<Option<Vec<_>>>()?;
                let lens = r.numbers()?.into_iter().map(|l| l as u32).collect();
                Some(Dfa::from_parts(classes, table, ends, lens)?)
            }
        };
        let consistent = r.0.is_empty()
            && blank.len() == 256
            && by_prefix.len() == prefixes.len()
            && skip.len() == prefixes.len()
            && (blank.iter().chain(&by_prefix).flatten()).all(|&l| l < literals.len());
        consistent.then_some(Self {
            literals,
            blank,
            prefixes,
            by_prefix,
            skip,
            dfa,
        })
    }
}

#[allow(
    dead_code,
    reason = "the build writes the index; the binary only reads it"
)]
fn edge_byte(edge: Edge) -> u8 {
    match edge {
        Edge::Free => 0,
        Edge::Blank => 1,
        Edge::Flush => 2,
    }
}

fn edge_from(byte: u8) -> Option<Edge> {
    [Edge::Free, Edge::Blank, Edge::Flush]
        .get(usize::from(byte))
        .copied()
}

/// Little-endian `u32` lengths and numbers, and length-prefixed byte strings.
#[derive(Default)]
#[allow(
    dead_code,
    reason = "the build writes the index; the binary only reads it"
)]
struct Writer(Vec<u8>);

#[allow(
    dead_code,
    reason = "the build writes the index; the binary only reads it"
)]
impl Writer {
    fn len(&mut self, n: usize) {
        self.0
            .extend(u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    fn numbers(&mut self, numbers: impl ExactSizeIterator<Item = usize>) {
        self.len(numbers.len());
        numbers.for_each(|n| self.len(n));
    }

    fn lists(&mut self, lists: &[Vec<usize>]) {
        self.len(lists.len());
        lists.iter().for_each(|l| self.numbers(l.iter().copied()));
    }
}

/// Reads what a [`Writer`] wrote, never trusting a length beyond the bytes left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }

    fn number(&mut self) -> Option<usize> {
        let bytes: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes) as usize)
    }

    /// A length, of items each at least `item_bytes` long: more than the bytes left is corrupt.
    fn len(&mut self, item_bytes: usize) -> Option<usize> {
        let n = self.number()?;
        (n.checked_mul(item_bytes)? <= self.0.len()).then_some(n)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }

    fn numbers(&mut self) -> Option<Vec<usize>> {
        let n = self.len(4)?;
        let numbers = self.take(n * 4)?.chunks_exact(4);
        Some(
            numbers
                .map(|b| b.try_into().map_or(0, u32::from_le_bytes) as usize)
                .collect(),
        )
    }

    fn lists(&mut self) -> Option<Vec<Vec<usize>>> {
        (0..self.len(4)?).map(|_| self.numbers()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str, start: Edge, end: Edge) -> Literal {
        Literal {
            text: Text {
                bytes: text.as_bytes().to_vec(),
                fold: text
                    .bytes()
                    .map(|b| u8::from(b.is_ascii_alphabetic()) * 0x20)
                    .collect(),
            },
            start,
            end,
        }
    }

    fn sample() -> Index {
        Index::new(vec![
            literal("error", Edge::Free, Edge::Free),
            literal("npm err!", Edge::Flush, Edge::Free),
            literal("at ", Edge::Blank, Edge::Free),
            literal("a very long literal indeed", Edge::Free, Edge::Blank),
            literal("error: ", Edge::Free, Edge::Free),
        ])
    }

    #[test]
    fn literals_are_placed_by_their_edges_and_prefixes_shared() {
        let index = sample();
        assert_eq!(index.blank.get(usize::from(b'a')), Some(&vec![2]));
        assert_eq!(
            index.prefixes.get(1).map(Vec::as_slice),
            Some(&b"\nnpm err!"[..])
        );
        assert_eq!(index.skip, vec![0, 1, 0, 0]);
        // "a very long literal indeed" is looked for by its first 12 bytes.
        assert_eq!(index.prefixes.get(2).map(Vec::len), Some(PREFIX));
        assert!(index.dfa.is_some());
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let index = sample();
        let bytes = index.to_bytes();
        assert_eq!(Index::from_bytes(&bytes).as_ref(), Some(&index));
        let empty = Index::new(Vec::new());
        assert_eq!(Index::from_bytes(&empty.to_bytes()), Some(empty));
    }

    #[test]
    fn cut_or_corrupt_bytes_are_no_index() {
        let bytes = sample().to_bytes();
        for cut in [0, 1, 4, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(Index::from_bytes(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Index::from_bytes(&longer), None);
        // A length far beyond the bytes there are is refused before anything is allocated for it.
        let mut huge = bytes;
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Index::from_bytes(&huge), None);
    }
}
