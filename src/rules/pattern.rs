//! A rule's regex: checked when its pack loads, compiled the first time a line could match it.
//!
//! Compiling ~600 Unicode-aware regexes costs a quarter of a second and tens of megabytes, while a
//! typical log gives the literal prefilter a handful of candidate rules. So built-in patterns, which
//! the test suite compiles in full, are parsed at load (syntax errors and capture names are known)
//! and compiled on first use. A user's pack is compiled at load, so a pattern over the size limit is
//! reported there, naming its file and rule.

use std::sync::OnceLock;

use regex::{Captures, Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};

/// Compiled size cap for one pattern: generous for real rules, fatal for pathological ones.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const MAX_PATTERN_LEN: usize = 4096;

/// A validated pattern; its regex is built once, on first use, and shared by every thread.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    src: String,
    /// The parsed pattern, kept for the literal prefilter (parsing ~600 patterns twice is a
    /// noticeable part of start-up).
    hir: Hir,
    names: Vec<String>,
    /// An error inside when compiling failed: only possible for a lazy pattern over the size limit,
    /// which the built-in library test rules out. Such a pattern never matches.
    compiled: OnceLock<Result<Regex, String>>,
}

/// When a pattern is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compile {
    /// At load: every error is reported before any log is read.
    Now,
    /// On first use: syntax is checked at load, the size limit when first matched.
    OnFirstUse,
}

impl Pattern {
    /// Checks `src` (`what` names the field in errors: `pattern`, `then.pattern`, …).
    pub(crate) fn new(what: &str, src: String, when: Compile) -> Result<Self, String> {
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
        let hir =
            regex_syntax::parse(&src).map_err(|e| format!("invalid {what}: {}", one_line(&e)))?;
        let mut names = Vec::new();
        capture_names(&hir, &mut names);
        let pattern = Self {
            src,
            hir,
            names,
            compiled: OnceLock::new(),
        };
        if when == Compile::Now {
            pattern.compile(what)?;
        }
        Ok(pattern)
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

    pub(crate) fn hir(&self) -> &Hir {
        &self.hir
    }

    /// Names of the pattern's named groups, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.regex()?.captures(text)
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(text))
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled().as_ref().ok()
    }

    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled.get_or_init(|| {
            RegexBuilder::new(&self.src)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| one_line(&e))
        })
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

fn capture_names(hir: &Hir, out: &mut Vec<String>) {
    match hir.kind() {
        HirKind::Capture(cap) => {
            if let Some(name) = &cap.name {
                out.push(name.to_string());
            }
            capture_names(&cap.sub, out);
        }
        HirKind::Repetition(rep) => capture_names(&rep.sub, out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|s| capture_names(s, out));
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
    }
}
