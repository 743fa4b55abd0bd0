//! A rule's regex: checked when its pack loads, compiled the first time a line could match it.
//!
//! Compiling ~600 Unicode-aware regexes costs a quarter of a second and tens of megabytes, while a
//! typical log gives the literal prefilter a handful of candidate rules. So patterns are compiled on
//! first use. Built-in ones, which the test suite compiles in full, are not even parsed at load:
//! the build read their capture names, literals and ASCII forms (see `precompiled.rs`). A user's
//! patterns are parsed and measured at load, against a limit per pattern and a [`Budget`] for all
//! of them, so a pattern too large is reported there, naming its file and rule, and no pack can
//! make loading slow or memory-hungry (a few kilobytes of `\w{20}` patterns would otherwise
//! compile to gigabytes).

use std::cell::Cell;
use std::sync::OnceLock;

use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::captures::Captures;
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

use super::literals::{self, Needs};
use super::precompiled::{self, Known};
use super::syntax::{ascii_form, ascii_look, capture_names, is_wide, map_leaves};

/// Compiled size cap for one pattern: generous for real rules, fatal for pathological ones.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const MAX_PATTERN_LEN: usize = 4096;
/// What all of a user's patterns together may compile to: the built-in library's 570 rule patterns
/// take 5.6 MB, so this leaves room for several libraries of that size, not for a pathological one.
pub(crate) const USER_SIZE_BUDGET: usize = 32 << 20;
/// How many rules a user's packs may hold in all: the literal prefilter grows with them.
pub(crate) const USER_RULES: usize = 5_000;

/// What a user's packs may still add, shared by all of them in one load.
#[derive(Debug)]
pub(crate) struct Budget {
    bytes: Cell<usize>,
    pub(crate) rules: Cell<usize>,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            bytes: Cell::new(USER_SIZE_BUDGET),
            rules: Cell::new(USER_RULES),
        }
    }
}

/// A validated pattern; its regex is built once, on first use, and shared by every thread.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    src: String,
    names: Vec<String>,
    /// What the build read out of a built-in pattern: with it, loading parses nothing.
    known: Option<&'static Known>,
    /// The parsed pattern, for the literal prefilter and the screen; `None` if it does not parse
    /// (which the checks at load rule out).
    hir: OnceLock<Option<Hir>>,
    /// An error inside when compiling failed: a pattern over the size limit that the checks at load
    /// let through (built-in ones are all compiled by a test; a user's NFA was measured). Such a
    /// pattern never matches, and `rules lint`, which compiles every pattern, reports it.
    compiled: OnceLock<Result<Regex, String>>,
    /// A cheaper superset of the regex ([`relax`]), tried first on a line with non-ASCII text: a
    /// line it rejects needs no regex, and a pattern that only ever meets such lines is never
    /// compiled in full.
    screen: OnceLock<Option<meta::Regex>>,
    /// The regex for ASCII lines ([`ascii_form`]), `None` when it would be the regex itself. On
    /// ASCII text it matches and captures exactly what the regex does, and compiles several times
    /// faster: most log lines are ASCII, so most patterns are never compiled in full.
    ascii: OnceLock<Option<Regex>>,
}

/// How much a pattern is checked at load; either way it is compiled on first use.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Compile<'b> {
    /// Syntax and size, against the limit per pattern and what is left of the budget: a user's.
    Measured(&'b Budget),
    /// Syntax only (built-in patterns, which the test suite compiles in full).
    OnFirstUse,
}

impl Pattern {
    /// Checks `src` (`what` names the field in errors: `pattern`, `then.pattern`, …).
    pub(crate) fn new(what: &str, src: String, when: Compile<'_>) -> Result<Self, String> {
        if src.is_empty() {
            return Err(format!("{what} is empty"));
        }
        if src.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "{what} is {} bytes long (the limit is {MAX_PATTERN_LEN})",
                src.len()
            ));
        }
        if src.contains('\n') {
            return Err(format!(
                "{what} spans lines; use `then` or `after` for multi-line rules"
            ));
        }
        let known = match when {
            Compile::OnFirstUse => precompiled::find(&src),
            Compile::Measured(_) => None,
        };
        let (names, hir) = match known {
            Some(known) => (
                known.names.iter().map(|&n| n.to_owned()).collect(),
                OnceLock::new(),
            ),
            None => {
                let hir = regex_syntax::parse(&src)
                    .map_err(|e| format!("invalid {what}: {}", one_line(&e)))?;
                if let Compile::Measured(budget) = when {
                    measure(&hir, budget).map_err(|e| format!("invalid {what}: {e}"))?;
                }
                (capture_names(&hir), OnceLock::from(Some(hir)))
            }
        };
        Ok(Self {
            src,
            names,
            known,
            hir,
            compiled: OnceLock::new(),
            screen: OnceLock::new(),
            ascii: OnceLock::new(),
        })
    }

    /// Compiles now if not done yet; the error says why the regex cannot be built.
    pub(crate) fn compile(&self, what: &str) -> Result<&Regex, String> {
        self.compiled()
            .as_ref()
            .map_err(|e| format!("invalid {what}: {e}"))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.src
    }

    /// What each top-level alternative needs on a line ([`literals::needs`]), or `None` when the
    /// pattern must be tried on every line.
    pub(crate) fn needs(&self) -> Option<Vec<Needs>> {
        match self.known {
            Some(known) => known.needs(),
            None => literals::needs(self.hir()?),
        }
    }

    /// What the pattern needs, numbered as in the built-in literal index; `None` unless the pattern
    /// is a built-in one the index holds.
    pub(crate) fn indexed(&self) -> Option<super::Indexed> {
        self.known?.indexed()
    }

    fn hir(&self) -> Option<&Hir> {
        self.hir
            .get_or_init(|| regex_syntax::parse(&self.src).ok())
            .as_ref()
    }

    /// Names of the pattern's named groups, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Where the pattern matches `text`, with its groups.
    pub(crate) fn captures<'t>(&self, text: &'t str) -> Option<Found<'t>> {
        let regex = self.for_text(text)?;
        // Most lines tried are candidates the regex rejects: a plain match test settles them
        // without the captures' allocation.
        if !regex.is_match(text) {
            return None;
        }
        let mut caps = regex.create_captures();
        regex.captures(text, &mut caps);
        caps.is_match().then_some(Found { text, caps })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.for_text(text).is_some_and(|r| r.is_match(text))
    }

    /// The regex to run on `text`: its ASCII form on ASCII text; else the full one, unless the
    /// screen rules the text out.
    fn for_text(&self, text: &str) -> Option<&Regex> {
        match text.is_ascii() {
            true => self.for_ascii(),
            false => self.may_match(text).then(|| self.regex())?,
        }
    }

    /// Compiles now what an ASCII line would need, for a caller with a core to spare.
    pub(crate) fn prepare(&self) {
        let _ = self.for_ascii();
    }

    /// The regex to run on an ASCII line.
    fn for_ascii(&self) -> Option<&Regex> {
        let ascii = self.ascii.get_or_init(|| {
            let src = match self.known {
                Some(known) => known.ascii.map(str::to_owned),
                None => ascii_form(self.hir()?),
            }?;
            build(&src).ok()
        });
        match ascii {
            Some(regex) => Some(regex),
            None => self.regex(),
        }
    }

    /// False when the screen rules `text` out.
    fn may_match(&self, text: &str) -> bool {
        self.screen
            .get_or_init(|| screen(self.hir()?))
            .as_ref()
            .is_none_or(|s| s.is_match(text))
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled().as_ref().ok()
    }

    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled.get_or_init(|| build(&self.src))
    }
}

/// A match of a pattern on a line, with its groups.
#[derive(Debug)]
pub(crate) struct Found<'t> {
    text: &'t str,
    caps: Captures,
}

impl<'t> Found<'t> {
    /// The text of the group `name`, if it took part in the match.
    pub(crate) fn name(&self, name: &str) -> Option<&'t str> {
        self.text.get(self.caps.get_group_by_name(name)?.range())
    }

    /// Every group's span, the whole match first.
    #[cfg(test)]
    pub(crate) fn spans(&self) -> Vec<Option<(usize, usize)>> {
        (self.caps.iter())
            .map(|span| span.map(|s| (s.start, s.end)))
            .collect()
    }
}

/// How a pattern's regexes (full, ASCII form, screen) are built. They only ever run on lines the
/// literal prefilter picked, which hold their literals already: a regex's own literal prefilter
/// (with the reverse searches it allows) and a full DFA would take longer to build than they save.
/// Nor is a one-pass DFA built for captures: they are read only from the few lines that match,
/// where the backtracker is as quick, and building it was a third of a regex's build time.
fn config() -> meta::Config {
    meta::Config::new()
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .onepass(false)
        .auto_prefilter(false)
        .dfa(false)
}

/// Compiles a pattern's regex, or its ASCII form.
fn build(src: &str) -> Result<Regex, String> {
    meta::Builder::new()
        .configure(config())
        .build(src)
        .map_err(|e| match e.size_limit() {
            Some(limit) => format!("Compiled regex exceeds size limit of {limit} bytes."),
            None => e
                .syntax_error()
                .map_or_else(|| one_line(&e), |e| one_line(e)),
        })
}

/// Builds the pattern's automaton (the bulk of a compiled regex) within the limit per pattern and
/// what is left of `budget`, and takes its size from the budget. The automaton is dropped: memory at
/// load stays that of one pattern.
fn measure(hir: &Hir, budget: &Budget) -> Result<(), String> {
    let left = budget.bytes.get();
    let limit = REGEX_SIZE_LIMIT.min(left);
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().nfa_size_limit(Some(limit)))
        .build_from_hir(hir);
    match nfa {
        Ok(nfa) => {
            budget.bytes.set(left.saturating_sub(nfa.memory_usage()));
            Ok(())
        }
        Err(_) if limit < REGEX_SIZE_LIMIT => Err(format!(
            "the patterns of all rule packs given may compile to {} MiB in all, and this one \
             does not fit in what the earlier ones left",
            USER_SIZE_BUDGET >> 20
        )),
        Err(_) => Err(format!(
            "Compiled regex exceeds size limit of {REGEX_SIZE_LIMIT} bytes."
        )),
    }
}

/// A regex error's several lines (the pattern, a caret, the message) as one.
fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// A pattern that matches at least every line `hir` matches, and is quick to compile and to run:
/// captures dropped, Unicode word boundaries dropped, and every class's non-ASCII part widened to all
/// of non-ASCII. `\w` spelled out in UTF-8 is hundreds of NFA states; "any non-ASCII character" is
/// a handful, and the lazy DFA never has to give up on a line with non-ASCII text.
/// `widened` is set when a class or word boundary was relaxed (else the screen would be the regex).
fn relax(hir: &Hir, widened: &mut bool) -> Hir {
    map_leaves(hir, false, &mut |leaf| match leaf.kind() {
        HirKind::Class(Class::Unicode(class)) if is_wide(class) => {
            let mut wide = class.clone();
            wide.union(&ClassUnicode::new([ClassUnicodeRange::new(
                '\u{80}',
                char::MAX,
            )]));
            *widened |= wide != *class;
            Some(Hir::class(Class::Unicode(wide)))
        }
        HirKind::Look(look) if ascii_look(*look).is_some() => {
            *widened = true;
            Some(Hir::empty())
        }
        _ => None,
    })
}

/// The screen for `hir`: `None` when relaxing changes nothing worth a second regex, or it fails.
fn screen(hir: &Hir) -> Option<meta::Regex> {
    let mut widened = false;
    let relaxed = relax(hir, &mut widened);
    if !widened {
        return None;
    }
    meta::Builder::new()
        .configure(config().which_captures(WhichCaptures::Implicit))
        .build_from_hir(&relaxed)
        .ok()
}
