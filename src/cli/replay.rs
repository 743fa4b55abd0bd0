//! `recovery-agent replay SCENARIO.ndjson`: replay recorded jobs through diagnosis and the policy.

use std::path::PathBuf;

use crate::diagnose::Engine;
use crate::error::Error;
use crate::replay::{self, Replay};
use crate::report::{self, Format};

#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The scenario: NDJSON, one recorded job per line (format in the README).
    #[arg(value_name = "SCENARIO.ndjson")]
    scenario: PathBuf,
    /// Output format of the summary on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the per-case decision trace (NDJSON) to FILE, atomically.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the operations summary (Markdown) of the replayed failures to FILE.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Seed for every random choice (back-off jitter); the same seed gives the same output.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Threads to diagnose with [default: one per core]; the output never depends on it.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// A directory of templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    rules: super::RuleArgs,
}

fn to_json<T: serde::Serialize>(value: &T, pretty: bool) -> Result<String, Error> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    Ok(text.map_err(report::ReportError::Json)?)
}

pub(crate) fn run(args: &ReplayArgs) -> Result<u8, Error> {
    let (config, library) = super::diagnose::load(&args.rules)?;
    let engine = Engine::new(&library)?;
    let (cases, digest) = replay::scenario::load(&args.scenario)?;
    let replay = Replay {
        engine: &engine,
        config: &config,
        rules_digest: &library.digest(),
        seed: args.seed,
        threads: args
            .jobs
            .unwrap_or_else(crate::batch::default_threads)
            .max(1),
    };
    let report = replay.run(&args.scenario, &digest, &cases);
    let templates = args.templates.as_deref().or(config.templates.as_deref());
    let summary_md = || {
        report::render_template(
            &replay::markdown(&report, &args.scenario),
            "summary.md.j2",
            templates,
        )
        .map_err(report::ReportError::Template)
    };
    if let Some(path) = &args.trace {
        let mut ndjson = String::new();
        for line in &report.trace {
            ndjson.push_str(&to_json(line, false)?);
            ndjson.push('\n');
        }
        report::write_atomic(path, &ndjson)?;
    }
    if let Some(path) = &args.summary {
        report::write_atomic(path, &summary_md()?)?;
    }
    let rendered = match args.format {
        Format::Text => replay::text(&report),
        Format::Json => to_json(&report, true)? + "\n",
        Format::Markdown => summary_md()?,
    };
    super::emit(&rendered)?;
    Ok(crate::exit::OK)
}
