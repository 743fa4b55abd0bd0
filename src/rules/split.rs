//! Regexes built in their ASCII form ([`ascii_form`]), for the text that allows it.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use regex_syntax::hir::Hir;

use super::syntax::ascii_form;

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

/// The regex for ASCII text: `None` when it would be the full regex, or cannot be built.
pub(crate) fn ascii_regex(hir: &Hir, size_limit: usize) -> Option<Regex> {
    RegexBuilder::new(&ascii_form(hir)?)
        .size_limit(size_limit)
        .build()
        .ok()
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
