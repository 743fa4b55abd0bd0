//! Rule self-tests: every example must match its rule and no counterexample may, through the real engine.

use super::scan::{Matcher, Scanner};
use crate::ingest::Line;
use crate::rules::{Library, Scope};

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExampleFailure {
    pub(crate) rule_id: String,
    pub(crate) pack: String,
    /// `true` for an example that failed to match, `false` for a counterexample that matched.
    pub(crate) should_match: bool,
    pub(crate) text: String,
}

/// Runs each rule's examples and counterexamples, counting how many were checked.
pub(crate) fn check_examples(
    library: &Library,
) -> Result<(usize, Vec<ExampleFailure>), aho_corasick::BuildError> {
    let matcher = Matcher::new(library)?;
    let mut checked = 0;
    let mut failures = Vec::new();
    for (index, rule) in library.rules.iter().enumerate() {
        let cases = rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.counterexamples.iter().map(|c| (c, false)));
        for (text, should_match) in cases {
            checked += 1;
            let matched = if rule.scope == Scope::FailedStep {
                text.split('\n').any(|name| rule.match_line(name).is_some())
            } else {
                let mut scanner = Scanner::new(library, &matcher);
                for (i, line) in text.split('\n').enumerate() {
                    scanner.observe(&Line {
                        number: i as u64 + 1,
                        text: line,
                        step: None,
                    });
                }
                scanner.finish().0.get(index).is_some_and(|h| h.count > 0)
            };
            if matched != should_match {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    pack: rule.pack.clone(),
                    should_match,
                    text: text.clone(),
                });
            }
        }
    }
    Ok((checked, failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_examples_that_misbehave() {
        let pack = r#"
[pack]
name = "t"
version = "1"

[[rules]]
id = "t-disk"
category = "resource_exhaustion"
title = "disk"
pattern = 'No space left'
confidence = 0.9
examples = ["x: No space left on device", "does not match"]
counterexamples = ["fine", "No space left, but a counterexample"]
"#;
        let lib = Library::from_texts(&[("t.toml", pack)]).unwrap();
        let (checked, failures) = check_examples(&lib).unwrap();
        assert_eq!(checked, 4);
        let got: Vec<(bool, &str)> = failures
            .iter()
            .map(|f| (f.should_match, f.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (true, "does not match"),
                (false, "No space left, but a counterexample")
            ]
        );
    }
}
