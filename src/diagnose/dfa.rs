//! A multi-literal search (Aho-Corasick, as a full DFA over byte classes) that walks four stretches
//! of text in lockstep.
//!
//! Each step of a DFA waits on the table load of the step before, so one walk leaves the core
//! mostly idle; four independent walks, their states held in registers, keep four loads in flight.
//! On the built-in library's literals this finds every occurrence two to three times as fast as one
//! walk (and as the `aho-corasick` crate's DFA, which walks once).
//!
//! The table is kept small, so that the rows in use stay in the core's own cache: 16-bit entries,
//! and at most 64 byte classes, so a state's row is 128 bytes (under 1 MB for the built-in
//! library). When the literals use more distinct bytes than that, the ones rarest in log text
//! share a class. Literals match ASCII letters in either case and such bytes for one another; the
//! caller checks each occurrence in full, so this only has to miss none.

use super::literals::commonness;

/// Independent walks per search.
const LANES: usize = 4;
/// Text shorter than this is walked once: splitting it would cost more than it saves.
const MIN_SPLIT: usize = 4096;
/// Byte classes, at most, and the length of a row: a power of two, so a row is found with a shift
/// (a fixed one: a shift by a variable takes a register the walks need).
const MAX_CLASSES: usize = 1 << SHIFT;
const SHIFT: u32 = 6;
/// States, at most: an entry holds a state and a flag in 16 bits. A larger set of literals is left
/// to the `aho-corasick` crate's slower but compact automaton.
const MAX_STATES: usize = 1 << 15;

/// Literals compiled into one transition table.
#[derive(Debug, PartialEq)]
pub(crate) struct Dfa {
    /// Byte → class. Bytes no literal uses share class 0; an ASCII capital shares its lowercase's.
    classes: [u8; 256],
    /// `state << SHIFT | class` → `next state << 1`, plus 1 when literals end in the next state.
    /// The start state is 0; states are numbered breadth-first, so the shallow ones, which most
    /// bytes lead to, sit together at the table's start.
    table: Vec<u16>,
    /// State → the literals that end there, its own and its failure chain's.
    ends: Vec<Vec<u32>>,
    lens: Vec<u32>,
}

/// One occurrence: where it starts, and which literal.
pub(crate) type Occurrence = (usize, u32);

/// A DFA as stored: byte classes, table, the literals each state ends, the literals' lengths.
pub(crate) type Parts<'a> = (&'a [u8; 256], &'a [u16], &'a [Vec<u32>], &'a [u32]);

impl Dfa {
    /// Compiles `literals` (none empty), or `None` when the table would be too large.
    pub(crate) fn new(literals: &[Vec<u8>]) -> Option<Self> {
        let classes = byte_classes(literals);
        let stride = MAX_CLASSES;
        let class = |b: u8| usize::from(classes.get(usize::from(b)).copied().unwrap_or(0));

        // The trie, first with a short list of edges per state, so the table can be allocated
        // once at its final size (growing it row by row copied it over and over).
        let mut edges: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        let mut ends: Vec<Vec<u32>> = vec![Vec::new()];
        for (index, literal) in literals.iter().enumerate() {
            let mut state = 0usize;
            for &b in literal {
                let c = class(b);
                let known = edges.get(state)?.iter().find(|(e, _)| *e == c).map(|e| e.1);
                state = match known {
                    Some(next) => next,
                    None => {
                        let next = ends.len();
                        if next >= MAX_STATES {
                            return None;
                        }
                        edges.get_mut(state)?.push((c, next));
                        edges.push(Vec::new());
                        ends.push(Vec::new());
                        next
                    }
                };
            }
            ends.get_mut(state)?.push(u32::try_from(index).ok()?);
        }
        // Breadth-first numbering: `order` lists the trie's states by depth, `id` maps back.
        let mut order = vec![0usize];
        let mut at = 0;
        while let Some(&state) = order.get(at) {
            order.extend(edges.get(state)?.iter().map(|&(_, next)| next));
            at += 1;
        }
        let mut id = vec![0usize; order.len()];
        for (new, &old) in order.iter().enumerate() {
            *id.get_mut(old)? = new;
        }
        let mut ends: Vec<Vec<u32>> = order
            .iter()
            .map(|&old| ends.get_mut(old).map(std::mem::take))
            .collect::<Option<_>>()?;
        // The trie in the table's own rows: `NONE` marks a missing edge until it is filled.
        const NONE: u16 = u16::MAX;
        let mut table: Vec<u16> = vec![NONE; ends.len() * stride];
        for (old, out) in edges.iter().enumerate() {
            let row = *id.get(old)? * stride;
            for &(c, next) in out {
                *table.get_mut(row + c)? = u16::try_from(*id.get(next)?).ok()?;
            }
        }
        drop(edges);

        // States in breadth-first order: a state's parent and its failure (the longest proper
        // suffix that is a trie state, so shallower) are complete before it. Every missing edge
        // goes where the failure's edge goes.
        // The start state's children fail to it; each other state's failure is set with its parent.
        let mut fail = vec![0u16; ends.len()];
        for edge in table.get_mut(..stride)? {
            if *edge == NONE {
                *edge = 0;
            }
        }
        let mut fail_row = vec![0u16; stride];
        for state in 1..ends.len() {
            let f = usize::from(*fail.get(state)?);
            if !ends.get(f)?.is_empty() {
                let inherited = ends.get(f)?.clone();
                ends.get_mut(state)?.extend(inherited);
            }
            fail_row.copy_from_slice(table.get(f * stride..(f + 1) * stride)?);
            let row = table.get_mut(state * stride..(state + 1) * stride)?;
            for (edge, &via_fail) in row.iter_mut().zip(&fail_row) {
                match *edge {
                    NONE => *edge = via_fail,
                    next => *fail.get_mut(usize::from(next))? = via_fail,
                }
            }
        }
        let ending: Vec<u16> = ends.iter().map(|e| u16::from(!e.is_empty())).collect();
        for edge in &mut table {
            *edge = *edge << 1 | ending.get(usize::from(*edge))?;
        }
        Some(Self {
            classes,
            table,
            ends,
            lens: literals
                .iter()
                .map(|l| u32::try_from(l.len()).unwrap_or(u32::MAX))
                .collect(),
        })
    }

    /// The table and what it needs besides, for [`Dfa::from_parts`] (the build stores the built-in
    /// library's).
    #[allow(
        dead_code,
        reason = "the build writes the table; the binary only reads it"
    )]
    pub(crate) fn parts(&self) -> Parts<'_> {
        (&self.classes, &self.table, &self.ends, &self.lens)
    }

    /// A DFA from [`Dfa::parts`]; `None` when they do not fit together. An entry naming a state
    /// past the table would only restart the walk (lookups never panic), so entries are not checked.
    pub(crate) fn from_parts(
        classes: [u8; 256],
        table: Vec<u16>,
        ends: Vec<Vec<u32>>,
        lens: Vec<u32>,
    ) -> Option<Self> {
        let fits = table.len() == ends.len() * MAX_CLASSES
            && ends.len() <= MAX_STATES
            && classes.iter().all(|&c| usize::from(c) < MAX_CLASSES)
            && ends.iter().flatten().all(|&l| (l as usize) < lens.len());
        fits.then_some(Self {
            classes,
            table,
            ends,
            lens,
        })
    }

    /// Appends every occurrence of every literal in `text`, ordered by where it ends. `text` is cut
    /// into stretches at `cut` bytes (which no literal contains past its first byte, so no
    /// occurrence spans two stretches), walked side by side.
    pub(crate) fn find_all(&self, text: &[u8], cut: u8, out: &mut Vec<Occurrence>) {
        let mut starts = [0usize; LANES];
        if text.len() >= MIN_SPLIT {
            for (lane, start) in starts.iter_mut().enumerate().skip(1) {
                let from = text.len() * lane / LANES;
                *start = memchr::memchr(cut, text.get(from..).unwrap_or_default())
                    .map_or(text.len(), |at| from + at);
            }
        }
        let stretches: [&[u8]; LANES] = std::array::from_fn(|lane| {
            let start = starts.get(lane).copied().unwrap_or(0);
            let end = starts.get(lane + 1).copied().unwrap_or(text.len());
            text.get(start..end.max(start)).unwrap_or_default()
        });
        let mut found: [Vec<Occurrence>; LANES] = Default::default();
        // In lockstep while every stretch has bytes left, then each alone. Four named states and
        // zipped iterators keep the walks in registers and free of bounds checks.
        let common = stretches.iter().map(|s| s.len()).min().unwrap_or(0);
        let [a, b, c, d] = stretches.map(|s| s.get(..common).unwrap_or_default());
        let (mut sa, mut sb, mut sc, mut sd) = (0u32, 0u32, 0u32, 0u32);
        let bytes = a.iter().zip(b).zip(c).zip(d).enumerate();
        for (at, (((&ba, &bb), &bc), &bd)) in bytes {
            sa = self.next(sa, ba);
            sb = self.next(sb, bb);
            sc = self.next(sc, bc);
            sd = self.next(sd, bd);
            if (sa | sb | sc | sd) & 1 == 1 {
                self.record_lanes([sa, sb, sc, sd], &starts, at, &mut found);
            }
        }
        let states = [sa, sb, sc, sd];
        let lanes = states.iter().zip(&stretches).zip(&starts).zip(&mut found);
        for (((&state, stretch), &start), found) in lanes {
            let mut state = state;
            for (at, &byte) in stretch.iter().enumerate().skip(common) {
                state = self.next(state, byte);
                if state & 1 == 1 {
                    self.record(state, start + at, found);
                }
            }
            out.append(found);
        }
    }

    /// Records, for each lane whose state ends literals, those ending at byte `at` of its stretch.
    #[cold]
    fn record_lanes(
        &self,
        states: [u32; LANES],
        starts: &[usize; LANES],
        at: usize,
        found: &mut [Vec<Occurrence>; LANES],
    ) {
        for ((state, start), found) in states.iter().zip(starts).zip(found) {
            if state & 1 == 1 {
                self.record(*state, start + at, found);
            }
        }
    }

    #[inline(always)]
    fn next(&self, state: u32, byte: u8) -> u32 {
        let class = u32::from(self.classes.get(usize::from(byte)).copied().unwrap_or(0));
        // Every entry holds a valid state: the lookup never misses; 0 (the start) if it did.
        let entry = self.table.get(((state >> 1) << SHIFT | class) as usize);
        u32::from(entry.copied().unwrap_or(0))
    }

    /// Records the literals ending at byte `last` in `state`.
    #[cold]
    fn record(&self, state: u32, last: usize, out: &mut Vec<Occurrence>) {
        for &literal in self
            .ends
            .get((state >> 1) as usize)
            .map_or(&[][..], Vec::as_slice)
        {
            let len = self.lens.get(literal as usize).copied().unwrap_or(0) as usize;
            out.push(((last + 1).saturating_sub(len), literal));
        }
    }
}

/// Byte → class for `literals`. Each byte a literal uses (a capital as its lowercase) has a class of
/// its own, up to [`MAX_CLASSES`]; past that, the rarest share the last one (on the built-in
/// library, bytes of non-ASCII characters such as `✖` and case variants such as `ſ`). Bytes no
/// literal uses are class 0. A shared class costs only occurrences the caller rules out: on the
/// built-in library, one in twenty more.
fn byte_classes(literals: &[Vec<u8>]) -> [u8; 256] {
    // How many literal bytes each byte is (capitals as lowercase), to break ties in commonness.
    let mut uses = [0usize; 256];
    for &b in literals.iter().flatten() {
        if let Some(n) = uses.get_mut(usize::from(b.to_ascii_lowercase())) {
            *n += 1;
        }
    }
    let used = |b: u8| uses.get(usize::from(b)).copied().unwrap_or(0);
    let mut bytes: Vec<u8> = (0..=255u8).filter(|&b| used(b) > 0).collect();
    // Most common first: the newline (it starts every line of a block), then ASCII before the
    // bytes of other characters, each by how common it is in logs, then by how many literals use it.
    bytes.sort_by_key(|&b| std::cmp::Reverse((b == b'\n', b.is_ascii(), commonness(b), used(b))));
    let mut classes = [0u8; 256];
    for (rank, &b) in bytes.iter().enumerate() {
        if let Some(class) = classes.get_mut(usize::from(b)) {
            *class = u8::try_from((rank + 1).min(MAX_CLASSES - 1)).unwrap_or(0);
        }
    }
    for upper in b'A'..=b'Z' {
        let lower = classes
            .get(usize::from(upper.to_ascii_lowercase()))
            .copied();
        if let (Some(class), Some(lower)) = (classes.get_mut(usize::from(upper)), lower) {
            *class = lower;
        }
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, MatchKind};

    /// Every occurrence, as the `aho-corasick` crate finds them, in the same order.
    fn reference(literals: &[&str], text: &str) -> Vec<Occurrence> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(literals)
            .unwrap();
        ac.find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_u32()))
            .collect()
    }

    fn find(literals: &[&str], text: &str) -> Vec<Occurrence> {
        let owned: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        Dfa::new(&owned)
            .unwrap()
            .find_all(text.as_bytes(), b'\n', &mut out);
        out
    }

    #[test]
    fn finds_overlapping_and_nested_literals_in_either_case() {
        let literals = ["error", "rror:", "or", "\nfail"];
        let text = "\nERROR: x\nfail here\nno failure\nterror";
        let mut got = find(&literals, text);
        let mut want = reference(&literals, text);
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(
            got.contains(&(9, 3)),
            "a literal anchored on the newline: {got:?}"
        );
    }

    #[test]
    fn lanes_find_what_one_walk_finds() {
        let literals = [
            "timeout",
            "out",
            "connection reset",
            "\n##[error]",
            "é",
            "ß",
        ];
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "\nline {i}: {}",
                [
                    "ok",
                    "Connection RESET by peer",
                    "##[error]x",
                    "timeout é ß",
                    "tim"
                ][i % 5]
            ));
        }
        let mut got = find(&literals, &text);
        let mut want = reference(&literals, &text);
        assert!(text.len() > MIN_SPLIT);
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got.len(), want.len());
        assert_eq!(got, want);
    }

    #[test]
    fn past_the_class_limit_rare_bytes_share_a_class_and_nothing_is_missed() {
        // Every printable ASCII byte and a few non-ASCII characters: far more than 64 classes.
        let mut literals: Vec<String> = (b'!'..=b'~')
            .map(|b| format!("{}x{}", char::from(b), char::from(b)))
            .collect();
        literals.extend(["«é»", "✖ fail", "| table |"].map(str::to_owned));
        let literals: Vec<&str> = literals.iter().map(String::as_str).collect();

        // Text made of the literals: found exactly as the crate finds them.
        let common_text = "\nexe and axa, 0x0: sxs\n".repeat(300);
        let mut got = find(&literals, &common_text);
        let mut want = reference(&literals, &common_text);
        got.sort_unstable();
        want.sort_unstable();
        assert!(!want.is_empty());
        assert_eq!(got, want);

        // Text with the rarest bytes: never fewer occurrences than the crate finds, and the extra
        // ones sit where a rare byte stands for another.
        let rare_text = "\n«é» |x| ✖ fail `x` | table | +x+ \n".repeat(300);
        let got = find(&literals, &rare_text);
        let want = reference(&literals, &rare_text);
        assert!(want.iter().all(|o| got.contains(o)), "missed: {got:?}");
        let is_rare = |b: u8| !b.is_ascii_alphanumeric() && b != b' ' && b != b'\n';
        for &(start, literal) in got.iter().filter(|o| !want.contains(o)) {
            let literal = literals[literal as usize].as_bytes();
            let seen = &rare_text.as_bytes()[start..start + literal.len()];
            for (l, t) in literal.iter().zip(seen) {
                assert!(l.eq_ignore_ascii_case(t) || (is_rare(*l) && is_rare(*t)));
            }
        }
    }
}
