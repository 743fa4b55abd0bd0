//! `recovery-agent run --repo OWNER/REPO --run-id ID`: fetch a run's failed jobs from GitHub,
//! diagnose, plan, act, and report, degrading to what can still be done when GitHub fails.

use std::path::PathBuf;

use crate::act::{self, Actor, Escalation, FailedJob, Target, body, journal::Journal};
use crate::diagnose::{Diagnosis, Engine};
use crate::error::Error;
use crate::exit;
use crate::github::{Client, GithubError, Repo, models::Run};
use crate::ingest::{self, JobLog, LogInput};
use crate::plan::Context;
use crate::report::{self, Format, Report, Style};

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The repository.
    #[arg(long, value_name = "OWNER/REPO", env = "GITHUB_REPOSITORY")]
    repo: Repo,
    /// The workflow run to recover.
    #[arg(long, value_name = "ID")]
    run_id: u64,
    /// The attempt of the run to diagnose [default: the run's latest].
    #[arg(long, value_name = "N")]
    run_attempt: Option<u32>,
    /// The pull request to comment on [default: the run's, or the open PR whose head is the run's commit].
    #[arg(long, value_name = "N")]
    pr: Option<u64>,
    /// Read from GitHub, but make no write: print every write it would make.
    #[arg(long)]
    dry_run: bool,
    /// Token for the API (needs `actions: write`, `issues: write`, `pull-requests: write` to act).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GITHUB_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// The REST API's base URL (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(
        long,
        value_name = "URL",
        env = "GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    api_url: String,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write the JSON report to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Record completed writes in FILE, so that a resumed invocation skips them.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// A directory of templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Exit 0 whenever a report was produced, instead of an exit code that encodes the verdict.
    #[arg(long)]
    exit_zero: bool,
    #[command(flatten)]
    rules: super::RuleArgs,
}

/// The failed jobs' logs, by the per-job endpoint, falling back to the attempt's logs zip.
fn fetch_logs(
    client: &mut Client,
    run_id: u64,
    (attempt, latest): (u32, bool),
    degraded: &mut Vec<String>,
) -> Result<Vec<LogInput>, GithubError> {
    let jobs = match client.jobs(run_id, attempt) {
        // A server without the per-attempt listing: the latest attempt's jobs are the same list.
        Err(e) if e.is_not_found() && latest => client.latest_jobs(run_id)?,
        other => other?,
    };
    let failed: Vec<_> = jobs.into_iter().filter(|j| j.failed()).collect();
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for job in &failed {
        match client.job_log(job.id) {
            Ok(bytes) => inputs.push(LogInput::from_bytes(
                &job.name,
                &format!("job {} ({})", job.id, job.name),
                bytes,
            )),
            Err(e) => missing.push((job.name.clone(), e)),
        }
    }
    if missing.is_empty() {
        return Ok(inputs);
    }
    // The run's zip has every job's log once the run completed.
    let (mut zipped, zip_problem) = match client.attempt_logs(run_id, attempt) {
        Ok(bytes) => {
            match ingest::zip_from_bytes(bytes, &format!("run {run_id} attempt {attempt} logs")) {
                Ok(inputs) => (inputs, "no such job".to_owned()),
                Err(e) => (Vec::new(), crate::error_chain(&e)),
            }
        }
        Err(e) => (Vec::new(), e.to_string()),
    };
    for (name, e) in missing {
        match zipped.iter().position(|i| i.name == name) {
            Some(at) => inputs.push(zipped.swap_remove(at)),
            None => degraded.push(format!(
                "job `{name}`: log unavailable ({e}; logs zip: {zip_problem})"
            )),
        }
    }
    Ok(inputs)
}

/// Re-runs already spent on the commit (every run's attempts after its first). When GitHub cannot
/// say, the budget counts as spent: not knowing must not allow a re-run. A server without the runs
/// listing (404) still shows this run's own re-runs.
fn reruns_for_commit(client: &mut Client, run: &Run, degraded: &mut Vec<String>) -> u32 {
    match client.runs_for_commit(&run.head_sha) {
        Ok(runs) => runs
            .iter()
            .map(|r| r.run_attempt.saturating_sub(1))
            .sum::<u32>()
            .max(run.run_attempt.saturating_sub(1)),
        Err(e) if e.is_not_found() => {
            degraded.push(format!(
                "the runs of commit {} could not be listed ({e}): counted this run's re-runs only",
                run.head_sha
            ));
            run.run_attempt.saturating_sub(1)
        }
        Err(e) => {
            degraded.push(format!(
                "re-runs of commit {} unknown ({e}): no automatic re-run",
                run.head_sha
            ));
            u32::MAX
        }
    }
}

/// The PR to comment on: given, the run's own, or the open PR whose head is the run's commit (a
/// fork's run lists none).
fn find_pr(client: &mut Client, run: &Run, degraded: &mut Vec<String>) -> Option<u64> {
    if let Some(pr) = run.pull_requests.first() {
        return Some(pr.number);
    }
    if run.head_sha.is_empty() {
        return None;
    }
    let found = client
        .pulls_for_commit(&run.head_sha)
        .map(|pulls| {
            pulls
                .into_iter()
                .filter(|p| p.state == "open")
                .collect::<Vec<_>>()
        })
        .or_else(|_| client.open_pulls_with_head(&run.head_sha));
    match found {
        Ok(pulls) => pulls.first().map(|p| p.number),
        Err(e) => {
            degraded.push(format!("the run's pull request could not be found: {e}"));
            None
        }
    }
}

fn diagnose_all(
    engine: &Engine<'_>,
    inputs: Vec<LogInput>,
    degraded: &mut Vec<String>,
) -> Vec<(JobLog, Diagnosis)> {
    let mut out = Vec::new();
    for input in inputs {
        let origin = input.origin.clone();
        match engine.diagnose(input) {
            // GitHub says these jobs failed; the log's own signs (which may look complete) do not
            // overrule it.
            Ok((mut job, diagnosis)) => {
                job.outcome = ingest::Outcome::Failed;
                out.push((job, diagnosis));
            }
            Err(e) => degraded.push(format!("{origin}: {}", crate::error_chain(&e))),
        }
    }
    out
}

pub(crate) fn run(args: &RunArgs, style: Style) -> Result<u8, Error> {
    crate::diagnose::warm_up();
    let (config, library) = super::diagnose::load(&args.rules)?;
    // Logs are diagnosed one after another: each one's reading and matching share the cores.
    let engine = Engine::new(&library)?.pipelined(crate::batch::default_threads() > 1);
    let templates = args.templates.as_deref().or(config.templates.as_deref());
    let token = args.token.as_deref().filter(|t| !t.is_empty());
    let mut client = Client::new(
        &args.api_url,
        token,
        args.repo.clone(),
        config.github.clone(),
        args.run_id,
    )
    .map_err(Error::Github)?;
    let mut degraded = Vec::new();
    let read_only = token
        .is_none()
        .then(|| "no token (GITHUB_TOKEN or --token): read-only".to_owned());
    if let Some(why) = &read_only {
        degraded.push(format!("{why}; nothing was written to GitHub"));
    }

    let run = match client.run(args.run_id) {
        Ok(run) => Some(run),
        Err(e) => {
            degraded.push(format!("run {} could not be read: {e}", args.run_id));
            None
        }
    };
    let attempt = args
        .run_attempt
        .or(run.as_ref().map(|r| r.run_attempt))
        .unwrap_or(1)
        .max(1);
    let inputs = match &run {
        Some(r) => fetch_logs(
            &mut client,
            args.run_id,
            (attempt, attempt == r.run_attempt),
            &mut degraded,
        )
        .unwrap_or_else(|e| {
            degraded.push(format!("the run's jobs could not be listed: {e}"));
            Vec::new()
        }),
        None => Vec::new(),
    };
    let diagnosed = diagnose_all(&engine, inputs, &mut degraded);
    let reruns = run.as_ref().map_or(u32::MAX, |r| {
        reruns_for_commit(&mut client, r, &mut degraded)
    });
    let base = Context {
        attempt,
        run_id: Some(args.run_id),
        reruns_for_commit: reruns,
        ..Context::default()
    };
    let today = body::utc_date(crate::clock::now_unix());
    // The tool's issues (escalations and the re-run ledger), listed once for this invocation.
    let issues = run.as_ref().map(|_| client.issues(body::LABEL));
    let mut ledger = match &issues {
        Some(Ok(listed)) => act::read_ledger(&mut client, listed, args.run_id, attempt),
        // No issues here at all: nothing was spent that the ledger could record.
        Some(Err(e)) if e.is_not_found() => {
            degraded.push(format!(
                "the re-run ledger could not be listed ({e}): counted as empty"
            ));
            act::LedgerState {
                known: true,
                ..act::LedgerState::default()
            }
        }
        Some(Err(e)) => {
            degraded.push(format!(
                "the re-run ledger could not be read ({e}): no automatic re-run"
            ));
            act::LedgerState::default()
        }
        None => act::LedgerState::default(),
    };
    let budget = |d: &Diagnosis| {
        if ledger.known {
            ledger.ledger.budget(&d.fingerprint, &today)
        } else {
            (u32::MAX, u32::MAX)
        }
    };
    let mut results = super::diagnose::plan_jobs(diagnosed, &config, base, &budget, &mut degraded);

    let pr = args.pr.or_else(|| {
        run.as_ref()
            .and_then(|r| find_pr(&mut client, r, &mut degraded))
    });
    let target = Target {
        run_id: args.run_id,
        attempt,
        pr,
        cache_ref: pr.map(|n| format!("refs/pull/{n}/merge")).or_else(|| {
            run.as_ref()
                .and_then(|r| r.head_branch.as_ref())
                .map(|b| format!("refs/heads/{b}"))
        }),
        run_url: run.as_ref().map(|r| r.html_url.clone()).unwrap_or_default(),
    };

    // Escalation issues open with the job's part of the report, rendered from the issue template.
    let draft = report::report(&results, &library, &config.digest(), Vec::new());
    let failed: Vec<FailedJob<'_>> = results
        .iter()
        .enumerate()
        .map(|(index, r)| FailedJob {
            index,
            outcome: r.job.outcome,
            plan: &r.plan,
            fingerprint: &r.diagnosis.fingerprint,
            cache_keys: &r.diagnosis.cache_keys,
        })
        .collect();
    let writes = act::writes(&failed);
    drop(failed);
    let mut planned_notes = Vec::new();
    let mut actor = Actor::new(
        &mut client,
        target.clone(),
        args.dry_run,
        read_only,
        Journal::open(args.journal.as_deref()),
        issues.and_then(Result::ok),
    );
    for write in &writes {
        let job_index = match write {
            act::Write::ResetCaches { job, .. } | act::Write::Escalate { job, .. } => Some(*job),
            act::Write::Rerun { .. } => None,
        };
        let escalation = match (write, job_index.and_then(|i| draft.jobs.get(i))) {
            (act::Write::Escalate { .. }, Some(job)) => Some(Escalation {
                title: body::title(
                    job.diagnosis.category.as_str(),
                    job.diagnosis
                        .title
                        .as_deref()
                        .unwrap_or("a failure no rule explains"),
                ),
                head: report::render_template(
                    &serde_json::json!({ "job": job, "run_url": target.run_url, "repo": args.repo.to_string() }),
                    "issue.md.j2",
                    templates,
                )
                .map_err(report::ReportError::Template)?,
                hit: body::Hit {
                    run_id: args.run_id,
                    attempt,
                    job: job.name.clone(),
                    date: today.clone(),
                    run_url: target.run_url.clone(),
                },
            }),
            _ => None,
        };
        let records = actor.apply(write, escalation.as_ref());
        if matches!(write, act::Write::Rerun { .. }) && records.iter().any(|r| r.status == "done") {
            for r in results
                .iter()
                .filter(|r| r.job.outcome != ingest::Outcome::Passed)
            {
                ledger.changed |= ledger.ledger.count_rerun(
                    &r.diagnosis.fingerprint,
                    args.run_id,
                    attempt,
                    &today,
                );
            }
        }
        // A run-level write (the re-run) is recorded on every failed job it covers.
        let jobs: Vec<usize> = match job_index {
            Some(i) => vec![i],
            None => (0..results.len())
                .filter(|i| {
                    results
                        .get(*i)
                        .is_some_and(|r| r.job.outcome != ingest::Outcome::Passed)
                })
                .collect(),
        };
        for i in jobs {
            if let Some(r) = results.get_mut(i) {
                r.actions.extend(records.iter().cloned());
            }
        }
    }
    if ledger.changed
        && ledger.known
        && let Some(note) = actor.save_ledger(&ledger, &today)
        && note.starts_with("dry run")
    {
        planned_notes.push(note);
    }
    let report_now = |degraded: Vec<String>| -> Report {
        report::report(&results, &library, &config.digest(), degraded)
    };
    let preview = report_now(Vec::new());
    let markdown = report::render(&preview, Format::Markdown, style, templates, exit::OK)?;
    let comment = if preview.summary.failed + preview.summary.unknown > 0 {
        actor.upsert_comment(&markdown)
    } else {
        None
    };
    degraded.append(&mut actor.degraded);
    if args.dry_run {
        let mut planned: Vec<String> = results
            .iter()
            .flat_map(|r| r.actions.iter())
            .filter(|a| a.status == "planned")
            .map(|a| a.detail.clone())
            .collect();
        planned.dedup();
        planned.extend(comment.filter(|c| c.starts_with("dry run")));
        planned.append(&mut planned_notes);
        let mut text = String::new();
        for line in &planned {
            text.push_str(line);
            text.push('\n');
        }
        if planned.is_empty() {
            text.push_str("dry run: no write to make\n");
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    }
    let final_report = report_now(degraded);
    let code = if args.exit_zero {
        exit::OK
    } else if run.is_none() {
        exit::GITHUB_UNAVAILABLE
    } else {
        exit::for_verdict(final_report.verdict)
    };
    super::deliver(
        final_report,
        args.format,
        style,
        templates,
        code,
        args.report.as_deref(),
    )?;
    Ok(code)
}
