//! `rules lint`: quality checks on a rule library, run through the real engine.
//!
//! Errors (a pack a repository's CI should refuse): a pack or rule that does not load, a duplicate
//! id, an example that does not match or a counterexample that does, a pattern that matches an
//! empty line. Warnings: no examples or counterexamples, a pattern that matches several
//! nondescript lines (too broad) or has no literal to prefilter on (it runs on every line), a rule
//! shadowed on all its own examples by another rule, and, given passing logs, a rule that fires
//! on them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scan::{Matcher, Scanner};
use crate::ingest::{self, Line, LogInput};
use crate::rules::{Direction, Library, Rule, RulesError, Scope};

/// Lines that say nothing about a failure: a pattern matching several of them is too broad.
const NONDESCRIPT: &[&str] = &[
    "ok",
    "Done",
    "done.",
    "error",
    "Error:",
    "failed",
    "warning: unused variable",
    "Running tests...",
    "PASS",
    "[INFO] BUILD SUCCESS",
    "$ make",
    "1",
    "  ",
    "##[group]Run actions/checkout@v4",
    "npm WARN deprecated request@2.88.2",
];
/// How many of the nondescript lines a pattern may match before it is called too broad.
const BROAD: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    Warning,
    Error,
}

/// One problem found in a rule or pack.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub(crate) severity: Severity,
    /// A stable code for the check (`example-fails`, `shadowed`, `fires-on-passing`…).
    pub(crate) code: &'static str,
    /// The pack file (or the built-in pack's path).
    pub(crate) file: String,
    pub(crate) rule: Option<String>,
    pub(crate) message: String,
}

/// A passing log to check the rules against.
#[derive(Debug)]
pub(crate) struct Negatives {
    pub(crate) inputs: Vec<LogInput>,
    pub(crate) threads: usize,
}

fn finding(
    library: &Library,
    rule: &Rule,
    severity: Severity,
    code: &'static str,
    message: String,
) -> Finding {
    Finding {
        severity,
        code,
        file: library
            .origin_of(rule)
            .map_or_else(|| rule.pack.clone(), ToString::to_string),
        rule: Some(rule.id.clone()),
        message,
    }
}

/// Which rule decides a log made of `text` (every line in one unnamed step, so placement is equal
/// and strength decides, then the earlier line, then rule order).
fn winner<'l>(library: &'l Library, matcher: &Matcher, text: &str) -> Option<&'l Rule> {
    let mut scanner = Scanner::new(library, matcher);
    for (i, line) in text.split('\n').enumerate() {
        scanner.observe(&Line {
            number: i as u64 + 1,
            text: line,
            step: None,
        });
    }
    library
        .rules
        .iter()
        .zip(&scanner.finish().0)
        .enumerate()
        .filter_map(|(index, (rule, hits))| Some((rule, hits.hits().map(|h| h.line).min()?, index)))
        .min_by(|a, b| {
            b.0.confidence
                .total_cmp(&a.0.confidence)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
        })
        .map(|(rule, _, _)| rule)
}

/// Checks the library; `load_problems` are the errors met while loading it.
pub(crate) fn lint(
    library: &Library,
    load_problems: &[RulesError],
    negatives: Option<Negatives>,
) -> Result<Vec<Finding>, aho_corasick::BuildError> {
    let mut findings: Vec<Finding> = load_problems
        .iter()
        .map(|e| {
            let (file, rule, message) = match e {
                RulesError::Rule { file, rule, reason } => {
                    (file.clone(), Some(rule.clone()), reason.clone())
                }
                other => (String::new(), None, other.to_string()),
            };
            let code = if message.starts_with("duplicate") {
                "duplicate"
            } else {
                "invalid"
            };
            Finding {
                severity: Severity::Error,
                code,
                file,
                rule,
                message,
            }
        })
        .collect();

    let (_, failures) = super::check_examples(library)?;
    for f in failures {
        if let Some(rule) = library.rules.iter().find(|r| r.id == f.rule_id) {
            let (code, what) = if f.should_match {
                ("example-fails", "example does not match")
            } else {
                ("counterexample-matches", "counterexample matches")
            };
            findings.push(finding(
                library,
                rule,
                Severity::Error,
                code,
                format!("{what}: {:?}", f.text),
            ));
        }
    }

    let matcher = Matcher::new(library)?;
    for rule in &library.rules {
        let w = |code, message| finding(library, rule, Severity::Warning, code, message);
        if rule.examples.is_empty() {
            findings.push(w(
                "no-examples",
                "no examples: nothing shows what the rule is for".to_owned(),
            ));
        }
        if rule.counterexamples.is_empty() {
            findings.push(w(
                "no-counterexamples",
                "no counterexamples: nothing guards against look-alikes".to_owned(),
            ));
        }
        if rule.match_line("").is_some() {
            findings.push(finding(
                library,
                rule,
                Severity::Error,
                "matches-empty",
                "the pattern matches an empty line".to_owned(),
            ));
        }
        let broad: Vec<&str> = NONDESCRIPT
            .iter()
            .copied()
            .filter(|l| rule.match_line(l).is_some())
            .collect();
        if rule.scope == Scope::Line && broad.len() >= BROAD {
            findings.push(w(
                "too-broad",
                format!("the pattern matches nondescript lines: {broad:?}"),
            ));
        }
        let windowed = rule
            .window
            .as_ref()
            .is_some_and(|w| w.direction == Direction::After);
        if rule.scope == Scope::Line && !windowed && rule.pattern.needs().is_none() {
            findings.push(w("no-literal", "the pattern has no literal to prefilter on (2+ characters, or 1+ at the start of the line): it runs on every line".to_owned()));
        }
        if rule.scope == Scope::Line && !rule.examples.is_empty() {
            let winners: Vec<Option<&Rule>> = rule
                .examples
                .iter()
                .map(|e| winner(library, &matcher, e))
                .collect();
            if winners
                .iter()
                .all(|won| won.is_some_and(|r| r.id != rule.id))
                && let Some(Some(other)) = winners.first()
            {
                findings.push(w(
                    "shadowed",
                    format!(
                        "never decides on its own examples: `{}` ({}, confidence {}) wins{}",
                        other.id,
                        other.category,
                        other.confidence,
                        if other.category == rule.category {
                            ", with the same category"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
    }

    if let Some(negatives) = negatives {
        findings.extend(fires_on_passing(library, &matcher, negatives));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    Ok(findings)
}

/// Per rule: how many passing logs it fired on, how many lines, and the first place.
fn fires_on_passing(library: &Library, matcher: &Matcher, negatives: Negatives) -> Vec<Finding> {
    let total = negatives.inputs.len();
    let per_log = crate::batch::map(negatives.inputs, negatives.threads, |input| {
        let origin = input.origin.clone();
        let mut scanner = Scanner::new(library, matcher);
        let read = ingest::read(input, &mut |line| scanner.observe(line));
        let hits: Vec<(u64, Option<u64>)> = scanner
            .finish()
            .0
            .iter()
            .map(|h| (h.count, h.hits().map(|hit| hit.line).min()))
            .collect();
        (origin, read.is_ok(), hits)
    });
    let mut fired: BTreeMap<usize, (usize, u64, String)> = BTreeMap::new();
    for (origin, _, hits) in &per_log {
        for (index, (count, first)) in hits.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let entry = fired
                .entry(index)
                .or_insert_with(|| (0, 0, format!("{origin}:{}", first.unwrap_or(0))));
            entry.0 += 1;
            entry.1 += count;
        }
    }
    fired
        .into_iter()
        .filter_map(|(index, (logs, lines, example))| {
            let rule = library.rules.get(index)?;
            Some(finding(
                library,
                rule,
                Severity::Warning,
                "fires-on-passing",
                format!(
                    "fires on {logs} of {total} passing logs ({lines} lines), first at {example}"
                ),
            ))
        })
        .collect()
}
