//! `recovery-agent rules list|test|export`: inspect and check the rule packs in force.

use std::fmt::Write as _;

use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::diagnose::check_examples;
use crate::diagnose::lint::{self, Negatives, Severity};
use crate::error::Error;
use crate::exit;
use crate::rules::{Direction, Library, Pattern, Scope};
use crate::taxonomy::{Action, Category};

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List every rule in force.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[command(flatten)]
        rules: super::RuleArgs,
    },
    /// Run every rule's examples (must match) and counterexamples (must not).
    Test {
        #[command(flatten)]
        rules: super::RuleArgs,
    },
    /// Check rule quality: load problems, examples, broad or shadowed patterns, and (with
    /// `--negatives`) rules that fire on passing logs. Exits 5 on errors.
    Lint {
        /// A passing log, or a directory of them, that no rule should fire on (repeatable).
        #[arg(long, value_name = "PATH")]
        negatives: Vec<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Treat warnings as errors for the exit code.
        #[arg(long)]
        deny_warnings: bool,
        /// Threads for reading the negatives [default: one per core].
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        rules: super::RuleArgs,
    },
    /// Print the rule patterns for other tools.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Regex)]
        format: ExportFormat,
        #[command(flatten)]
        rules: super::RuleArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One regex per line: each rule's first-line pattern, in priority order.
    Regex,
    /// A JSON array of `{id, pattern, exclude, then, after}`.
    Json,
}

/// One rule, as `rules list --format json` prints it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    id: &'a str,
    category: Category,
    pack: &'a str,
    title: &'a str,
    confidence: f64,
    actions: &'a [Action],
    multi_line: bool,
    scope: Scope,
    examples: usize,
    counterexamples: usize,
    sources: &'a [String],
}

#[derive(Debug, Serialize)]
struct Exported<'a> {
    id: &'a str,
    pattern: &'a str,
    exclude: Option<&'a str>,
    then: Option<&'a str>,
    after: Option<&'a str>,
}

pub(crate) fn run(command: RulesCommand) -> Result<u8, Error> {
    match command {
        RulesCommand::List { format, rules } => list(format, &rules),
        RulesCommand::Test { rules } => test(&rules),
        RulesCommand::Lint {
            negatives,
            format,
            deny_warnings,
            jobs,
            rules,
        } => lint(&negatives, format, deny_warnings, jobs, &rules),
        RulesCommand::Export { format, rules } => export(format, &rules),
    }
}

fn json(value: &impl Serialize) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(crate::report::ReportError::Json)?;
    text.push('\n');
    Ok(text)
}

fn list(format: ListFormat, args: &super::RuleArgs) -> Result<u8, Error> {
    let (_, library) = super::diagnose::load(args)?;
    let listed: Vec<Listed<'_>> = library
        .rules
        .iter()
        .map(|r| Listed {
            id: &r.id,
            category: r.category,
            pack: &r.pack,
            title: &r.title,
            confidence: r.confidence,
            actions: &r.actions,
            multi_line: r.window.is_some(),
            scope: r.scope,
            examples: r.examples.len(),
            counterexamples: r.counterexamples.len(),
            sources: &r.sources,
        })
        .collect();
    let text = match format {
        ListFormat::Json => json(&listed)?,
        ListFormat::Text => {
            let width = listed.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut out = String::new();
            for r in &listed {
                let _ = writeln!(
                    out,
                    "{:<width$}  {:<21}  {:<18}  {}",
                    r.id,
                    r.category.as_str(),
                    r.pack,
                    r.title
                );
            }
            let mut per_category: Vec<(Category, usize)> = Category::ALL
                .iter()
                .map(|c| (*c, listed.iter().filter(|r| r.category == *c).count()))
                .filter(|(_, n)| *n > 0)
                .collect();
            per_category.sort_by_key(|(c, _)| c.as_str());
            let counts: Vec<String> = per_category
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            let _ = writeln!(
                out,
                "\n{} rules in {} packs: {}",
                listed.len(),
                library.packs.len(),
                counts.join(", ")
            );
            for p in &library.packs {
                let _ = writeln!(
                    out,
                    "  {} {} ({} rules): {}",
                    p.name, p.version, p.rules, p.description
                );
            }
            out
        }
    };
    super::emit(&text)?;
    Ok(exit::OK)
}

fn test(args: &super::RuleArgs) -> Result<u8, Error> {
    let (_, library) = super::diagnose::load(args)?;
    let (checked, failures) =
        check_examples(&library).map_err(crate::diagnose::DiagnoseError::RuleSet)?;
    let mut out = String::new();
    for f in &failures {
        let origin = library
            .rules
            .iter()
            .find(|r| r.id == f.rule_id)
            .and_then(|r| library.origin_of(r))
            .map_or_else(|| f.pack.clone(), ToString::to_string);
        let what = if f.should_match {
            "example does not match"
        } else {
            "counterexample matches"
        };
        let _ = writeln!(
            out,
            "FAIL {origin}: rule '{}': {what}: {:?}",
            f.rule_id, f.text
        );
    }
    let no_examples = library
        .rules
        .iter()
        .filter(|r| r.examples.is_empty())
        .count();
    let _ = writeln!(
        out,
        "{} rules, {checked} examples and counterexamples checked, {} failed{}",
        library.rules.len(),
        failures.len(),
        if no_examples > 0 {
            format!("; {no_examples} rules have no example")
        } else {
            String::new()
        }
    );
    super::emit(&out)?;
    Ok(if failures.is_empty() {
        exit::OK
    } else {
        exit::CHECK_FAILED
    })
}

fn lint(
    negatives: &[std::path::PathBuf],
    format: ListFormat,
    deny_warnings: bool,
    jobs: Option<usize>,
    args: &super::RuleArgs,
) -> Result<u8, Error> {
    let config = crate::config::Config::load(args.config.as_deref())?;
    let mut packs = config.rules.clone();
    packs.extend(args.rules.iter().cloned());
    let (library, mut problems) =
        Library::load_lenient(&packs, config.builtin_rules && !args.no_builtin_rules);
    problems.extend(library.compile_all());
    let negatives = if negatives.is_empty() {
        None
    } else {
        let threads = jobs.unwrap_or_else(crate::batch::default_threads).max(1);
        Some(Negatives {
            inputs: crate::ingest::discover(negatives)?,
            threads,
        })
    };
    let findings = lint::lint(&library, &problems, negatives)
        .map_err(crate::diagnose::DiagnoseError::RuleSet)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let text = match format {
        ListFormat::Json => json(&findings)?,
        ListFormat::Text => {
            let mut out = String::new();
            for f in &findings {
                let severity = if f.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                };
                let rule = f
                    .rule
                    .as_ref()
                    .map(|r| format!(" rule '{r}':"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{severity}[{}] {}:{rule} {}",
                    f.code, f.file, f.message
                );
            }
            let _ = writeln!(
                out,
                "{} rules in {} packs: {errors} error(s), {warnings} warning(s)",
                library.rules.len(),
                library.packs.len()
            );
            out
        }
    };
    super::emit(&text)?;
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed { exit::CHECK_FAILED } else { exit::OK })
}

fn export(format: ExportFormat, args: &super::RuleArgs) -> Result<u8, Error> {
    let (_, library) = super::diagnose::load(args)?;
    let text = match format {
        ExportFormat::Regex => library
            .rules
            .iter()
            .filter(|r| r.scope == Scope::Line)
            .map(|r| format!("{}\n", unnamed_groups(r.pattern.as_str())))
            .collect(),
        ExportFormat::Json => json(
            &library
                .rules
                .iter()
                .map(|r| Exported {
                    id: &r.id,
                    pattern: r.pattern.as_str(),
                    exclude: r.exclude.as_ref().map(Pattern::as_str),
                    then: r
                        .window
                        .as_ref()
                        .filter(|w| w.direction == Direction::Then)
                        .map(|w| w.pattern.as_str()),
                    after: r
                        .window
                        .as_ref()
                        .filter(|w| w.direction == Direction::After)
                        .map(|w| w.pattern.as_str()),
                })
                .collect::<Vec<_>>(),
        )?,
    };
    super::emit(&text)?;
    Ok(exit::OK)
}

/// `pattern` with its named groups made plain groups: tools that join the exported patterns into one
/// regex (`rg -f`) refuse a group name used twice, and only whether a line matches matters to them.
fn unnamed_groups(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    let mut escaped = false;
    while let Some(c) = rest.chars().next() {
        if !escaped && c == '(' {
            let after = rest.get(1..).unwrap_or_default();
            let name_start = after
                .strip_prefix("?P<")
                .or_else(|| after.strip_prefix("?<"));
            if let Some(tail) = name_start
                && let Some(end) = tail.find('>')
                && tail.get(..end).is_some_and(|n| {
                    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            {
                out.push_str("(?:");
                rest = tail.get(end + 1..).unwrap_or_default();
                continue;
            }
        }
        escaped = !escaped && c == '\\';
        out.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn named_groups_become_plain_groups() {
        assert_eq!(
            super::unnamed_groups(r"curl: \((?P<code>7|28)\) (?<host>\S+)"),
            r"curl: \((?:7|28)\) (?:\S+)"
        );
        // An escaped parenthesis is a literal, not a group.
        assert_eq!(super::unnamed_groups(r"\(?P<x>"), r"\(?P<x>");
        assert_eq!(super::unnamed_groups("é(?P<a_1>b)"), "é(?:b)");
    }
}
