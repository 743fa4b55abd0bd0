//! The command line: argument definitions and dispatch to the pipeline's commands.

mod diagnose;
mod eval;
mod replay;
mod rules;
mod run;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::report::Style;

/// Diagnose failed CI jobs from their logs and plan their recovery under a versioned policy.
#[derive(Debug, Parser)]
#[command(
    name = "recovery-agent",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// When to colour text output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Options that choose the configuration and the rule packs.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RuleArgs {
    /// Config file [default: .github/recovery-agent.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// An extra rule pack (repeatable), loaded after the built-in packs and the config's.
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    /// Do not load the built-in rule packs.
    #[arg(long)]
    pub(crate) no_builtin_rules: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Diagnose local logs and print the cause and a ranked recovery plan for each job.
    Diagnose(diagnose::DiagnoseArgs),
    /// Score diagnoses against a labelled corpus, and gate a change on a baseline.
    Eval(eval::EvalArgs),
    /// Fetch a run's failed jobs from GitHub, diagnose, plan, and act (re-run, reset caches,
    /// comment, escalate) within the policy.
    Run(Box<run::RunArgs>),
    /// Replay recorded jobs through diagnosis, policy and budgets, deterministically.
    Replay(replay::ReplayArgs),
    /// Inspect and check rule packs.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Print the JSON Schema of the report.
    Schema,
}

impl Cli {
    fn style(&self) -> Style {
        let color = match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Style { color }
    }

    /// Runs the command and returns its exit code.
    pub(crate) fn run(self) -> Result<u8, Error> {
        let style = self.style();
        match self.command {
            Command::Diagnose(args) => diagnose::run(&args, style),
            Command::Eval(args) => eval::run(&args),
            Command::Replay(args) => replay::run(&args),
            Command::Run(args) => run::run(&args, style),
            Command::Rules { command } => rules::run(command),
            Command::Schema => {
                let mut text = serde_json::to_string_pretty(&crate::report::schema())
                    .map_err(crate::report::ReportError::Json)?;
                text.push('\n');
                emit(&text)?;
                Ok(crate::exit::OK)
            }
        }
    }
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Inside GitHub Actions: appends the job summary and the step outputs, and returns the
/// annotations to print. What cannot be written is added to the report's `degraded`. The summary
/// is rendered only when there is a summary file to take it, so a local run pays nothing.
pub(crate) fn publish_in_actions(
    report: &mut crate::report::Report,
    render_markdown: &dyn Fn(&crate::report::Report) -> Result<String, Error>,
    report_path: Option<&std::path::Path>,
) -> Result<String, Error> {
    use crate::report::workflow;
    let mut notes = Vec::new();
    if std::env::var_os("GITHUB_STEP_SUMMARY").is_some_and(|v| !v.is_empty()) {
        let markdown = render_markdown(report)?;
        notes.extend(workflow::append_to_env_file(
            "GITHUB_STEP_SUMMARY",
            &workflow::summary(&markdown),
        ));
    }
    notes.extend(workflow::append_to_env_file(
        "GITHUB_OUTPUT",
        &workflow::outputs(report, report_path),
    ));
    report.degraded.extend(notes);
    Ok(
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            workflow::annotations(report)
        } else {
            String::new()
        },
    )
}

/// The end of `diagnose` and `run`: inside Actions, the job summary, outputs and annotations; then
/// the report file (atomically) and the output in `format`.
pub(crate) fn deliver(
    mut report: crate::report::Report,
    format: crate::report::Format,
    style: Style,
    templates: Option<&std::path::Path>,
    code: u8,
    report_path: Option<&std::path::Path>,
) -> Result<(), Error> {
    use crate::report::{self, Format};
    let markdown = |r: &report::Report| -> Result<String, Error> {
        Ok(report::render(
            r,
            Format::Markdown,
            style,
            templates,
            crate::exit::OK,
        )?)
    };
    let annotations = publish_in_actions(&mut report, &markdown, report_path)?;
    let rendered = report::render(&report, format, style, templates, code)?;
    if let Some(path) = report_path {
        report::write_atomic(path, &report::to_json(&report)?)?;
    }
    emit(&format!("{annotations}{rendered}"))
}
