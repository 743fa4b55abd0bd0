//! Regexes for ASCII text: on a line of ASCII characters, a Unicode-aware regex matches exactly what
//! its ASCII form does, and the ASCII form compiles several times faster (`\w` in UTF-8 is hundreds
//! of automaton states, `[0-9A-Za-z_]` one). Most log lines are ASCII.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{
    Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition,
};

/// A regex compiled in its ASCII form at once, and in full on the first text that is not ASCII.
#[derive(Debug)]
pub(crate) struct SplitRegex {
    src: &'static str,
    /// `None` when the ASCII form would be the regex itself.
    ascii: Option<Regex>,
    full: OnceLock<Option<Regex>>,
}

impl SplitRegex {
    /// Parses `src`; `None` when it does not parse or compile.
    pub(crate) fn new(src: &'static str, size_limit: usize) -> Option<Self> {
        let hir = regex_syntax::parse(src).ok()?;
        let split = Self {
            src,
            ascii: ascii_regex(&hir, size_limit),
            full: OnceLock::new(),
        };
        if split.ascii.is_none() {
            split.full()?;
        }
        Some(split)
    }

    /// The regex to run on `text`.
    pub(crate) fn on(&self, text: &str) -> Option<&Regex> {
        match &self.ascii {
            Some(ascii) if text.is_ascii() => Some(ascii),
            _ => self.full(),
        }
    }

    fn full(&self) -> Option<&Regex> {
        self.full.get_or_init(|| Regex::new(self.src).ok()).as_ref()
    }
}

/// `hir` for ASCII text: every class cut to its ASCII part, literals with non-ASCII text made
/// unmatchable, Unicode word boundaries made ASCII ones, captures kept. On a haystack of ASCII
/// characters each piece accepts exactly the characters and positions it did (`\w`, `\d`, `\s`
/// and case folding agree with their ASCII forms there, and `\b` with `(?-u:\b)`), so the whole
/// matches, and captures, exactly what `hir` does. `changed` is set when anything was cut.
fn asciify(hir: &Hir, changed: &mut bool) -> Hir {
    map_leaves(hir, true, &mut |leaf| {
        let ascii = match leaf.kind() {
            HirKind::Class(Class::Unicode(class)) if is_wide(class) => {
                let mut ascii = class.clone();
                ascii.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
                Hir::class(Class::Unicode(ascii))
            }
            HirKind::Literal(literal) if !literal.0.is_ascii() => Hir::fail(),
            HirKind::Look(look) => Hir::look(ascii_look(*look)?),
            _ => return None,
        };
        *changed = true;
        Some(ascii)
    })
}

/// Whether `class` holds characters past ASCII.
pub(crate) fn is_wide(class: &ClassUnicode) -> bool {
    class.ranges().iter().any(|r| u32::from(r.end()) >= 0x80)
}

/// `hir` with each leaf (literal, class, look) replaced by what `leaf` makes of it, or kept when
/// it makes nothing; `captures` says whether groups stay, or give way to what they hold.
pub(crate) fn map_leaves(
    hir: &Hir,
    captures: bool,
    leaf: &mut dyn FnMut(&Hir) -> Option<Hir>,
) -> Hir {
    match hir.kind() {
        HirKind::Capture(cap) if captures => Hir::capture(Capture {
            sub: Box::new(map_leaves(&cap.sub, captures, leaf)),
            ..cap.clone()
        }),
        HirKind::Capture(cap) => map_leaves(&cap.sub, captures, leaf),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(map_leaves(&rep.sub, captures, leaf)),
            ..rep.clone()
        }),
        HirKind::Concat(subs) => {
            Hir::concat(subs.iter().map(|s| map_leaves(s, captures, leaf)).collect())
        }
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|s| map_leaves(s, captures, leaf)).collect())
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {
            leaf(hir).unwrap_or_else(|| hir.clone())
        }
    }
}

/// The regex for ASCII text: `None` when it would be the full regex, or cannot be built.
pub(crate) fn ascii_regex(hir: &Hir, size_limit: usize) -> Option<Regex> {
    let mut changed = false;
    let ascii = asciify(hir, &mut changed);
    if !changed {
        return None;
    }
    // Printed and parsed again (the `regex` crate takes no `Hir`): the printer keeps every group,
    // in order, with its name, so capture indices and names are the pattern's own.
    RegexBuilder::new(&ascii.to_string())
        .size_limit(size_limit)
        .build()
        .ok()
}

/// The ASCII form of a Unicode word boundary; `None` for any other look.
pub(crate) fn ascii_look(look: Look) -> Option<Look> {
    Some(match look {
        Look::WordUnicode => Look::WordAscii,
        Look::WordUnicodeNegate => Look::WordAsciiNegate,
        Look::WordStartUnicode => Look::WordStartAscii,
        Look::WordEndUnicode => Look::WordEndAscii,
        Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
        Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each group's span, or `None` for no match.
    fn spans(re: &Regex, text: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let caps = re.captures(text)?;
        Some(
            caps.iter()
                .map(|m| m.map(|m| (m.start(), m.end())))
                .collect(),
        )
    }

    #[test]
    fn the_ascii_form_finds_what_the_regex_finds_on_ascii_text() {
        let patterns = [
            r"\b(?P<word>\w+)\b error",
            r"(?i)kelvin \d+",
            r"(?P<n>\d+) tests?, (?P<f>\d+) fail",
            r"\B\w{3}\b",
            r"\b{start}x\b{end}",
            r"(?:é|e)tat: (?P<rest>.*)$",
            r"^\s*at (?P<frame>\S+) \(",
            r"[^\s]+\.js:\d+",
        ];
        let texts = [
            "build error",
            "foo_bar error and more",
            "KELVIN 42",
            "kelvin x",
            "3 tests, 1 fail",
            "1 test, 0 failures",
            "xx abc",
            "x",
            "axb",
            "etat: ok",
            "    at render (app.js:1:2)",
            "src/app.js:12 broke",
            "",
        ];
        for pattern in patterns {
            let full = Regex::new(pattern).unwrap();
            let hir = regex_syntax::parse(pattern).unwrap();
            let ascii = ascii_regex(&hir, 1 << 20).expect("every pattern here has Unicode parts");
            assert_eq!(
                ascii.capture_names().collect::<Vec<_>>(),
                full.capture_names().collect::<Vec<_>>()
            );
            for text in texts {
                assert_eq!(
                    spans(&ascii, text),
                    spans(&full, text),
                    "`{pattern}` on {text:?}"
                );
            }
        }
    }

    #[test]
    fn non_ascii_text_gets_the_full_regex() {
        let split = SplitRegex::new(r"\b\w+ failed", 1 << 20).unwrap();
        let ascii = split.on("job failed").unwrap();
        assert!(ascii.is_match("job failed"));
        let full = split.on("tâche failed").unwrap();
        assert_eq!(full.find("tâche failed").map(|m| m.start()), Some(0));
        assert_eq!(
            ascii.find("tâche failed").map(|m| m.start()),
            Some(3),
            "the ASCII form alone would be wrong here"
        );
        assert!(SplitRegex::new(r"[", 1 << 20).is_none());
    }
}
