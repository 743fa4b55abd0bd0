//! Literal prefilter: find the rules a line could match with one multi-literal pass, before any regex.
//!
//! Each pattern's required literals ([`crate::rules::literals`]) are found two ways. Those right
//! after a line's leading whitespace are looked up by the byte there. All the others are found by
//! one search over a whole block of lines ([`super::dfa`]), for their first bytes; those that start
//! a line are searched for with the newline before them. A literal found is checked in full where
//! it was found, case and place included. Its pattern becomes a candidate when the other literals
//! it needs are on the line too (looked for on that line alone), and only candidates run their
//! regex. Patterns without usable literals are checked on every line, all together in one
//! `RegexSet`.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{RegexSet, RegexSetBuilder};

use super::block::Block;
use super::dfa::{Dfa, Occurrence};
use crate::rules::Pattern;
use crate::rules::literals::{Edge, Literal, Probe, lead};

/// The search looks for a literal's first this many bytes, and the rest is compared where they
/// were found: short prefixes keep the table small, quick to build and cache-resident (measured on
/// the built-in library: 12 scans fastest; 8 finds too many false starts, 24 misses the cache).
const PREFIX: usize = 12;
/// Compiled size cap for the set of patterns without literals; past it, each runs on its own.
const SET_SIZE_LIMIT: usize = 16 << 20;

/// The search for literal prefixes: the lockstep DFA, or for a set too large for its table, the
/// `aho-corasick` crate's compact automaton.
#[derive(Debug)]
enum Search {
    Dfa(Box<Dfa>),
    Automaton(AhoCorasick),
}

impl Search {
    /// Every occurrence in `text`, ordered by where it ends.
    fn find_all(&self, text: &[u8], out: &mut Vec<Occurrence>) {
        match self {
            Self::Dfa(dfa) => dfa.find_all(text, b'\n', out),
            Self::Automaton(ac) => out.extend(
                ac.find_overlapping_iter(text)
                    .map(|m| (m.start(), m.pattern().as_u32())),
            ),
        }
    }
}

/// One top-level alternative of a pattern: found by its primary literals, then checked for the rest.
#[derive(Debug)]
struct Branch {
    pattern: usize,
    /// Groups that must also be on the line (any one literal of each), looked for on the line
    /// itself: searching every line for them would find far more than the primary literals do.
    others: Vec<Probe>,
}

/// The patterns' literals, compiled for one pass per line.
#[derive(Debug)]
pub(crate) struct Prefilter {
    literals: Vec<Literal>,
    /// Literal index → the branches it is a primary literal of.
    owners: Vec<Vec<usize>>,
    branches: Vec<Branch>,
    /// Literals right after the line's leading whitespace, by their first byte (lowercase).
    blank: Vec<Vec<usize>>,
    /// The other literals' prefixes (with the newline before them, for those that start a line).
    search: Option<Search>,
    /// Searched prefix → the literals with that prefix.
    by_prefix: Vec<Vec<usize>>,
    /// Searched prefix → how many bytes before the literal it starts (1 with a newline).
    skip: Vec<usize>,
    /// Patterns without usable literals: checked on every line.
    always: Vec<usize>,
    /// `always` as one set, when it compiles: a line lists only those of them that match it.
    always_set: Option<RegexSet>,
    patterns: usize,
}

/// Reusable per-scan state, so the hot loop does not allocate.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Per pattern, branch and literal, the last line it was listed or found on: each is listed
    /// once per line, and a literal found is not checked again on the same line.
    pattern_stamps: Vec<u64>,
    branch_stamps: Vec<u64>,
    literal_stamps: Vec<u64>,
    line: u64,
    found: Vec<usize>,
    /// The block's candidates, line after line; `ends[i]` is where line `i`'s end.
    candidates: Vec<usize>,
    ends: Vec<usize>,
}

impl Scratch {
    /// The patterns line `index` of the last block scanned could match.
    pub(crate) fn candidates(&self, index: usize) -> &[usize] {
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.candidates.get(start..end).unwrap_or_default()
    }
}

/// Literals numbered once each, however many patterns need them.
#[derive(Default)]
struct Numbering {
    literals: Vec<Literal>,
    owners: Vec<Vec<usize>>,
    index_of: HashMap<Literal, usize>,
}

impl Numbering {
    fn number(&mut self, literal: Literal) -> usize {
        *self.index_of.entry(literal).or_insert_with_key(|literal| {
            self.literals.push(literal.clone());
            self.owners.push(Vec::new());
            self.owners.len() - 1
        })
    }
}

impl Prefilter {
    /// Builds the prefilter over `patterns`.
    pub(crate) fn new(patterns: &[&Pattern]) -> Result<Self, aho_corasick::BuildError> {
        let mut numbering = Numbering::default();
        let mut branches = Vec::new();
        let mut always = Vec::new();
        // The build read the built-in patterns' literals; a user's patterns are read here, each
        // independent of the others.
        let threads = crate::batch::default_threads();
        let all_needs = crate::batch::map(patterns.to_vec(), threads, |p| p.needs());
        for (pattern, needed) in all_needs.into_iter().enumerate() {
            let Some(alternatives) = needed else {
                always.push(pattern);
                continue;
            };
            for alternative in alternatives {
                let branch = branches.len();
                for literal in alternative.primary {
                    let at = numbering.number(literal);
                    if let Some(o) = numbering.owners.get_mut(at) {
                        o.push(branch);
                    }
                }
                branches.push(Branch {
                    pattern,
                    others: (alternative.others.into_iter()).map(Probe::new).collect(),
                });
            }
        }
        let Numbering {
            literals, owners, ..
        } = numbering;
        let mut blank = vec![Vec::new(); 256];
        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        let mut by_prefix: Vec<Vec<usize>> = Vec::new();
        let mut prefix_of: HashMap<Vec<u8>, usize> = HashMap::new();
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
            let prefix: Vec<u8> = anchored
                .then_some(b'\n')
                .into_iter()
                .chain(
                    literal
                        .text
                        .bytes
                        .iter()
                        .take(PREFIX)
                        .map(u8::to_ascii_lowercase),
                )
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
        let skip = prefixes
            .iter()
            .map(|p| usize::from(p.first() == Some(&b'\n')))
            .collect();
        let search = match prefixes.is_empty() {
            true => None,
            false => Some(match Dfa::new(&prefixes) {
                Some(dfa) => Search::Dfa(Box::new(dfa)),
                None => Search::Automaton(
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&prefixes)?,
                ),
            }),
        };
        let always_set = (!always.is_empty())
            .then(|| {
                RegexSetBuilder::new(
                    always
                        .iter()
                        .filter_map(|&i| patterns.get(i).map(|p| p.as_str())),
                )
                .size_limit(SET_SIZE_LIMIT)
                .build()
                .ok()
            })
            .flatten();
        Ok(Self {
            literals,
            owners,
            branches,
            blank,
            search,
            by_prefix,
            skip,
            always,
            always_set,
            patterns: patterns.len(),
        })
    }

    /// Finds the literal prefixes in `block`'s text, once, for [`Prefilter::scan`]: the search is
    /// a separate step so that the thread reading a log can run it before handing the block on.
    pub(crate) fn search(&self, block: &mut Block) {
        if block.searched {
            return;
        }
        let mut found = std::mem::take(&mut block.found);
        found.clear();
        if let Some(search) = &self.search {
            search.find_all(block.text().as_bytes(), &mut found);
        }
        block.found = found;
        block.searched = true;
    }

    /// Lists, for each line of `block`, the patterns it could match, in ascending order
    /// ([`Scratch::candidates`]). The block must have been searched ([`Prefilter::search`]).
    pub(crate) fn scan(&self, block: &Block, scratch: &mut Scratch) {
        if scratch.pattern_stamps.len() != self.patterns {
            scratch.pattern_stamps = vec![0; self.patterns];
            scratch.branch_stamps = vec![0; self.branches.len()];
            scratch.literal_stamps = vec![0; self.literals.len()];
        }
        scratch.candidates.clear();
        scratch.ends.clear();
        // One search over the whole block; its hits come in line order, as none spans a newline.
        let hits = block.found.as_slice();
        let mut next_hit = 0;
        for (offset, line) in block.lines() {
            scratch.line += 1;
            scratch.found.clear();
            let text = line.text;
            let first = scratch.candidates.len();
            match &self.always_set {
                Some(set) => scratch.candidates.extend(
                    set.matches(text)
                        .iter()
                        .filter_map(|i| self.always.get(i).copied()),
                ),
                None => scratch.candidates.extend_from_slice(&self.always),
            }
            let at = lead(text);
            if let Some(&byte) = text.as_bytes().get(at) {
                for &literal in self
                    .blank
                    .get(usize::from(byte.to_ascii_lowercase()))
                    .map_or(&[][..], Vec::as_slice)
                {
                    self.check(literal, text, at, scratch);
                }
            }
            let end = offset + text.len();
            while let Some(&(start, prefix)) = hits.get(next_hit).filter(|(s, _)| *s < end) {
                next_hit += 1;
                let prefix = prefix as usize;
                let Some(at) =
                    (start + self.skip.get(prefix).copied().unwrap_or(0)).checked_sub(offset)
                else {
                    continue;
                };
                for &literal in self.by_prefix.get(prefix).map_or(&[][..], Vec::as_slice) {
                    self.check(literal, text, at, scratch);
                }
            }
            let stamp = scratch.line;
            for &branch in &scratch.found {
                let Some(b) = self.branches.get(branch) else {
                    continue;
                };
                if scratch.pattern_stamps.get(b.pattern) != Some(&stamp)
                    && b.others.iter().all(|probe| probe.is_on(text))
                    && let Some(s) = scratch.pattern_stamps.get_mut(b.pattern)
                {
                    *s = stamp;
                    scratch.candidates.push(b.pattern);
                }
            }
            // A pattern is listed once per line: `always` ones have no branches, the others a stamp.
            if let Some(listed) = scratch.candidates.get_mut(first..) {
                listed.sort_unstable();
            }
            scratch.ends.push(scratch.candidates.len());
        }
    }

    /// Records `literal`, and the branches it is primary for, when it is at byte `at` of `line`.
    fn check(&self, literal: usize, line: &str, at: usize, scratch: &mut Scratch) {
        let Some(stamp) = scratch.literal_stamps.get_mut(literal) else {
            return;
        };
        if *stamp == scratch.line
            || !self
                .literals
                .get(literal)
                .is_some_and(|l| l.is_at(line, at))
        {
            return;
        }
        *stamp = scratch.line;
        for &branch in self.owners.get(literal).map_or(&[][..], Vec::as_slice) {
            if let Some(s) = scratch.branch_stamps.get_mut(branch)
                && *s != scratch.line
            {
                *s = scratch.line;
                scratch.found.push(branch);
            }
        }
    }

    /// How many patterns are checked on every line (no usable literal).
    #[cfg(test)]
    pub(crate) fn unfiltered(&self) -> usize {
        self.always.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{self, Line, LogInput};
    use crate::rules::{Library, Scope};

    /// A literal set too large for the lockstep DFA falls back to the crate's automaton: both must
    /// find the same occurrences, ordered by where they end.
    #[test]
    fn both_searches_find_the_same_occurrences() {
        let prefixes: Vec<Vec<u8>> = ["error", "\nfail", "rror:", "timed out", "é"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        let dfa = Search::Dfa(Box::new(Dfa::new(&prefixes).unwrap()));
        let automaton = Search::Automaton(
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&prefixes)
                .unwrap(),
        );
        let text = "\nERROR: x timed out\nfail é\n  fail\n".repeat(500);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        dfa.find_all(text.as_bytes(), &mut a);
        automaton.find_all(text.as_bytes(), &mut b);
        let ends = |v: &[Occurrence]| -> Vec<usize> {
            v.iter()
                .map(|&(start, p)| start + prefixes[p as usize].len())
                .collect()
        };
        assert!(ends(&a).is_sorted() && ends(&b).is_sorted());
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(a.len(), 500 * 5);
    }

    /// The prefilters may only let too much through: on every example of every built-in rule and on
    /// every line of every fixture log, each line pattern whose regex matches is among the
    /// candidates, and each candidate, run as the scanner runs it (screened, or in its ASCII form),
    /// finds what its full regex finds.
    #[test]
    fn builtin_candidates_never_miss_a_match() {
        let library = Library::load(&[], true).unwrap();
        let patterns: Vec<&Pattern> = library
            .rules
            .iter()
            .filter(|r| r.scope == Scope::Line)
            .flat_map(|r| std::iter::once(&r.pattern).chain(r.window.as_ref().map(|w| &w.pattern)))
            .collect();
        let prefilter = Prefilter::new(&patterns).unwrap();
        assert_eq!(
            prefilter.unfiltered(),
            0,
            "every built-in pattern has literals"
        );
        let mut lines: Vec<String> = library
            .rules
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.counterexamples))
            .flat_map(|e| e.split('\n').map(str::to_owned))
            .collect();
        let mut logs = 0;
        for entry in std::fs::read_dir("fixtures/logs").unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let input = LogInput::from_bytes("fixture", &path.display().to_string(), bytes);
            ingest::read(input, &mut |line| lines.push(line.text.to_owned())).unwrap();
            logs += 1;
        }
        assert!(
            logs >= 10 && lines.len() > 5_000,
            "{logs} logs, {} lines",
            lines.len()
        );
        let mut block = Block::default();
        for (i, text) in lines.iter().enumerate() {
            block.push(&Line {
                number: i as u64 + 1,
                text,
                step: None,
            });
        }
        let mut scratch = Scratch::default();
        prefilter.search(&mut block);
        prefilter.scan(&block, &mut scratch);
        // The reference is the `regex` crate with its defaults, not the engine's own build of it.
        let full: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p.as_str()).unwrap())
            .collect();
        let spans = |caps: Option<regex::Captures<'_>>| {
            caps.map(|caps| {
                caps.iter()
                    .map(|m| m.map(|m| (m.start(), m.end())))
                    .collect::<Vec<_>>()
            })
        };
        let (mut matched, mut ascii) = (0, 0);
        for (i, text) in lines.iter().enumerate() {
            for (p, regex) in full.iter().enumerate() {
                if regex.is_match(text) {
                    matched += 1;
                    assert!(
                        scratch.candidates(i).contains(&p),
                        "`{}` matches but is no candidate: {text}",
                        regex.as_str()
                    );
                }
            }
            // A candidate's regex runs through its screen, or on an ASCII line its ASCII form: either
            // way it must match, and capture, exactly what the full regex does.
            ascii += usize::from(text.is_ascii());
            for &p in scratch.candidates(i) {
                assert_eq!(
                    patterns[p].captures(text).map(|f| f.spans()),
                    spans(full[p].captures(text)),
                    "`{}` on: {text}",
                    full[p].as_str()
                );
            }
        }
        assert!(matched > 1_000, "{matched}");
        assert!(ascii > 5_000 && ascii < lines.len(), "{ascii} ASCII lines");
    }

    #[test]
    fn candidates_are_a_superset_of_matches() {
        let patterns = [
            "No space left",
            r"(?i)connection reset",
            r"^E\s+\w",
            r"\w\d",
        ]
        .map(|p| Pattern::new("pattern", p.to_owned(), crate::rules::Compile::OnFirstUse).unwrap());
        let pf = Prefilter::new(&patterns.each_ref()).unwrap();
        assert_eq!(pf.unfiltered(), 1);
        let mut scratch = Scratch::default();
        let cases = [
            ("write: No space left on device", vec![0]),
            ("CONNECTION RESET by peer", vec![1]),
            ("E   assert 1 == 2", vec![2]),
            ("build x86", vec![3]),
            ("  E   assert", vec![]),
            ("nothing here", vec![]),
        ];
        let mut block = Block::default();
        for (i, (text, _)) in cases.iter().enumerate() {
            block.push(&crate::ingest::Line {
                number: i as u64 + 1,
                text,
                step: None,
            });
        }
        pf.search(&mut block);
        pf.scan(&block, &mut scratch);
        for (i, (line, expected)) in cases.iter().enumerate() {
            assert_eq!(scratch.candidates(i), expected, "{line}");
        }
    }
}
