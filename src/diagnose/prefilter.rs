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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{RegexSet, RegexSetBuilder};

use super::block::Block;
use super::dfa::{Dfa, Occurrence};
use super::index::{Index, Numbering};
use crate::rules::literals::{Group, Probe, lead};
use crate::rules::{BUILTIN_INDEX, Indexed, Pattern};

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
    /// The literals, numbered, and where each is looked for; its DFA is moved to `search`.
    index: Index,
    /// Literal number → the branches it is a primary literal of.
    owners: Vec<Vec<usize>>,
    branches: Vec<Branch>,
    search: Option<Search>,
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

/// What each pattern needs, its literals numbered as in an [`Index`].
#[derive(Default)]
struct Shape {
    /// Per branch: its pattern, its primary literals' numbers, and its other groups.
    branches: Vec<(usize, Vec<usize>, Vec<Group>)>,
    /// Patterns without usable literals.
    always: Vec<usize>,
}

impl Prefilter {
    /// Builds the prefilter over `patterns`. When all of them are built-in, the index the build
    /// made is read instead of built: it is most of the prefilter's start-up.
    pub(crate) fn new(patterns: &[&Pattern]) -> Result<Self, aho_corasick::BuildError> {
        match builtin(patterns) {
            Some((index, shape)) => Self::assemble(patterns, index, shape),
            None => Self::built_here(patterns),
        }
    }

    /// Builds the prefilter, index included, from the patterns' own literals.
    fn built_here(patterns: &[&Pattern]) -> Result<Self, aho_corasick::BuildError> {
        let (index, shape) = numbered(patterns);
        Self::assemble(patterns, index, shape)
    }

    fn assemble(
        patterns: &[&Pattern],
        mut index: Index,
        shape: Shape,
    ) -> Result<Self, aho_corasick::BuildError> {
        let mut owners = vec![Vec::new(); index.literals.len()];
        let branches = (shape.branches.into_iter().enumerate())
            .map(|(branch, (pattern, primary, others))| {
                for literal in primary {
                    if let Some(o) = owners.get_mut(literal) {
                        o.push(branch);
                    }
                }
                Branch {
                    pattern,
                    others: others.into_iter().map(Probe::new).collect(),
                }
            })
            .collect();
        let search = match index.dfa.take() {
            Some(dfa) => Some(Search::Dfa(Box::new(dfa))),
            None if index.prefixes.is_empty() => None,
            None => Some(Search::Automaton(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&index.prefixes)?,
            )),
        };
        let always = shape.always;
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
            index,
            owners,
            branches,
            search,
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
            scratch.literal_stamps = vec![0; self.index.literals.len()];
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
                for &literal in (self.index.blank)
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
                    (start + self.index.skip.get(prefix).copied().unwrap_or(0)).checked_sub(offset)
                else {
                    continue;
                };
                for &literal in self
                    .index
                    .by_prefix
                    .get(prefix)
                    .map_or(&[][..], Vec::as_slice)
                {
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
            || !(self.index.literals)
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

/// The built-in index, and what each pattern needs in it; `None` unless it holds every pattern.
fn builtin(patterns: &[&Pattern]) -> Option<(Index, Shape)> {
    let mut shape = Shape::default();
    for (pattern, p) in patterns.iter().enumerate() {
        match p.indexed()? {
            Indexed::Always => shape.always.push(pattern),
            Indexed::Alternatives(alternatives) => {
                for (ids, others) in alternatives {
                    let ids = ids.iter().map(|&id| id as usize).collect();
                    shape.branches.push((pattern, ids, others));
                }
            }
        }
    }
    let index = Index::from_bytes(BUILTIN_INDEX)?;
    let in_range =
        (shape.branches.iter().flat_map(|(_, ids, _)| ids)).all(|&id| id < index.literals.len());
    in_range.then_some((index, shape))
}

/// The patterns' literals, read and numbered once each however many patterns need them, and their
/// index.
fn numbered(patterns: &[&Pattern]) -> (Index, Shape) {
    let mut numbering = Numbering::default();
    let mut shape = Shape::default();
    // A user's patterns are read here, each independent of the others.
    let threads = crate::batch::default_threads();
    let all_needs = crate::batch::map(patterns.to_vec(), threads, |p| p.needs());
    for (pattern, needed) in all_needs.into_iter().enumerate() {
        let Some(alternatives) = needed else {
            shape.always.push(pattern);
            continue;
        };
        for alternative in alternatives {
            let ids = (alternative.primary.into_iter())
                .map(|literal| numbering.number(literal))
                .collect();
            shape.branches.push((pattern, ids, alternative.others));
        }
    }
    (numbering.index(), shape)
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
        assert!(
            builtin(&patterns).is_some(),
            "the index the build made holds every pattern the scanner searches for"
        );
        let prefilter = Prefilter::new(&patterns).unwrap();
        let built_here = Prefilter::built_here(&patterns).unwrap();
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
        let scan = |prefilter: &Prefilter| {
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
            scratch
        };
        let scratch = scan(&prefilter);
        // The index read from the build lists what one built from the patterns here lists.
        let here = scan(&built_here);
        for (i, text) in lines.iter().enumerate() {
            assert_eq!(scratch.candidates(i), here.candidates(i), "{text}");
        }
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
