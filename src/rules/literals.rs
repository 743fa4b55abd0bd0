//! Required literals: texts that every match of a pattern contains, and where on the line they sit.
//!
//! A pattern is read as its top-level alternatives. For each, every piece that any match must
//! contain becomes a group (one literal of the group is on the line), and a match contains all the
//! groups: `exit code 137` needs `exit` and `137`. A literal remembers which letters match either
//! case and whether it sits at the start or end of the line (`^error:`, `^\s+at `, `\.js\s*$`), so
//! the check is as close to the regex as a substring test can be, and never stricter.

use std::borrow::Cow;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Joining pieces stops before it makes more alternatives than this.
const MAX_PRODUCT: usize = 32;
/// A repeated piece counts at most this many times towards a literal.
const MAX_REPEAT: u32 = 8;
/// A piece with more exact texts than this is not spelled out.
const MAX_ALTERNATIVES: usize = 32;
/// A group of more literals than this is not worth checking.
const MAX_GROUP: usize = 64;
/// A class of at most this many characters is spelled out (`[1-4]`, `[cm]`); wider ones end a literal.
const MAX_CLASS: usize = 10;
/// A pattern opening with a choice of at most this many is read as that many alternatives.
const MAX_CHOICES: usize = 4;
/// Groups checked after the primary one, per alternative: enough to rule out a common first literal.
const MAX_OTHERS: usize = 3;
/// An unanchored literal shorter than this hits too many lines to look for on every line.
pub(crate) const MIN_SEARCHED: usize = 3;

/// Where a literal sits relative to one end of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Edge {
    /// Anywhere.
    Free,
    /// With only whitespace between it and the end (`^\s*x`, `x\s*$`).
    Blank,
    /// Right at the end (`^x`, `x$`).
    Flush,
}

/// A text with, per byte, whether it is an ASCII letter that matches either case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct Text {
    /// Letters that match either case are lowercase.
    pub(crate) bytes: Vec<u8>,
    /// `0x20` under a letter that matches either case, else 0: `(line | fold) == bytes` tests a byte.
    pub(crate) fold: Vec<u8>,
}

/// A literal a match contains, and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Literal {
    pub(crate) text: Text,
    pub(crate) start: Edge,
    pub(crate) end: Edge,
}

/// Any one of these literals is on a matching line.
pub(crate) type Group = Vec<Literal>;

/// What one top-level alternative of a pattern needs on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needs {
    /// The group looked for on every line.
    pub(crate) primary: Group,
    /// Groups checked only on lines that have the primary one.
    pub(crate) others: Vec<Group>,
}

impl Text {
    /// Each byte with its offset and its fold bit.
    fn bytes_folded(&self) -> impl Iterator<Item = (usize, u8, u8)> + '_ {
        (self.bytes.iter().zip(&self.fold).enumerate()).map(|(k, (&b, &f))| (k, b, f))
    }

    /// Where the text first holds `byte` with that fold bit.
    fn offset_of(&self, byte: u8, fold: u8) -> Option<usize> {
        self.bytes_folded()
            .find(|&(_, b, f)| (b, f) == (byte, fold))
            .map(|(k, _, _)| k)
    }

    fn exact(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            fold: vec![0; bytes.len()],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    fn joined(&self, other: &Self) -> Self {
        Self {
            bytes: [self.bytes.as_slice(), &other.bytes].concat(),
            fold: [self.fold.as_slice(), &other.fold].concat(),
        }
    }

    /// Whether `hay` starts with this text.
    pub(crate) fn is_prefix_of(&self, hay: &[u8]) -> bool {
        hay.len() >= self.bytes.len()
            && hay
                .iter()
                .zip(&self.bytes)
                .zip(&self.fold)
                .all(|((h, b), f)| (h | f) == *b)
    }
}

impl Literal {
    /// Whether the literal is at byte `at` of `line`, edges included.
    pub(crate) fn is_at(&self, line: &str, at: usize) -> bool {
        let (Some(before), Some(rest)) = (line.get(..at), line.as_bytes().get(at..)) else {
            return false;
        };
        if !self.text.is_prefix_of(rest) {
            return false;
        }
        let after = line.get(at + self.text.len()..);
        fits(self.start, before) && after.is_some_and(|a| fits(self.end, a))
    }

    /// Where on `line` the literal must start when its place is fixed (`^x`, `^\s*x`, `x$`): `Some`
    /// of that offset, or of `None` when the line is too short for it; `None` when it may be anywhere.
    fn fixed_place(&self, line: &str) -> Option<Option<usize>> {
        match self.start {
            Edge::Flush => return Some(Some(0)),
            Edge::Blank if self.leads() => return Some(Some(lead(line))),
            _ => {}
        }
        (self.end == Edge::Flush).then(|| line.len().checked_sub(self.text.len()))
    }

    /// Whether the literal begins where the line's leading whitespace ends, so one look there finds it.
    pub(crate) fn leads(&self) -> bool {
        match self.start {
            Edge::Flush => true,
            Edge::Blank => self
                .text
                .bytes
                .first()
                .is_some_and(|&b| !b.is_ascii_whitespace() && b < 0x80),
            Edge::Free => false,
        }
    }

    /// How much a line containing the literal says: longer is rarer, and a fixed place rarer still,
    /// though less so for a short text: a digit or a `[` opens a good share of log lines.
    fn weight(&self) -> usize {
        let len = self.text.len();
        len + if self.leads() { len.min(4) + 4 } else { 0 }
    }

    /// Whether the literal can be looked for on every line: by its place, or searched for if long enough.
    pub(crate) fn is_searchable(&self) -> bool {
        self.leads() || self.text.len() >= MIN_SEARCHED
    }
}

/// A group of literals to look for on a line, any one of which will do. A literal with a fixed
/// place (`^x`, `^\s*x`, `x$`) is checked there. The others are looked for by a rare byte rather
/// than their first (` - ` by its dash, `(?i)timed out` by its `d`): the rarest byte they all hold,
/// in one scan (`0) ` … `9) ` take one look for `)`), or else each its own rarest.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    placed: Vec<Literal>,
    scans: Vec<Scan>,
    /// Whether some literal is empty, so that any line has it.
    any: bool,
}

/// One look along a line for a byte, in either case, for the literals that are rarest there.
#[derive(Debug, Clone)]
struct Scan {
    byte: u8,
    /// The other case's bit (else 0).
    fold: u8,
    /// Each literal, with the byte's offset in it.
    literals: Vec<(usize, Literal)>,
}

impl Probe {
    pub(crate) fn new(group: Vec<Literal>) -> Self {
        // A literal's place is fixed or not whatever the line, so any line (here an empty one)
        // tells which literals are checked at their place.
        let (placed, scanned): (Vec<_>, Vec<_>) =
            (group.into_iter()).partition(|literal| literal.fixed_place("").is_some());
        let mut probe = Self {
            placed,
            scans: Vec::new(),
            any: scanned.iter().any(|l| l.text.bytes.is_empty()),
        };
        // The rarest byte that all of them hold, if there is one, finds them all in one scan.
        let shared = scanned.first().and_then(|first| {
            (first.text.bytes_folded())
                .filter(|&(_, b, f)| scanned.iter().all(|l| l.text.offset_of(b, f).is_some()))
                .min_by_key(|&(_, b, _)| commonness(b))
        });
        for literal in scanned {
            let rare = match shared {
                Some((_, byte, fold)) => {
                    literal.text.offset_of(byte, fold).map(|k| (k, byte, fold))
                }
                None => (literal.text.bytes_folded()).min_by_key(|&(_, b, _)| commonness(b)),
            };
            let Some((k, byte, fold)) = rare else {
                continue;
            };
            match (probe.scans.iter_mut()).find(|s| (s.byte, s.fold) == (byte, fold)) {
                Some(scan) => scan.literals.push((k, literal)),
                None => probe.scans.push(Scan {
                    byte,
                    fold,
                    literals: vec![(k, literal)],
                }),
            }
        }
        probe
    }

    /// Whether one of the literals is on `line`, edges included.
    pub(crate) fn is_on(&self, line: &str) -> bool {
        if self.any {
            return true;
        }
        let at_place = |l: &Literal| {
            l.fixed_place(line)
                .flatten()
                .is_some_and(|at| l.is_at(line, at))
        };
        if self.placed.iter().any(at_place) {
            return true;
        }
        self.scans.iter().any(|scan| {
            let (byte, other) = (scan.byte, scan.byte ^ scan.fold);
            memchr::memchr2_iter(byte, other, line.as_bytes()).any(|at| {
                (scan.literals.iter())
                    .any(|(k, l)| at.checked_sub(*k).is_some_and(|at| l.is_at(line, at)))
            })
        })
    }
}

/// Bytes of CI log text from the most common on: a line is searched for the rarest byte of a literal.
const COMMON: &[u8] = b" e\tatoinsrlcd.u/hmp-_:01=2g\"f,3b5y4w96(87)'[]kv>xSETARINOCLDPMUFjGBHzqK";

/// How common `byte` is in log text (lower is rarer); letters count both cases.
pub(crate) fn commonness(byte: u8) -> usize {
    let lower = byte.to_ascii_lowercase();
    COMMON
        .iter()
        .position(|&c| c == lower)
        .map_or(0, |at| COMMON.len() - at)
}

/// Byte offset where `line`'s leading whitespace ends.
pub(crate) fn lead(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether `side` (the part of the line between a literal and one end) fits the edge.
fn fits(edge: Edge, side: &str) -> bool {
    match edge {
        Edge::Free => true,
        Edge::Blank => side.chars().all(char::is_whitespace),
        Edge::Flush => side.is_empty(),
    }
}

/// What each top-level alternative of `hir` needs, or `None` when one of them needs nothing a
/// literal can check (the pattern must then be tried on every line).
pub(crate) fn needs(hir: &Hir) -> Option<Vec<Needs>> {
    alternatives(hir)
        .iter()
        .map(|branch| {
            let mut groups = requirements(branch, None, Edge::Free);
            groups.sort_by_key(|g| std::cmp::Reverse(strength(g)));
            let mut groups = groups.into_iter();
            // Without a literal worth searching on every line, a two-byte one still beats running
            // the regex on every line.
            let primary = groups
                .next()
                .filter(|g| g.iter().all(|l| l.is_searchable() || l.text.len() >= 2))?;
            Some(Needs {
                primary,
                others: groups
                    .filter(|g| strength(g).1 >= 2)
                    .take(MAX_OTHERS)
                    .collect(),
            })
        })
        .collect()
}

/// The top-level alternatives of `hir`. A pattern that opens with a choice of a few that are not
/// all texts (`(?:^|\| )x`) counts as one alternative per choice, each followed by the rest: what
/// the rest needs can then be tied to where each choice leaves it (after `^\s*`, `x` leads the line).
fn alternatives(hir: &Hir) -> Vec<Cow<'_, Hir>> {
    let pieces = match peel(hir).kind() {
        HirKind::Alternation(branches) => return branches.iter().map(Cow::Borrowed).collect(),
        HirKind::Concat(children) => flatten(children),
        _ => return vec![Cow::Borrowed(hir)],
    };
    let Some((first, rest)) = pieces.split_first() else {
        return vec![Cow::Borrowed(hir)];
    };
    match peel(first).kind() {
        // Exact choices (`(?:exit|status) `) join what follows them already.
        HirKind::Alternation(choices) if choices.len() <= MAX_CHOICES && exact(first).is_none() => {
            (choices.iter())
                .map(|choice| {
                    let whole = std::iter::once(choice).chain(rest.iter().copied());
                    Cow::Owned(Hir::concat(whole.cloned().collect()))
                })
                .collect()
        }
        _ => vec![Cow::Borrowed(hir)],
    }
}

/// A group's weakest literal decides how much finding the group says.
fn strength(group: &Group) -> (bool, usize) {
    (
        group.iter().all(Literal::is_searchable),
        group.iter().map(Literal::weight).min().unwrap_or(0),
    )
}

/// `hir` without the capture groups around it.
fn peel(hir: &Hir) -> &Hir {
    match hir.kind() {
        HirKind::Capture(cap) => peel(&cap.sub),
        _ => hir,
    }
}

/// The groups every match of `hir` contains (all of them); empty when none is known. `lead` and
/// `tail` say what is known of the line around `hir`: only its start, or blanks, or nothing.
fn requirements(hir: &Hir, lead: Option<Edge>, tail: Edge) -> Vec<Group> {
    match hir.kind() {
        HirKind::Literal(_) | HirKind::Class(_) if exact(hir).is_some() => {
            concat(&[hir], lead, tail)
        }
        HirKind::Capture(cap) => requirements(&cap.sub, lead, tail),
        HirKind::Repetition(rep) if rep.min >= 1 => requirements(&rep.sub, None, Edge::Free),
        HirKind::Concat(children) => concat(&flatten(children), lead, tail),
        HirKind::Alternation(branches) => {
            // One group: each branch's strongest.
            let mut all = Vec::new();
            for branch in branches {
                let mut groups = requirements(branch, lead, tail);
                groups.sort_by_key(|g| std::cmp::Reverse(strength(g)));
                let Some(best) = groups.into_iter().next() else {
                    return Vec::new();
                };
                all.extend(best);
                if all.len() > MAX_GROUP {
                    return Vec::new();
                }
            }
            all.sort();
            all.dedup();
            vec![all]
        }
        _ => Vec::new(),
    }
}

/// The groups of a concatenation: adjacent pieces with few exact texts join into longer literals,
/// and every other piece adds its own groups.
fn concat(pieces: &[&Hir], mut lead: Option<Edge>, tail: Edge) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // `lead`: what precedes the current piece, when only the line start and blanks do.
    let mut runs: Vec<Text> = vec![Text::default()];
    let mut run_start = lead.unwrap_or(Edge::Free);
    for (at, piece) in pieces.iter().enumerate() {
        let rest = pieces.get(at..).unwrap_or_default();
        let run_empty = runs.iter().all(|r| r.len() == 0);
        // `c{m,}` of few texts: its first `m` repeats are certain, and its last one. When the count
        // can vary, what came before joins only the first repeats and what follows only the last.
        if let HirKind::Repetition(rep) = piece.kind()
            && rep.min >= 1
            && rep.max.is_none_or(|max| max > 2)
            && let Some(unit) = exact(&rep.sub)
            && unit.iter().all(|t| t.len() > 0)
            && !(run_empty && lead.is_some() && is_blank(piece))
        {
            let mut first = runs;
            for _ in 0..rep.min.min(MAX_REPEAT) {
                match cross(&first, &unit) {
                    Some(joined) => first = joined,
                    None => break,
                }
            }
            close(&mut groups, first, run_start, trailing(rest, tail));
            runs = unit;
            run_start = Edge::Free;
            lead = None;
            continue;
        }
        if let Some(joined) = exact(piece).and_then(|set| cross(&runs, &set)) {
            if run_empty {
                run_start = lead.unwrap_or(Edge::Free);
            }
            runs = joined;
            if runs.iter().any(|r| r.len() > 0) {
                lead = None;
            }
            continue;
        }
        close(
            &mut groups,
            std::mem::replace(&mut runs, vec![Text::default()]),
            run_start,
            trailing(rest, tail),
        );
        let after = pieces.get(at + 1..).unwrap_or_default();
        groups.extend(requirements(piece, lead, trailing(after, tail)));
        lead = match piece.kind() {
            HirKind::Look(Look::Start | Look::StartLF) => Some(Edge::Flush),
            _ if is_blank(piece) => lead.map(|_| Edge::Blank),
            HirKind::Look(look) if is_word_look(*look) => lead,
            _ => None,
        };
        run_start = lead.unwrap_or(Edge::Free);
    }
    close(&mut groups, runs, run_start, tail);
    groups.sort();
    groups.dedup();
    groups
}

/// Ends a run of joined texts: it is a group when every alternative has text.
fn close(groups: &mut Vec<Group>, runs: Vec<Text>, start: Edge, end: Edge) {
    if runs.iter().all(|r| r.len() > 0) {
        groups.push(
            runs.into_iter()
                .map(|text| Literal { text, start, end })
                .collect(),
        );
    }
}

/// How the pieces after a literal, then what follows them (`tail`), tie it to the line's end.
fn trailing(rest: &[&Hir], tail: Edge) -> Edge {
    let mut edge = Edge::Flush;
    for piece in rest {
        match piece.kind() {
            HirKind::Look(Look::End | Look::EndLF) => return edge,
            HirKind::Look(look) if is_word_look(*look) => {}
            _ if is_blank(piece) => edge = Edge::Blank,
            _ => return Edge::Free,
        }
    }
    match (edge, tail) {
        (_, Edge::Free) => Edge::Free,
        (Edge::Flush, tail) => tail,
        _ => Edge::Blank,
    }
}

/// A word boundary: it matches no text, so literals join across it.
fn is_word_look(look: Look) -> bool {
    !matches!(
        look,
        Look::Start | Look::End | Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF
    )
}

/// Whitespace repeated any number of times (`\s*`, `[ \t]+`): all it can match is blank.
fn is_blank(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(rep) => is_blank(&rep.sub),
        HirKind::Capture(cap) => is_blank(&cap.sub),
        // White space is a few dozen characters: a wider class is not blank.
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            u32::from(r.end()) - u32::from(r.start()) < 64
                && (r.start()..=r.end()).all(char::is_whitespace)
        }),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|b| b < 0x80 && char::from(b).is_whitespace())),
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0)
            .is_ok_and(|s| !s.is_empty() && s.chars().all(char::is_whitespace)),
        _ => false,
    }
}

/// The characters of a narrow class, with ASCII letter pairs (`[Aa]`) folded into one.
fn class_texts(class: &Class) -> Option<Vec<Text>> {
    let mut chars: Vec<char> = Vec::new();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                if u32::from(r.end()) - u32::from(r.start()) >= MAX_CLASS as u32 {
                    return None;
                }
                chars.extend(r.start()..=r.end());
                if chars.len() > MAX_CLASS {
                    return None;
                }
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                if r.end() >= 0x80 || usize::from(r.end() - r.start()) >= MAX_CLASS {
                    return None;
                }
                chars.extend((r.start()..=r.end()).map(char::from));
                if chars.len() > MAX_CLASS {
                    return None;
                }
            }
        }
    }
    let mut out = Vec::new();
    for &c in &chars {
        let other = if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        };
        let paired = c.is_ascii_alphabetic() && chars.contains(&other);
        if paired && c.is_ascii_uppercase() {
            continue;
        }
        let mut buf = [0; 4];
        let mut text = Text::exact(c.encode_utf8(&mut buf).as_bytes());
        if paired {
            text.bytes = vec![c.to_ascii_lowercase() as u8];
            text.fold = vec![0x20];
        }
        out.push(text);
    }
    Some(out)
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

/// Every text `hir` can match, when they are few: literals, narrow classes, word boundaries, and
/// small alternations, optionals and concatenations of those.
fn exact(hir: &Hir) -> Option<Vec<Text>> {
    let set = match hir.kind() {
        HirKind::Empty => vec![Text::default()],
        HirKind::Look(look) if is_word_look(*look) => vec![Text::default()],
        HirKind::Literal(lit) => vec![Text::exact(&lit.0)],
        HirKind::Class(class) => class_texts(class)?,
        HirKind::Capture(cap) => exact(&cap.sub)?,
        HirKind::Concat(children) => {
            let mut product = vec![Text::default()];
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
                let mut product = vec![Text::default()];
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
fn cross(a: &[Text], b: &[Text]) -> Option<Vec<Text>> {
    (a.len() * b.len() <= MAX_PRODUCT).then(|| {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| x.joined(y)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal as text: `^` / `^~` for a start at / after blanks of the line start, `$` / `~$` for
    /// the end, and `[eE]` for a letter of either case.
    fn show(l: &Literal) -> String {
        let mut out = String::new();
        out.push_str(match l.start {
            Edge::Flush => "^",
            Edge::Blank => "^~",
            Edge::Free => "",
        });
        for (&b, &f) in l.text.bytes.iter().zip(&l.text.fold) {
            if f == 0 {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("[{}{}]", char::from(b), char::from(b ^ f)));
            }
        }
        out.push_str(match l.end {
            Edge::Flush => "$",
            Edge::Blank => "~$",
            Edge::Free => "",
        });
        out
    }

    /// Each alternative as `primary literals | other group | …`.
    fn needs_of(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(pattern).unwrap();
        needs(&hir).map(|all| {
            all.iter()
                .map(|n| {
                    std::iter::once(&n.primary)
                        .chain(&n.others)
                        .map(|g| g.iter().map(show).collect::<Vec<_>>().join(","))
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .collect()
        })
    }

    #[track_caller]
    fn case(pattern: &str, expected: Option<&[&str]>) {
        let expected = expected.map(|e| e.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(needs_of(pattern), expected, "{pattern}");
    }

    #[test]
    fn literals_join_across_exact_pieces() {
        case(
            "No space left on device",
            Some(&["No space left on device"]),
        );
        case(
            r"npm (?:ERR!|error) code ERESOLVE",
            Some(&["npm ERR! code ERESOLVE,npm error code ERESOLVE"]),
        );
        case(r"a{2}b", Some(&["aab"]));
        case(r"x-{2,}y", Some(&["x-- | -y"]));
        case(r"error\[E(?P<code>\d{4})\]", Some(&["error[E"]));
        case(r"\bTests:\s+[1-9]", Some(&["Tests:"]));
        case(r"(?:foo|\d+)", None);
        case(r"a.*b", None);
    }

    #[test]
    fn case_insensitive_letters_match_either_case() {
        let got = needs_of(r"(?i)fatal: unable").unwrap();
        assert_eq!(
            got,
            ["[fF][aA][tT][aA][lL]: [uU][nN][aA][bB][lL][eE]"],
            "ASCII letters fold; the rest stay exact"
        );
        // `s` also folds to `ſ` (U+017F): both spellings are kept, so no match is missed.
        let got = needs_of(r"(?i)ss").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].split(',').count(), 4, "{got:?}");
    }

    #[test]
    fn anchors_and_blanks_fix_a_literal_to_the_line_edges() {
        case(r"^error: ", Some(&["^error: "]));
        case(r"^\s*at ", Some(&["^~at "]));
        case(r"^\s+\[(?:[45]\d\d|0)\] ", Some(&["^~[ | ] "]));
        case(r"(?P<f>\w+\.js)\s*$", Some(&[".js~$"]));
        case(r"done$", Some(&["done$"]));
        // `\r` may sit in a line, so `(?R)` anchors say nothing.
        case(r"(?mR)^error", Some(&["error"]));
        case(r"^(?:ERROR|FATAL)\b", Some(&["^ERROR,^FATAL"]));
    }

    #[test]
    fn every_required_piece_is_a_group_the_strongest_first() {
        case(
            r"(?:exit|status)[ :]+137\b",
            Some(&["exit ,exit:,status ,status: |  137,:137"]),
        );
        case(r"^\s*\d+ - \S+ \(", Some(&[" -  |  ("]));
        // Narrow classes are spelled out; a repeated one gives its last character to what follows.
        case(r"\^\s*SC[1-3]\d{3}", Some(&["SC1,SC2,SC3"]));
        case(r"\s{2,}(?P<n>\d+)\) (?P<t>\S.*)", Some(&[") "]));
    }

    #[test]
    fn alternatives_are_checked_apart() {
        case(
            r"Errors while running CTest|^\s*\d+ - \S+ \(",
            Some(&["Errors while running CTest", " -  |  ("]),
        );
        // The parser lifts a common `^` out of the alternatives: one group, both still anchored.
        case(r"^E\s+|^error:", Some(&["^E,^error:"]));
        // An opening choice is spread over what follows: after `^\s{2,}`, `1) ` leads the line;
        // after `| `, it is anywhere, on a line that also has `| `.
        case(r"(?:^|\| )\s{2,}1\) ", Some(&["^~1) ", "1)  | | "]));
        case(
            r"(?:^|\| )\s{2,}(?P<n>[0-9]+)\) ",
            Some(&[
                "^~0,^~1,^~2,^~3,^~4,^~5,^~6,^~7,^~8,^~9 | 0) ,1) ,2) ,3) ,4) ,5) ,6) ,7) ,8) ,9) ",
                "0) ,1) ,2) ,3) ,4) ,5) ,6) ,7) ,8) ,9)  | | ",
            ]),
        );
    }

    #[test]
    fn literal_checks_respect_case_and_edges() {
        let primary = |p: &str| {
            needs(&regex_syntax::parse(p).unwrap()).unwrap()[0]
                .primary
                .clone()
        };
        let lit = |p: &str| Probe::new(primary(p));
        let e = lit(r"(?:\s|\()E: ");
        assert!(e.is_on("x E: y") && !e.is_on("file: y"));
        let start = lit(r"^\s*at ");
        assert!(start.is_on("    at foo") && start.is_on("at foo") && !start.is_on("x at foo"));
        assert!(
            start.is_on("\u{a0}at foo"),
            "Unicode blanks count, like `\\s`"
        );
        let end = lit(r"\.js\s*$");
        assert!(end.is_on("a/b.js  ") && !end.is_on("a/b.json"));
        let folded = lit(r"(?i)warning");
        assert!(folded.is_on("a WARNING b") && folded.is_on("Warning") && !folded.is_on("warn"));
        let literal = &primary(r"(?i)warning")[0];
        assert!(literal.is_at("xWarning", 1) && !literal.is_at("xWarning", 0));
    }

    /// Literals that share their rarest byte are found by one scan for it, each where it stands.
    #[test]
    fn a_group_sharing_its_rarest_byte_finds_each_of_its_literals() {
        let group = needs(&regex_syntax::parse(r"(?:[0-9]|a)\) ").unwrap()).unwrap()[0]
            .primary
            .clone();
        assert_eq!(group.len(), 11);
        let probe = Probe::new(group);
        assert_eq!(probe.scans.len(), 1, "one scan, for `)`");
        for digit in 0..10 {
            assert!(probe.is_on(&format!("  {digit}) title")));
        }
        assert!(probe.is_on("(b) then (a) z"), "the second `)` is the one");
        // Each of `0 - ` … `9 - ` is rarest at its digit, but all hold the dash.
        let dashes = needs(&regex_syntax::parse(r"[0-9] - ").unwrap()).unwrap()[0]
            .primary
            .clone();
        let dashes = Probe::new(dashes);
        assert_eq!(dashes.scans.len(), 1, "one scan, for `-`");
        assert!(dashes.is_on("  7 - test_x (Failed)") && !dashes.is_on("10:18:13  INFO - x"));
        assert!(!probe.is_on("(b) z") && !probe.is_on("9 ) z") && !probe.is_on("9)"));
    }
}
