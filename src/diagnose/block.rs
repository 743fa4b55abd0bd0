//! Blocks of lines: the unit the scanner works on, so the literal search runs over many lines at
//! once, and the unit one thread hands another when reading and matching run side by side.

use super::dfa::Occurrence;
use crate::ingest::{Line, MAX_LINE_BYTES};

/// A block is handed on once it holds this much text or this many lines.
const BLOCK_BYTES: usize = 256 << 10;
pub(super) const BLOCK_LINES: usize = 4096;

/// One line of a block: where its text sits in the block's text, and what ingest said of it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    number: u64,
    start: usize,
    end: usize,
    step: Option<usize>,
}

/// Lines gathered for the scanner, their texts back to back, each after a newline: a literal found
/// never spans two lines, and one that starts a line can be looked for with the newline before it.
#[derive(Debug, Default)]
pub(crate) struct Block {
    text: String,
    entries: Vec<Entry>,
    /// The literal prefixes found in `text`, once `searched`.
    pub(crate) found: Vec<Occurrence>,
    pub(crate) searched: bool,
}

impl Block {
    /// An empty block with room for a full one and the line that fills it (unless that line was
    /// invalid UTF-8, which decodes longer): filling it does not copy what it holds. For blocks
    /// that are filled and recycled; an empty `default()` one allocates nothing.
    pub(crate) fn with_room() -> Self {
        Self {
            text: String::with_capacity(BLOCK_BYTES + MAX_LINE_BYTES + 1),
            entries: Vec::with_capacity(BLOCK_LINES),
            ..Self::default()
        }
    }

    pub(crate) fn push(&mut self, line: &Line<'_>) {
        self.text.push('\n');
        let start = self.text.len();
        self.text.push_str(line.text);
        self.entries.push(Entry {
            number: line.number,
            start,
            end: self.text.len(),
            step: line.step,
        });
    }

    /// Whether the block has reached the size it is handed on at.
    pub(crate) fn is_full(&self) -> bool {
        self.text.len() >= BLOCK_BYTES || self.entries.len() >= BLOCK_LINES
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the block, keeping its allocations for the next lines.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
        self.found.clear();
        self.searched = false;
    }

    /// All the lines' text, each after a newline.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many lines the block holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The `index`th line.
    pub(crate) fn line(&self, index: usize) -> Option<Line<'_>> {
        self.entries.get(index).map(|e| self.entry_line(e))
    }

    /// The lines, with the offset of each one's text in [`Block::text`].
    pub(crate) fn lines(&self) -> impl Iterator<Item = (usize, Line<'_>)> {
        self.entries.iter().map(|e| (e.start, self.entry_line(e)))
    }

    fn entry_line(&self, e: &Entry) -> Line<'_> {
        Line {
            number: e.number,
            text: self.text.get(e.start..e.end).unwrap_or_default(),
            step: e.step,
        }
    }
}
