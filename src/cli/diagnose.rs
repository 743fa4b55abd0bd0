//! `recovery-agent diagnose`: ingest local logs, diagnose, plan, report. Never touches the network.

use std::path::PathBuf;

use crate::config::Config;
use crate::diagnose::{Diagnosis, Engine};
use crate::error::Error;
use crate::exit;
use crate::ingest::{self, JobLog, Outcome};
use crate::plan::{self, Context, Plan};
use crate::report::{self, Format, JobResult, Style};
use crate::rules::Library;

#[derive(Debug, clap::Args)]
pub(crate) struct DiagnoseArgs {
    /// Log files, directories, GitHub Actions logs zips, or `-` for standard input (plain or gzip).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write the JSON report to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// A directory of templates overriding the built-in ones (for `--format markdown`).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// The run attempt the logs come from (1 for the first); budgets depend on it.
    #[arg(
        long,
        value_name = "N",
        env = "GITHUB_RUN_ATTEMPT",
        default_value_t = 1
    )]
    run_attempt: u32,
    /// The workflow run the logs come from, used in the plan's commands.
    #[arg(long, value_name = "ID", env = "GITHUB_RUN_ID")]
    run_id: Option<u64>,
    /// Exit 0 whenever a report was produced, instead of an exit code that encodes the verdict.
    #[arg(long)]
    exit_zero: bool,
    #[command(flatten)]
    rules: super::RuleArgs,
}

/// Loads the configuration and the rule library the command-line options ask for.
pub(crate) fn load(args: &super::RuleArgs) -> Result<(Config, Library), Error> {
    let config = Config::load(args.config.as_deref())?;
    let mut packs = config.rules.clone();
    packs.extend(args.rules.iter().cloned());
    let library = Library::load(&packs, config.builtin_rules && !args.no_builtin_rules)?;
    Ok((config, library))
}

/// Plans every diagnosed job against `base` (its failed-job count filled in), noting what the
/// reading of each log could not do fully.
pub(crate) fn plan_jobs(
    diagnosed: Vec<(JobLog, Diagnosis)>,
    config: &Config,
    base: Context,
    budget: &dyn Fn(&Diagnosis) -> (u32, u32),
    degraded: &mut Vec<String>,
) -> Vec<JobResult> {
    let failed_jobs = diagnosed
        .iter()
        .filter(|(job, _)| job.outcome != Outcome::Passed)
        .count();
    diagnosed
        .into_iter()
        .map(|(job, diagnosis)| {
            if job.lines == 0 && job.incomplete.is_none() {
                degraded.push(format!(
                    "{}: the log is empty; there is nothing to diagnose",
                    job.origin
                ));
            }
            if job.cut_lines > 0 {
                degraded.push(format!(
                    "{}: {} line(s) longer than 64 KiB were examined only in part",
                    job.origin, job.cut_lines
                ));
            }
            if let Some(why) = &job.incomplete {
                degraded.push(format!(
                    "{}: the log ends early ({why}); diagnosed what was read",
                    job.origin
                ));
            }
            let plan = if job.outcome == Outcome::Passed {
                Plan::default()
            } else {
                let (today, in_a_row) = budget(&diagnosis);
                let ctx = Context {
                    failed_jobs: u32::try_from(failed_jobs).unwrap_or(u32::MAX),
                    reruns_for_fingerprint_today: today,
                    failed_reruns_for_fingerprint: in_a_row,
                    ..base
                };
                plan::plan(&diagnosis, &config.policy, &config.budgets, &ctx)
            };
            JobResult {
                job,
                diagnosis,
                plan,
                actions: Vec::new(),
            }
        })
        .collect()
}

pub(crate) fn run(args: &DiagnoseArgs, style: Style) -> Result<u8, Error> {
    crate::diagnose::warm_up();
    let (config, library) = load(&args.rules)?;
    // Logs are diagnosed one after another: each one's reading and matching share the cores.
    let engine = Engine::new(&library)?.pipelined(crate::batch::default_threads() > 1);
    let inputs = ingest::discover(&args.paths)?;
    let mut degraded = Vec::new();
    let mut diagnosed = Vec::new();
    for input in inputs {
        let origin = input.origin.clone();
        match engine.diagnose(input) {
            Ok(pair) => diagnosed.push(pair),
            // One unreadable log must not cost the others their report; the report says what was lost.
            Err(e) => degraded.push(format!("{origin}: {}", crate::error_chain(&e))),
        }
    }
    if diagnosed.is_empty() {
        return Err(Error::Ingest(ingest::IngestError::NoInput));
    }
    let base = Context {
        attempt: args.run_attempt.max(1),
        run_id: args.run_id,
        ..Context::default()
    };
    // Offline, nothing is known of other runs' re-runs: the attempt budget alone applies.
    let results = plan_jobs(diagnosed, &config, base, &|_| (0, 0), &mut degraded);
    let report = report::report(&results, &library, &config.digest(), degraded);
    let code = if args.exit_zero {
        exit::OK
    } else {
        exit::for_verdict(report.verdict)
    };
    let templates = args.templates.as_deref().or(config.templates.as_deref());
    super::deliver(
        report,
        args.format,
        style,
        templates,
        code,
        args.report.as_deref(),
    )?;
    // The process ends here: freeing the compiled library piece by piece would only delay the exit.
    std::mem::forget(engine);
    std::mem::forget(library);
    Ok(code)
}
