//! Literal prefilter: find the rules a line could match with one multi-literal pass, before any regex.
//!
//! Every pattern is parsed, and a set of literals is extracted such that any match of the pattern
//! contains at least one of them (ASCII case folded, so the test is a superset of the regex's). One
//! Aho-Corasick automaton over all those literals tells, per line, which patterns are worth running.
//! Patterns with no usable literal (shorter than `MIN_LITERAL` bytes) are checked on every line,
//! all together in one `RegexSet` pass, so only the ones that match become candidates.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::{RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::rules::Pattern;

/// A literal shorter than this hits too many lines to be worth prefiltering on.
const MIN_LITERAL: usize = 3;
/// A literal's first this many bytes are what the automaton looks for: a line holding the literal
/// holds its prefix, and short prefixes keep the automaton small and quick to build (measured on the
/// built-in library: 16 bytes cuts the build from ~55 ms to ~19 ms and loses almost no selectivity).
const MAX_LITERAL: usize = 16;
/// Joining pieces stops before it makes more alternatives than this (an alternation of such
/// products must still fit in `MAX_ALTERNATIVES`).
const MAX_PRODUCT: usize = 16;
/// A repeated character counts at most this many times towards a literal.
const MAX_REPEAT: u32 = 8;
/// An alternation with more literals than this is not worth prefiltering on.
const MAX_ALTERNATIVES: usize = 32;
/// Compiled size cap for the set of patterns without literals; past it, each runs on its own.
const SET_SIZE_LIMIT: usize = 16 << 20;

/// The patterns' literals, compiled for one pass per line.
#[derive(Debug)]
pub(crate) struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// Literal index → the patterns that need it.
    owners: Vec<Vec<usize>>,
    /// Patterns without a usable literal: checked on every line.
    always: Vec<usize>,
    /// `always` as one set, when it compiles: a line lists only those of them that match it.
    always_set: Option<RegexSet>,
    /// Per-pattern stamp of the last line it was listed for, to list each pattern once per line.
    patterns: usize,
}

/// Reusable per-scan state, so the hot loop does not allocate.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    stamps: Vec<u64>,
    line: u64,
    pub(crate) candidates: Vec<usize>,
}

impl Prefilter {
    /// Builds the prefilter over `patterns`.
    pub(crate) fn new(patterns: &[&Pattern]) -> Result<Self, aho_corasick::BuildError> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index_of: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut always = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            match required_literals(pattern.hir()) {
                Some(set) => {
                    for mut lit in set {
                        lit.truncate(MAX_LITERAL);
                        let at = *index_of.entry(lit).or_insert_with_key(|lit| {
                            literals.push(lit.clone());
                            owners.push(Vec::new());
                            owners.len() - 1
                        });
                        if let Some(o) = owners.get_mut(at)
                            && o.last() != Some(&index)
                        {
                            o.push(index);
                        }
                    }
                }
                None => always.push(index),
            }
        }
        let automaton = if literals.is_empty() {
            None
        } else {
            // A full DFA: the fastest overlapping search, ~5 MB for the built-in library's literals.
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&literals)?,
            )
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
            automaton,
            owners,
            always,
            always_set,
            patterns: patterns.len(),
        })
    }

    /// Fills `scratch.candidates` with the patterns `line` could match, in ascending order.
    pub(crate) fn candidates(&self, line: &str, scratch: &mut Scratch) {
        if scratch.stamps.len() != self.patterns {
            scratch.stamps = vec![0; self.patterns];
        }
        scratch.line += 1;
        let stamp = scratch.line;
        scratch.candidates.clear();
        match &self.always_set {
            Some(set) => scratch.candidates.extend(
                set.matches(line)
                    .iter()
                    .filter_map(|i| self.always.get(i).copied()),
            ),
            None => scratch.candidates.extend_from_slice(&self.always),
        }
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(line) {
                for &p in self
                    .owners
                    .get(m.pattern().as_usize())
                    .map_or(&[][..], Vec::as_slice)
                {
                    if let Some(s) = scratch.stamps.get_mut(p)
                        && *s != stamp
                    {
                        *s = stamp;
                        scratch.candidates.push(p);
                    }
                }
            }
        }
        scratch.candidates.sort_unstable();
        scratch.candidates.dedup();
    }

    /// How many patterns are checked on every line (no usable literal).
    #[cfg(test)]
    pub(crate) fn unfiltered(&self) -> usize {
        self.always.len()
    }
}

/// Literals (ASCII-lowercased) of which every match of `pattern` contains at least one, or `None`
/// when no set of useful literals is required.
pub(crate) fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut set = required(hir)?;
    set.sort();
    set.dedup();
    (set.iter().all(|l| l.len() >= MIN_LITERAL)).then_some(set)
}

/// The single character a class stands for, ASCII case folded: `[a]`, `[Aa]`. Anything wider is not one.
fn class_char(class: &Class) -> Option<Vec<u8>> {
    let chars: Vec<char> = match class {
        Class::Unicode(c) => {
            let mut out = Vec::new();
            for r in c.ranges() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end - start > 1 || out.len() > 2 {
                    return None;
                }
                out.extend((start..=end).filter_map(char::from_u32));
            }
            out
        }
        Class::Bytes(c) => {
            let mut out = Vec::new();
            for r in c.ranges() {
                if r.end() - r.start() > 1 || out.len() > 2 {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(char::from));
            }
            out
        }
    };
    match chars.as_slice() {
        [c] => Some(c.to_ascii_lowercase().to_string().into_bytes()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) => {
            Some(vec![a.to_ascii_lowercase() as u8])
        }
        _ => None,
    }
}

/// The pieces of a concatenation, with capture groups opened: a group does not change which
/// texts are required, and opening it lets its pieces join their neighbours.
fn flatten(children: &[Hir]) -> Vec<&Hir> {
    let mut out = Vec::new();
    for child in children {
        match child.kind() {
            HirKind::Capture(cap) => match cap.sub.kind() {
                HirKind::Concat(inner) => out.extend(flatten(inner)),
                _ => out.push(&*cap.sub),
            },
            _ => out.push(child),
        }
    }
    out
}

/// Every text `hir` can match (ASCII case folded), when they are few: literals, one-character
/// classes, and small alternations, optionals and concatenations of those.
fn exact(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = match hir.kind() {
        HirKind::Empty => vec![Vec::new()],
        HirKind::Literal(lit) => vec![lit.0.to_ascii_lowercase()],
        HirKind::Class(class) => vec![class_char(class)?],
        HirKind::Capture(cap) => exact(&cap.sub)?,
        HirKind::Concat(children) => {
            let mut product = vec![Vec::new()];
            for child in children {
                product = cross(&product, &exact(child)?)?;
            }
            product
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(exact(branch)?);
            }
            all
        }
        HirKind::Repetition(rep) if rep.max.is_some_and(|max| max <= 2) => {
            let unit = exact(&rep.sub)?;
            let mut all = Vec::new();
            for count in rep.min..=rep.max.unwrap_or(rep.min) {
                let mut product = vec![Vec::new()];
                for _ in 0..count {
                    product = cross(&product, &unit)?;
                }
                all.extend(product);
            }
            all
        }
        _ => return None,
    };
    (set.len() <= MAX_ALTERNATIVES).then_some(set)
}

/// Every `a` followed by every `b`, when there are not too many.
fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    (a.len() * b.len() <= MAX_PRODUCT).then(|| {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat()))
            .collect()
    })
}

fn better(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    let shortest = |s: &[Vec<u8>]| s.iter().map(Vec::len).min().unwrap_or(0);
    (shortest(a), std::cmp::Reverse(a.len())) > (shortest(b), std::cmp::Reverse(b.len()))
}

fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(class) => class_char(class).map(|c| vec![c]),
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Concat(children) => {
            // Adjacent pieces with few exact texts join into longer literals: `runs` holds the
            // alternatives built so far. The best run set or child requirement wins.
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut runs: Vec<Vec<u8>> = vec![Vec::new()];
            let consider = |cand: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>| {
                if cand.iter().all(|c| !c.is_empty())
                    && best.as_ref().is_none_or(|b| better(&cand, b))
                {
                    *best = Some(cand);
                }
            };
            for child in flatten(children) {
                // `c{m,}` of one character: its first `m` repeats are certain. When the count can
                // vary, what came before joins only the first repeats and what follows only the
                // last ones, so the runs restart after them.
                if let HirKind::Repetition(rep) = child.kind()
                    && rep.min >= 1
                    && rep.max.is_none_or(|max| max > 2)
                    && let Some([unit]) = exact(&rep.sub).as_deref()
                {
                    let repeated = unit.repeat(rep.min.min(MAX_REPEAT) as usize);
                    runs.iter_mut().for_each(|r| r.extend_from_slice(&repeated));
                    consider(std::mem::replace(&mut runs, vec![repeated]), &mut best);
                    continue;
                }
                if let Some(joined) = exact(child).and_then(|set| cross(&runs, &set)) {
                    runs = joined;
                    continue;
                }
                consider(std::mem::replace(&mut runs, vec![Vec::new()]), &mut best);
                if let Some(set) = required(child) {
                    consider(set, &mut best);
                }
            }
            consider(runs, &mut best);
            best
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required(branch)?);
                if all.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_required_literals() {
        #[track_caller]
        fn case(pattern: &str, expected: Option<&[&str]>) {
            let got = required_literals(&regex_syntax::parse(pattern).unwrap()).map(|set| {
                set.into_iter()
                    .map(|l| String::from_utf8(l).unwrap())
                    .collect::<Vec<_>>()
            });
            let expected = expected.map(|e| e.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(got, expected, "{pattern}");
        }
        case(
            "No space left on device",
            Some(&["no space left on device"]),
        );
        case(
            r"npm (?:ERR!|error) code ERESOLVE",
            Some(&["npm err! code eresolve", "npm error code eresolve"]),
        );
        case(
            r"^\s+\[(?:[45]\d\d|0)\] (?:https?://|/)\S+",
            Some(&["] /", "] http://", "] https://"]),
        );
        case(
            r"(?i)fatal: unable to access",
            Some(&["fatal: unable to acce"]),
        );
        case(
            r"(?:ECONNRESET|ETIMEDOUT)",
            Some(&["econnreset", "etimedout"]),
        );
        case(r"^\s*\d+ failed", Some(&[" failed"]));
        case(r"error\[E(?P<code>\d{4})\]", Some(&["error[e"]));
        case(r"^E\s+", None);
        case(r"^_{3,} (?P<test>\w+) _{3,}$", Some(&["___ "]));
        case(r"a{2}b", Some(&["aab"]));
        case(r"x-{2,}y", Some(&["x--"]));
        case(r"(?:foo|\d+)", None);
        case(r"a.*b", None);
    }

    #[test]
    fn candidates_are_a_superset_of_matches() {
        let patterns = ["No space left", r"(?i)connection reset", r"^E\s+\w"].map(|p| {
            Pattern::new("pattern", p.to_owned(), crate::rules::Compile::OnFirstUse).unwrap()
        });
        let pf = Prefilter::new(&patterns.each_ref()).unwrap();
        assert_eq!(pf.unfiltered(), 1);
        let mut scratch = Scratch::default();
        for (line, expected) in [
            ("write: No space left on device", vec![0]),
            ("CONNECTION RESET by peer", vec![1]),
            ("E   assert 1 == 2", vec![2]),
            ("nothing here", vec![]),
        ] {
            pf.candidates(line, &mut scratch);
            assert_eq!(scratch.candidates, expected, "{line}");
        }
    }
}
