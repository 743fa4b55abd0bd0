//! The scanning engine: one pass over a log, every rule at once, keeping only what evidence needs.

use std::collections::VecDeque;

use super::block::Block;
use super::fallback::{self, Locator};
use super::prefilter::{Prefilter, Scratch};
use crate::ingest::Line;
use crate::rules::{Direction, Found, Library, Pattern, Rule, Scope, Window};

/// Hits kept per rule: the first few and a window of the latest, so memory is bounded per rule.
const FIRST_HITS: usize = 8;
const RECENT_HITS: usize = 16;
/// Context lines kept around each hit.
pub(crate) const CONTEXT_BEFORE: usize = 3;
pub(crate) const CONTEXT_AFTER: usize = 3;
/// Longest text kept for an evidence line and for a context line (in bytes, cut at a char boundary).
const MAX_HIT_TEXT: usize = 2000;
const MAX_CONTEXT_TEXT: usize = 400;

/// One line a rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    seq: u64,
    pub(crate) line: u64,
    pub(crate) step: Option<usize>,
    pub(crate) text: String,
    pub(crate) captures: Vec<(String, String)>,
    /// For multi-line rules: the other line of the match (the `then` line after it, or the `after`
    /// header before it).
    pub(crate) partner: Option<(u64, String)>,
    pub(crate) before: Vec<(u64, String)>,
    pub(crate) after: Vec<(u64, String)>,
}

/// The line an `after` rule's match must follow, and what it captured.
#[derive(Debug, Clone)]
struct Header {
    line: u64,
    text: String,
    captures: Vec<(String, String)>,
}

/// Everything one rule matched in one log.
#[derive(Debug, Default)]
pub(crate) struct RuleHits {
    first: Vec<Hit>,
    recent: VecDeque<Hit>,
    /// A `then` rule's first half, waiting for its second within the window (last line allowed).
    pending: Option<(Hit, u64)>,
    /// An `after` rule's latest header line.
    header: Option<Header>,
    pub(crate) count: u64,
}

impl Hit {
    /// A hit that no line match produced: a step rule's, placed on the line that best shows the failure.
    pub(crate) fn placed(
        line: u64,
        step: Option<usize>,
        text: &str,
        captures: Vec<(String, String)>,
    ) -> Self {
        Self {
            seq: 0,
            line,
            step,
            text: cut(text, MAX_HIT_TEXT),
            captures,
            partner: None,
            before: Vec::new(),
            after: Vec::new(),
        }
    }
}

impl RuleHits {
    /// The kept hits, in line order.
    pub(crate) fn hits(&self) -> impl Iterator<Item = &Hit> {
        self.first.iter().chain(self.recent.iter())
    }

    fn keep(&mut self, hit: Hit) {
        self.count += 1;
        if self.first.len() < FIRST_HITS {
            self.first.push(hit);
        } else {
            if self.recent.len() == RECENT_HITS {
                self.recent.pop_front();
            }
            self.recent.push_back(hit);
        }
    }

    fn find_mut(&mut self, seq: u64) -> Option<&mut Hit> {
        if let Some((hit, _)) = self.pending.as_mut().filter(|(h, _)| h.seq == seq) {
            return Some(hit);
        }
        self.first
            .iter_mut()
            .chain(self.recent.iter_mut())
            .find(|h| h.seq == seq)
    }
}

/// What a pattern of the prefilter stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A rule's pattern, by rule index.
    Rule(usize),
    /// A rule's partner pattern (`then` or `after`), by rule index.
    Partner(usize),
    /// The error-line locator's words: a line with one is scored by the locator.
    Locator,
}

/// Every rule pattern behind one literal prefilter, so each line is examined once for all rules and
/// only the few rules whose literals it contains run their regex.
#[derive(Debug)]
pub(crate) struct Matcher {
    prefilter: Prefilter,
    /// Pattern index → what it stands for.
    slots: Vec<Slot>,
    /// The pattern index of the locator's words, unless they could not be compiled.
    locator: Option<usize>,
}

impl Matcher {
    pub(crate) fn new(library: &Library) -> Result<Self, aho_corasick::BuildError> {
        let mut patterns = Vec::new();
        let mut slots = Vec::new();
        for (index, rule) in library
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.scope == Scope::Line)
        {
            patterns.push(&rule.pattern);
            slots.push(Slot::Rule(index));
            if let Some(window) = &rule.window {
                patterns.push(&window.pattern);
                slots.push(Slot::Partner(index));
            }
        }
        // The locator's words are found by the same search: most lines have none, and only those
        // that do are worth scoring.
        let locator = fallback::WORDS.as_ref().map(|words| {
            patterns.push(words);
            slots.push(Slot::Locator);
            slots.len() - 1
        });
        Ok(Self {
            prefilter: Prefilter::new(&patterns)?,
            slots,
            locator,
        })
    }
}

impl Matcher {
    /// Finds the literals in `block` ahead of [`Scanner::scan`], on whichever thread has time.
    pub(crate) fn search(&self, block: &mut Block) {
        self.prefilter.search(block);
    }
}

/// Scans one log, block by block of lines.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    rules: &'a [Rule],
    matcher: &'a Matcher,
    hits: Vec<RuleHits>,
    /// Lines given one by one ([`Scanner::observe`]), until they fill a block.
    pending: Block,
    /// The last lines of the blocks matched so far, for the context of a hit early in the next.
    carried: VecDeque<(u64, String)>,
    /// Hits still collecting their after-context: (rule index, hit seq, lines still wanted).
    awaiting: Vec<(usize, u64, usize)>,
    seq: u64,
    scratch: Scratch,
    locator: Locator,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(library: &'a Library, matcher: &'a Matcher) -> Self {
        Self {
            rules: &library.rules,
            matcher,
            hits: library.rules.iter().map(|_| RuleHits::default()).collect(),
            pending: Block::default(),
            carried: VecDeque::with_capacity(CONTEXT_BEFORE + 1),
            awaiting: Vec::new(),
            seq: 0,
            scratch: Scratch::default(),
            locator: Locator::default(),
        }
    }

    /// Adds one line; it is matched once a block of them is gathered, or at [`Scanner::finish`].
    pub(crate) fn observe(&mut self, line: &Line<'_>) {
        self.pending.push(line);
        if self.pending.is_full() {
            let mut block = std::mem::take(&mut self.pending);
            self.scan(&mut block);
            self.pending = block;
            self.pending.clear();
        }
    }

    /// Matches a block of lines, which follow the lines matched so far.
    pub(crate) fn scan(&mut self, block: &mut Block) {
        self.matcher.prefilter.search(block);
        let mut scratch = std::mem::take(&mut self.scratch);
        self.matcher.prefilter.scan(block, &mut scratch);
        let block: &Block = block;
        for (index, (_, line)) in block.lines().enumerate() {
            self.line(&line, scratch.candidates(index), (block, index));
        }
        self.scratch = scratch;
        // Context is copied only for hits, from the block itself, so only its last lines are kept.
        let tail = block.len().saturating_sub(CONTEXT_BEFORE);
        for (_, line) in block.lines().skip(tail) {
            if self.carried.len() == CONTEXT_BEFORE {
                self.carried.pop_front();
            }
            self.carried
                .push_back((line.number, cut(line.text, MAX_CONTEXT_TEXT)));
        }
    }

    /// What every rule matched, and the locator's pick of lines, once the last lines are matched.
    pub(crate) fn finish(mut self) -> (Vec<RuleHits>, Locator) {
        if !self.pending.is_empty() {
            let mut block = std::mem::take(&mut self.pending);
            self.scan(&mut block);
        }
        (self.hits, self.locator)
    }

    /// Matches one line, the `at.1`th of block `at.0`.
    fn line(&mut self, line: &Line<'_>, candidates: &[usize], at: (&Block, usize)) {
        self.feed_after_context(line);
        let slots = &self.matcher.slots;
        let slot = |s: &usize| slots.get(*s).copied();
        // Without the locator's words in the prefilter, every line is scored.
        if self
            .matcher
            .locator
            .is_none_or(|words| candidates.contains(&words))
        {
            self.locator.observe(line);
        }
        if !candidates.is_empty() {
            // Candidates are only candidates: `start`, `complete` and `header` run the regexes. A line
            // never pairs with itself: `then` partners are checked before a line starts a match, and
            // `after` headers are recorded after it was matched.
            let partner_rules: Vec<usize> = candidates
                .iter()
                .filter_map(|s| match slot(s) {
                    Some(Slot::Partner(rule)) => Some(rule),
                    _ => None,
                })
                .collect();
            for &rule in &partner_rules {
                self.complete(rule, line);
            }
            for s in candidates {
                if let Some(Slot::Rule(rule)) = slot(s) {
                    self.start(rule, line, at);
                }
            }
            for &rule in &partner_rules {
                self.header(rule, line);
            }
        }
    }

    fn feed_after_context(&mut self, line: &Line<'_>) {
        let hits = &mut self.hits;
        self.awaiting.retain_mut(|(rule, seq, wanted)| {
            let Some(hit) = hits.get_mut(*rule).and_then(|h| h.find_mut(*seq)) else {
                return false;
            };
            hit.after
                .push((line.number, cut(line.text, MAX_CONTEXT_TEXT)));
            *wanted -= 1;
            *wanted > 0
        });
    }

    /// The lines before the `at.1`th of block `at.0`, as context for a hit on it.
    fn before(&self, (block, index): (&Block, usize)) -> Vec<(u64, String)> {
        let in_block = index.min(CONTEXT_BEFORE);
        let carried = self.carried.len().saturating_sub(CONTEXT_BEFORE - in_block);
        let earlier = (index - in_block..index).filter_map(|i| block.line(i));
        (self.carried.iter().skip(carried).cloned())
            .chain(earlier.map(|l| (l.number, cut(l.text, MAX_CONTEXT_TEXT))))
            .collect()
    }

    fn start(&mut self, index: usize, line: &Line<'_>, at: (&Block, usize)) {
        let Some(rule) = self.rules.get(index) else {
            return;
        };
        // An `after` rule only matches close below its header: without one, skip the regex.
        if let Some(w) = rule
            .window
            .as_ref()
            .filter(|w| w.direction == Direction::After)
        {
            let near = self
                .hits
                .get(index)
                .and_then(|h| h.header.as_ref())
                .is_some_and(|h| line.number - h.line <= u64::from(w.within));
            if !near {
                return;
            }
        }
        let Some(caps) = rule.match_line(line.text) else {
            return;
        };
        self.seq += 1;
        let captures = captured(&rule.pattern, &caps);
        let mut hit = Hit {
            seq: self.seq,
            line: line.number,
            step: line.step,
            text: cut(line.text, MAX_HIT_TEXT),
            captures,
            partner: None,
            before: self.before(at),
            after: Vec::new(),
        };
        let Some(state) = self.hits.get_mut(index) else {
            return;
        };
        match &rule.window {
            Some(w) if w.direction == Direction::Then => {
                state.pending = Some((hit, line.number + u64::from(w.within)));
            }
            Some(w) => {
                // `after`: only a line that follows its header closely enough is a match.
                let Some(header) = state.header.clone() else {
                    return;
                };
                if line.number - header.line > u64::from(w.within) {
                    return;
                }
                hit.partner = Some((header.line, header.text));
                hit.captures.extend(header.captures);
                state.keep(hit);
            }
            None => state.keep(hit),
        }
        self.awaiting.push((index, self.seq, CONTEXT_AFTER));
    }

    /// A rule's multi-line window, when it runs in `direction`, with the rule's hit state.
    fn window(
        &mut self,
        index: usize,
        direction: Direction,
    ) -> Option<(&'a Window, &mut RuleHits)> {
        let rules: &'a [Rule] = self.rules;
        let window = rules
            .get(index)?
            .window
            .as_ref()
            .filter(|w| w.direction == direction)?;
        Some((window, self.hits.get_mut(index)?))
    }

    fn header(&mut self, index: usize, line: &Line<'_>) {
        let Some((w, state)) = self.window(index, Direction::After) else {
            return;
        };
        let Some(caps) = w.pattern.captures(line.text) else {
            return;
        };
        let captures = captured(&w.pattern, &caps);
        state.header = Some(Header {
            line: line.number,
            text: cut(line.text, MAX_HIT_TEXT),
            captures,
        });
    }

    fn complete(&mut self, index: usize, line: &Line<'_>) {
        let Some((then, state)) = self.window(index, Direction::Then) else {
            return;
        };
        let Some((_, deadline)) = &state.pending else {
            return;
        };
        if line.number > *deadline {
            state.pending = None;
            return;
        }
        let Some(caps) = then.pattern.captures(line.text) else {
            return;
        };
        if let Some((mut hit, _)) = state.pending.take() {
            hit.captures.extend(captured(&then.pattern, &caps));
            hit.partner = Some((line.number, cut(line.text, MAX_HIT_TEXT)));
            state.keep(hit);
        }
    }
}

/// The named groups `pattern` captured, by name, each value cut to a context line's length.
pub(crate) fn captured(pattern: &Pattern, caps: &Found<'_>) -> Vec<(String, String)> {
    pattern
        .names()
        .iter()
        .filter_map(|name| Some((name.clone(), cut(caps.name(name)?, MAX_CONTEXT_TEXT))))
        .collect()
}

/// `text` cut to at most `max` bytes, on a character boundary, marked with `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let end = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", text.get(..end).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::block::BLOCK_LINES;

    const PACK: &str = r#"
[pack]
name = "t"
version = "1"

[[rules]]
id = "t-disk"
category = "resource_exhaustion"
title = "disk"
pattern = 'No space left on (?P<what>\w+)'
exclude = 'ignore me'
confidence = 0.9

[[rules]]
id = "t-two"
category = "compilation"
title = "two lines"
pattern = '^What went wrong:'
then = { pattern = "Execution failed for task '(?P<task>[^']+)'", within = 2 }
confidence = 0.8
"#;

    fn scan(lines: &[&str]) -> Vec<Vec<Hit>> {
        let lib = Library::from_texts(&[("t.toml", PACK)]).unwrap();
        let matcher = Matcher::new(&lib).unwrap();
        let mut scanner = Scanner::new(&lib, &matcher);
        for (i, text) in lines.iter().enumerate() {
            scanner.observe(&Line {
                number: i as u64 + 1,
                text,
                step: None,
            });
        }
        scanner
            .finish()
            .0
            .iter()
            .map(|h| h.hits().cloned().collect())
            .collect()
    }

    /// Context before a hit comes from the hit's block, and from the one before for its first lines.
    #[test]
    fn context_before_a_hit_crosses_block_boundaries() {
        // Short lines: blocks are cut by their line count. Hits on the second line, on the first
        // two lines of the second block and on the first line of the third.
        let b = BLOCK_LINES as u64;
        let hit_lines = [2, b + 1, b + 2, 2 * b + 1];
        let lines: Vec<String> = (1..=2 * b + 10)
            .map(|n| match hit_lines.contains(&n) {
                true => format!("{n}: No space left on disk"),
                false => format!("line {n}"),
            })
            .collect();
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let hits = scan(&texts);
        let before: Vec<Vec<u64>> = (hits[0].iter())
            .map(|h| h.before.iter().map(|(n, _)| *n).collect())
            .collect();
        let expected: Vec<Vec<u64>> = hit_lines
            .iter()
            .map(|&n| (n.saturating_sub(3).max(1)..n).collect())
            .collect();
        assert_eq!(before, expected);
        assert_eq!(hits[0][1].before[2].1, format!("line {b}"));
    }

    #[test]
    fn records_hits_with_captures_and_context() {
        let hits = scan(&[
            "a",
            "b",
            "c",
            "d",
            "write: No space left on device",
            "e",
            "f",
            "g",
            "h",
        ]);
        let disk = &hits[0];
        assert_eq!(disk.len(), 1);
        assert_eq!(disk[0].line, 5);
        assert_eq!(disk[0].captures, [("what".to_owned(), "device".to_owned())]);
        let before: Vec<u64> = disk[0].before.iter().map(|(n, _)| *n).collect();
        let after: Vec<u64> = disk[0].after.iter().map(|(n, _)| *n).collect();
        assert_eq!((before, after), (vec![2, 3, 4], vec![6, 7, 8]));
    }

    #[test]
    fn exclude_suppresses_a_match() {
        assert!(scan(&["No space left on device, ignore me"])[0].is_empty());
    }

    #[test]
    fn multi_line_rules_need_both_halves_within_the_window() {
        let hits = scan(&[
            "What went wrong:",
            "x",
            "Execution failed for task ':app:compileJava'",
        ]);
        assert_eq!(hits[1].len(), 1);
        assert_eq!(hits[1][0].partner.as_ref().map(|(n, _)| *n), Some(3));
        assert_eq!(
            hits[1][0].captures,
            [("task".to_owned(), ":app:compileJava".to_owned())]
        );
        assert!(
            scan(&[
                "What went wrong:",
                "x",
                "y",
                "Execution failed for task 'a'"
            ])[1]
                .is_empty()
        );
        assert!(scan(&["Execution failed for task 'a'", "What went wrong:"])[1].is_empty());
    }

    #[test]
    fn after_rules_anchor_on_the_line_below_the_header() {
        let pack = r#"
[pack]
name = "a"
version = "1"

[[rules]]
id = "a-detail"
category = "test_failure"
title = "detail"
pattern = '^\s+1\) (?P<test>.+)'
after = { pattern = '^\s+\d+ failing$', within = 2 }
confidence = 0.8
"#;
        let lib = Library::from_texts(&[("a.toml", pack)]).unwrap();
        let matcher = Matcher::new(&lib).unwrap();
        let run = |lines: &[&str]| {
            let mut scanner = Scanner::new(&lib, &matcher);
            for (i, text) in lines.iter().enumerate() {
                scanner.observe(&Line {
                    number: i as u64 + 1,
                    text,
                    step: None,
                });
            }
            scanner.finish().0[0]
                .hits()
                .map(|h| (h.line, h.partner.as_ref().map(|(n, _)| *n)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run(&["  1) early mention", "  2 failing", "", "  1) the test"]),
            [(4, Some(2))]
        );
        assert_eq!(run(&["  2 failing", "", "", "  1) too far"]), []);
    }

    #[test]
    fn memory_per_rule_is_bounded() {
        let lines: Vec<String> = (0..1000)
            .map(|i| format!("{i}: No space left on device"))
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let lib = Library::from_texts(&[("t.toml", PACK)]).unwrap();
        let matcher = Matcher::new(&lib).unwrap();
        let mut scanner = Scanner::new(&lib, &matcher);
        for (i, text) in refs.iter().enumerate() {
            scanner.observe(&Line {
                number: i as u64 + 1,
                text,
                step: None,
            });
        }
        let (hits, _) = scanner.finish();
        assert_eq!(hits[0].count, 1000);
        let kept: Vec<u64> = hits[0].hits().map(|h| h.line).collect();
        assert_eq!(kept.len(), FIRST_HITS + RECENT_HITS);
        assert_eq!(kept[..2], [1, 2]);
        assert_eq!(kept.last(), Some(&1000));
    }

    /// The scanner scores only the lines its literal search finds a locator word on: it must keep
    /// exactly the lines a locator scoring every line keeps, on every fixture log and on lines made
    /// to sit at the edges of its words.
    #[test]
    fn the_scanner_scores_what_the_locator_would() {
        let library = Library::load(&[], true).unwrap();
        let matcher = Matcher::new(&library).unwrap();
        let edge_cases = [
            "##[error]no word here",
            "x ##[error] not at the start",
            // One word of each stem alone.
            "Traceback (most recent call last):",
            "thread 'main' panicked at src/x.rs:1:1",
            "Aborted (core dumped)",
            "assert x == 1",
            "Unhandled exception",
            "fatal: not a git repository",
            "SEGMENTATION FAULT (core dumped)",
            "segmentation  fault",
            "AssertionError: expected 1",
            "TypeError: x",
            "fail",
            "The job failed.",
            "ERROR",
            "warning: 0 errors",
            "Process completed with exit code 1.",
        ];
        let mut logs = vec![edge_cases.join("\n").into_bytes()];
        for entry in std::fs::read_dir("fixtures/logs").unwrap() {
            logs.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
        let mut scored = 0;
        for bytes in logs {
            let mut scanner = Scanner::new(&library, &matcher);
            let mut every_line = Locator::default();
            let input = crate::ingest::LogInput::from_bytes("fixture", "fixture", bytes);
            crate::ingest::read(input, &mut |line| {
                scanner.observe(line);
                every_line.observe(line);
            })
            .unwrap();
            let (_, locator) = scanner.finish();
            assert_eq!(locator, every_line);
            scored += usize::from(every_line.pick(None).is_some());
        }
        assert!(scored > 10, "only {scored} logs had a line worth scoring");
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("héllo", 2), "h…");
        assert_eq!(cut("short", 10), "short");
    }
}
