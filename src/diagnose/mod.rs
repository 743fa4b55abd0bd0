//! Diagnose: match the rule library against a job's log and name the cause, with evidence.

mod block;
mod dfa;
mod examples;
mod fallback;
mod fingerprint;
mod index;
pub(crate) mod lint;
mod prefilter;
#[cfg(test)]
mod props;
mod scan;
pub(crate) mod score;
mod words;

pub(crate) use examples::check_examples;
pub(crate) use fingerprint::VERSION as FINGERPRINT_VERSION;
pub(crate) use score::Factors;

use std::sync::mpsc;

use block::Block;

use crate::ingest::{self, IngestError, JobLog, LogInput};
use crate::redact::redact;
// `literals` is named here for `dfa` and `index`, which reach it as `super::literals`: the build
// compiles them too, next to its own copy of the module.
use crate::rules::{Library, Pattern, Rule, Scope, literals};
use crate::taxonomy::{Action, Category};

/// Compiles, on a thread of its own, the fixed patterns every diagnosis uses (the error-line locator,
/// outcome markers, fingerprint masks, secret formats), while the caller loads the rule library: on a
/// machine with a core to spare, start-up stops paying for them.
pub(crate) fn warm_up() {
    let _ = std::thread::Builder::new()
        .name("warm-up".to_owned())
        .spawn(|| {
            ingest::warm();
            fallback::warm();
            fingerprint::warm();
            crate::redact::warm();
        });
}

/// Why the rule library could not be turned into a matcher.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiagnoseError {
    #[error("the rule library is too large to compile into one matcher")]
    RuleSet(#[source] aho_corasick::BuildError),
}

/// Longest capture value put into a remediation step.
const MAX_CAPTURE_IN_STEP: usize = 200;
/// Evidence lines reported per diagnosis, and alternatives.
const MAX_EVIDENCE: usize = 5;
const MAX_ALTERNATIVES: usize = 3;
/// Caches named by `Cache restored from key: …` lines, kept for a cache reset.
const MAX_CACHE_KEYS: usize = 8;

/// A log line shown as evidence, with its surroundings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evidence {
    pub(crate) line: u64,
    pub(crate) step: Option<String>,
    pub(crate) text: String,
    /// The rule that matched this line (`None` for the error-line locator's pick).
    pub(crate) rule_id: Option<String>,
    pub(crate) context: Vec<(u64, String)>,
}

/// Another cause that also matched, less convincingly.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alternative {
    pub(crate) category: Category,
    pub(crate) rule_id: String,
    pub(crate) confidence: f64,
    pub(crate) line: u64,
}

/// The rule that decided a diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decider {
    pub(crate) id: String,
    pub(crate) pack: String,
    pub(crate) title: String,
}

/// Why one job failed, how sure we are, and what it permits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diagnosis {
    pub(crate) category: Category,
    pub(crate) rule: Option<Decider>,
    pub(crate) confidence: f64,
    pub(crate) factors: Option<Factors>,
    pub(crate) fingerprint: String,
    pub(crate) captures: Vec<(String, String)>,
    pub(crate) evidence: Vec<Evidence>,
    pub(crate) alternatives: Vec<Alternative>,
    /// The rule's remediation with its captures filled in.
    pub(crate) remediation: Vec<String>,
    /// The recovery actions this cause permits.
    pub(crate) actions: Vec<Action>,
    /// Caches the job restored (`Cache restored from key: …`), for a state reset.
    pub(crate) cache_keys: Vec<String>,
}

/// The rule library, compiled for scanning.
#[derive(Debug)]
pub(crate) struct Engine<'l> {
    library: &'l Library,
    matcher: scan::Matcher,
    /// Whether a log is read on one thread while its lines are matched on another.
    pipelined: bool,
}

/// What the scanner found in one log: each rule's hits, and the locator's error-looking lines.
type Scanned = (Vec<scan::RuleHits>, fallback::Locator);

/// Blocks of lines read but not yet matched, at most: bounds memory when matching falls behind.
const QUEUED_BLOCKS: usize = 4;

impl<'l> Engine<'l> {
    pub(crate) fn new(library: &'l Library) -> Result<Self, DiagnoseError> {
        Ok(Self {
            library,
            matcher: scan::Matcher::new(library).map_err(DiagnoseError::RuleSet)?,
            pipelined: false,
        })
    }

    /// Compiles the step rules' patterns (long lists of tool names). They run once, after
    /// reading, on the failed step's name; the matching thread compiles them while it waits for
    /// its first block of lines, rather than once the log is read.
    fn prepare_step_rules(&self) {
        let steps = (self.library.rules.iter()).filter(|r| r.scope == Scope::FailedStep);
        for rule in steps {
            rule.pattern.prepare();
            rule.exclude.iter().for_each(Pattern::prepare);
        }
    }

    /// Reads each log on one thread and matches its lines on another: for callers that diagnose
    /// one log at a time on a machine with cores to spare (batch callers spread logs instead).
    pub(crate) fn pipelined(mut self, on: bool) -> Self {
        self.pipelined = on;
        self
    }

    /// Reads one job's log and diagnoses it, in a single streaming pass.
    pub(crate) fn diagnose(&self, input: LogInput) -> Result<(JobLog, Diagnosis), IngestError> {
        let mut cache_keys = Vec::new();
        let mut aside = |line: &ingest::Line<'_>| {
            if let Some(key) = line.text.strip_prefix("Cache restored from key: ")
                && cache_keys.len() < MAX_CACHE_KEYS
                && !cache_keys.iter().any(|k| k == key.trim())
            {
                cache_keys.push(key.trim().to_owned());
            }
        };
        let (job, (hits, locator)) = match self.pipelined {
            true => self.read_pipelined(input, &mut aside)?,
            false => self.read_alone(input, &mut aside)?,
        };
        let diagnosis = decide(&self.library.rules, &hits, &locator, &job, cache_keys);
        Ok((job, diagnosis))
    }

    /// Reads the log and matches its lines on this thread; `aside` sees every line as it is read.
    fn read_alone(
        &self,
        input: LogInput,
        aside: &mut dyn FnMut(&ingest::Line<'_>),
    ) -> Result<(JobLog, Scanned), IngestError> {
        let mut scanner = scan::Scanner::new(self.library, &self.matcher);
        let job = ingest::read(input, &mut |line| {
            scanner.observe(line);
            aside(line);
        })?;
        Ok((job, scanner.finish()))
    }

    /// Reads the log here, handing blocks of lines to a matching thread (or, when no thread can be
    /// started, matches them here too); `aside` sees every line as it is read.
    fn read_pipelined(
        &self,
        input: LogInput,
        aside: &mut dyn FnMut(&ingest::Line<'_>),
    ) -> Result<(JobLog, Scanned), IngestError> {
        let (full_tx, full_rx) = mpsc::sync_channel::<Block>(QUEUED_BLOCKS);
        let (empty_tx, empty_rx) = mpsc::channel::<Block>();
        std::thread::scope(|scope| {
            let spawned = std::thread::Builder::new()
                .name("matching".to_owned())
                .spawn_scoped(scope, move || {
                    self.prepare_step_rules();
                    let mut scanner = scan::Scanner::new(self.library, &self.matcher);
                    for mut block in full_rx {
                        scanner.scan(&mut block);
                        block.clear();
                        // The reader takes blocks back to refill; once it is done, none is needed.
                        let _ = empty_tx.send(block);
                    }
                    scanner.finish()
                });
            let Ok(matching) = spawned else {
                return self.read_alone(input, aside);
            };
            let mut block = Block::with_room();
            let read = ingest::read(input, &mut |line| {
                aside(line);
                block.push(line);
                if block.is_full() {
                    // The literal search runs here: reading leaves this thread time to spare.
                    self.matcher.search(&mut block);
                    let next = empty_rx.try_recv().unwrap_or_else(|_| Block::with_room());
                    // Should the matching thread be gone, its loss shows when it is joined.
                    let _ = full_tx.send(std::mem::replace(&mut block, next));
                }
            });
            if !block.is_empty() {
                let _ = full_tx.send(block);
            }
            drop(full_tx);
            let hits = matching.join();
            let mut job = read?;
            let hits = hits.unwrap_or_else(|_| {
                job.incomplete
                    .get_or_insert_with(|| "matching the rules stopped unexpectedly".to_owned());
                Scanned::default()
            });
            Ok((job, hits))
        })
    }
}

/// A rule's best hit and what it scores.
struct Candidate<'a> {
    rule_index: usize,
    rule: &'a Rule,
    hit: &'a scan::Hit,
    placement: f64,
    score: f64,
}

/// Step rules matched against the first failed step's name and the command its marker names. Each
/// hit is placed on the locator's best line in that step, or on the step's first line.
fn step_hits(rules: &[Rule], job: &JobLog, locator: &fallback::Locator) -> Vec<(usize, scan::Hit)> {
    let Some(index) = job.first_failed_step() else {
        return Vec::new();
    };
    let Some(step) = job.steps.get(index) else {
        return Vec::new();
    };
    let names: Vec<&str> = std::iter::once(step.name.as_str())
        .chain(step.command.as_deref())
        .collect();
    let pick = locator
        .pick(Some(index))
        .filter(|c| c.step == Some(index) && c.score >= 2);
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.scope == Scope::FailedStep)
        .filter_map(|(i, rule)| {
            let caps = names.iter().find_map(|n| rule.match_line(n))?;
            let captures = scan::captured(&rule.pattern, &caps);
            let hit = match pick {
                Some(c) => scan::Hit::placed(c.line, Some(index), &c.text, captures),
                None => scan::Hit::placed(step.start_line, Some(index), &step.name, captures),
            };
            Some((i, hit))
        })
        .collect()
}

fn best_hit<'a>(
    rule_index: usize,
    rule: &'a Rule,
    hits: &'a scan::RuleHits,
    job: &JobLog,
) -> Option<Candidate<'a>> {
    hits.hits()
        .map(|hit| (hit, score::placement(hit.line, hit.step, job)))
        .fold(
            None,
            |best: Option<(&scan::Hit, f64)>, (hit, p)| match best {
                Some((b, bp)) if bp > p || (bp == p && b.line <= hit.line) => Some((b, bp)),
                _ => Some((hit, p)),
            },
        )
        .map(|(hit, placement)| Candidate {
            rule_index,
            rule,
            hit,
            placement,
            score: rule.confidence * placement,
        })
}

/// Picks the cause among the rules that matched, or falls back to the error-line locator.
fn decide(
    rules: &[Rule],
    hits: &[scan::RuleHits],
    locator: &fallback::Locator,
    job: &JobLog,
    cache_keys: Vec<String>,
) -> Diagnosis {
    let placed = step_hits(rules, job, locator);
    let mut candidates: Vec<Candidate<'_>> = rules
        .iter()
        .zip(hits)
        .enumerate()
        .filter_map(|(i, (rule, h))| best_hit(i, rule, h, job))
        .collect();
    candidates.extend(placed.iter().filter_map(|(i, hit)| {
        let rule = rules.get(*i)?;
        let placement = score::placement(hit.line, hit.step, job);
        Some(Candidate {
            rule_index: *i,
            rule,
            hit,
            placement,
            score: rule.confidence * placement,
        })
    }));
    // Highest score first; ties go to the earlier line (the earlier cause), then to rule order.
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.hit.line.cmp(&b.hit.line))
            .then(a.rule_index.cmp(&b.rule_index))
    });
    let outcome_factor = score::outcome(job.outcome);
    let Some(primary) = candidates.first() else {
        return unknown(locator, job, cache_keys);
    };
    let rule = primary.rule;
    let same: Vec<&Candidate<'_>> = candidates
        .iter()
        .skip(1)
        .filter(|c| c.rule.category == rule.category)
        .collect();
    let in_failed_steps = same.iter().filter(|c| c.placement >= 0.9).count();
    let rival = candidates
        .iter()
        .find(|c| c.rule.category != rule.category)
        .map_or(0.0, |c| c.score);
    let factors = Factors {
        strength: rule.confidence,
        placement: primary.placement,
        support: score::support(in_failed_steps),
        margin: score::margin(primary.score, rival),
        outcome: outcome_factor,
    };

    let mut evidence = Vec::new();
    let mut primary_hits: Vec<&scan::Hit> = match rule.scope {
        Scope::Line => hits
            .get(primary.rule_index)
            .map(|h| h.hits().collect())
            .unwrap_or_default(),
        Scope::FailedStep => vec![primary.hit],
    };
    primary_hits.sort_by(|a, b| {
        let (pa, pb) = (
            score::placement(a.line, a.step, job),
            score::placement(b.line, b.step, job),
        );
        pb.total_cmp(&pa).then(a.line.cmp(&b.line))
    });
    for hit in primary_hits.iter().take(3) {
        evidence.push(to_evidence(hit, &rule.id, job));
        if let Some((line, text)) = &hit.partner {
            evidence.push(Evidence {
                line: *line,
                step: step_name(job, hit.step),
                text: redact(text).into_owned(),
                rule_id: Some(rule.id.clone()),
                context: Vec::new(),
            });
        }
    }
    for c in same.iter().filter(|c| c.placement >= 0.9) {
        evidence.push(to_evidence(c.hit, &c.rule.id, job));
    }
    evidence.truncate(MAX_EVIDENCE);

    let captures: Vec<(String, String)> = primary
        .hit
        .captures
        .iter()
        .map(|(n, v)| (n.clone(), redact(v).into_owned()))
        .collect();
    let identifying: Vec<(String, String)> = if rule.fingerprint.is_empty() {
        vec![("line".to_owned(), primary.hit.text.clone())]
    } else {
        captures
            .iter()
            .filter(|(n, _)| rule.fingerprint.contains(n))
            .cloned()
            .collect()
    };
    let mut seen = vec![rule.category];
    let alternatives = candidates
        .iter()
        .skip(1)
        .filter(|c| {
            let new = !seen.contains(&c.rule.category);
            seen.push(c.rule.category);
            new
        })
        .take(MAX_ALTERNATIVES)
        .map(|c| Alternative {
            category: c.rule.category,
            rule_id: c.rule.id.clone(),
            confidence: score::round2(c.score * outcome_factor),
            line: c.hit.line,
        })
        .collect();
    Diagnosis {
        category: rule.category,
        rule: Some(Decider {
            id: rule.id.clone(),
            pack: rule.pack.clone(),
            title: fill(&rule.title, &captures),
        }),
        confidence: factors.confidence(),
        factors: Some(factors),
        fingerprint: fingerprint::fingerprint(&rule.id, &identifying),
        remediation: rule
            .remediation
            .iter()
            .map(|step| fill(step, &captures))
            .collect(),
        captures,
        evidence,
        alternatives,
        actions: rule.actions.clone(),
        cache_keys,
    }
}

fn unknown(locator: &fallback::Locator, job: &JobLog, cache_keys: Vec<String>) -> Diagnosis {
    let pick = if job.outcome == ingest::Outcome::Passed {
        None
    } else {
        locator.pick(job.first_failed_step())
    };
    let evidence: Vec<Evidence> = pick
        .map(|c| Evidence {
            line: c.line,
            step: step_name(job, c.step),
            text: redact(&c.text).into_owned(),
            rule_id: None,
            context: Vec::new(),
        })
        .into_iter()
        .collect();
    let identifying: Vec<(String, String)> = pick
        .map(|c| vec![("line".to_owned(), c.text.clone())])
        .unwrap_or_default();
    Diagnosis {
        category: Category::Unknown,
        rule: None,
        confidence: 0.0,
        factors: None,
        fingerprint: fingerprint::fingerprint("unknown", &identifying),
        captures: Vec::new(),
        evidence,
        alternatives: Vec::new(),
        remediation: Vec::new(),
        actions: Category::Unknown.default_actions().to_vec(),
        cache_keys,
    }
}

fn step_name(job: &JobLog, step: Option<usize>) -> Option<String> {
    step.and_then(|s| job.steps.get(s)).map(|s| s.name.clone())
}

fn to_evidence(hit: &scan::Hit, rule_id: &str, job: &JobLog) -> Evidence {
    let context = hit
        .before
        .iter()
        .chain(&hit.after)
        .map(|(n, text)| (*n, redact(text).into_owned()))
        .collect();
    Evidence {
        line: hit.line,
        step: step_name(job, hit.step),
        text: redact(&hit.text).into_owned(),
        rule_id: Some(rule_id.to_owned()),
        context,
    }
}

/// Fills `{name}` placeholders with capture values, made safe to sit inside Markdown code spans.
fn fill(step: &str, captures: &[(String, String)]) -> String {
    let mut out = step.to_owned();
    for (name, value) in captures {
        let clean: String = value
            .chars()
            .filter(|c| *c != '`' && !c.is_control())
            .take(MAX_CAPTURE_IN_STEP)
            .collect();
        out = out.replace(&format!("{{{name}}}"), &clean);
    }
    if out.contains('{') {
        for name in crate::rules::placeholders(step) {
            out = out.replace(&format!("{{{name}}}"), &format!("<{name}>"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_substitutes_and_sanitises_captures() {
        let caps = [("pkg".to_owned(), "left`pad\n".to_owned())];
        assert_eq!(fill("bump `{pkg}`", &caps), "bump `leftpad`");
        assert_eq!(fill("bump `{other}`", &caps), "bump `<other>`");
    }

    /// Reading on one thread and matching on another changes nothing: each fixture log alone, and
    /// all of them as one log of many blocks, diagnose the same either way.
    #[test]
    fn pipelined_diagnoses_match_single_threaded_ones() {
        let library = Library::load(&[], true).unwrap();
        let alone = Engine::new(&library).unwrap();
        let pipelined = Engine::new(&library).unwrap().pipelined(true);
        let mut logs: Vec<Vec<u8>> = Vec::new();
        for entry in std::fs::read_dir("fixtures/logs").unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let mut text = Vec::new();
            ingest::read(LogInput::from_bytes("f", "f", bytes.clone()), &mut |l| {
                text.extend_from_slice(l.text.as_bytes());
                text.push(b'\n');
            })
            .unwrap();
            logs.push(text);
        }
        logs.push(logs.concat());
        assert!(
            logs.last().unwrap().len() > 512 << 10,
            "several blocks of 256 KB"
        );
        for bytes in logs {
            let (job_a, a) = alone
                .diagnose(LogInput::from_bytes("x", "x", bytes.clone()))
                .unwrap();
            let (job_b, b) = pipelined
                .diagnose(LogInput::from_bytes("x", "x", bytes))
                .unwrap();
            assert_eq!(
                (job_a.lines, job_a.steps.len()),
                (job_b.lines, job_b.steps.len())
            );
            assert_eq!(a, b);
        }
    }
}
