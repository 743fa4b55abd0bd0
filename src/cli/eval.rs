//! `recovery-agent eval CORPUS_DIR`: score diagnoses against a labelled corpus; gate on a baseline.

use std::path::PathBuf;

use crate::diagnose::Engine;
use crate::error::Error;
use crate::eval::{self, EvalReport, Tolerances};
use crate::exit;
use crate::report::summary::{self, Item};
use crate::report::{self, Format};

#[derive(Debug, clap::Args)]
pub(crate) struct EvalArgs {
    /// A corpus directory with `cases.jsonl` (format in the README).
    #[arg(value_name = "CORPUS_DIR")]
    corpus: PathBuf,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write the JSON eval report to FILE (atomically); a later run can use it as `--baseline`.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Compare with an earlier eval report and recommend promote or reject.
    #[arg(long, value_name = "PREVIOUS.json")]
    baseline: Option<PathBuf>,
    /// How many points accuracy or hit@1 may drop before the change is rejected.
    #[arg(long, value_name = "POINTS", default_value_t = 0.5)]
    tolerance: f64,
    /// How many points any one category's recall may drop before the change is rejected.
    #[arg(long, value_name = "POINTS", default_value_t = 5.0)]
    max_category_drop: f64,
    /// Threads to diagnose with [default: one per core]; the figures never depend on it.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Write the operations summary (Markdown) of the corpus's failures to FILE.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// A directory of templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    rules: super::RuleArgs,
}

fn read_baseline(path: &PathBuf) -> Result<EvalReport, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Baseline {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let report: EvalReport = serde_json::from_str(&text).map_err(|e| Error::Baseline {
        path: path.clone(),
        message: format!("not an eval report: {e}"),
    })?;
    if report.format != eval::EVAL_FORMAT {
        return Err(Error::Baseline {
            path: path.clone(),
            message: format!("format `{}` is not `{}`", report.format, eval::EVAL_FORMAT),
        });
    }
    Ok(report)
}

/// The corpus's diagnosed failures, for the operations summary.
fn summary_items(report: &EvalReport) -> Vec<Item> {
    report
        .cases
        .iter()
        .filter(|c| c.is_failed())
        .map(|c| Item {
            id: c.id.clone(),
            category: c.category,
            rule_id: c.rule_id.clone(),
            title: c.title.clone(),
            fingerprint: c.fingerprint.clone(),
            action: c.recommended,
            outcome: if c.correct() {
                "diagnosed as labelled"
            } else {
                "diagnosed otherwise"
            }
            .to_owned(),
            remediation: c.remediation.clone(),
        })
        .collect()
}

pub(crate) fn run(args: &EvalArgs) -> Result<u8, Error> {
    let (config, library) = super::diagnose::load(&args.rules)?;
    let engine = Engine::new(&library)?;
    let cases = eval::load(&args.corpus)?;
    let baseline = args.baseline.as_ref().map(read_baseline).transpose()?;
    let threads = args
        .jobs
        .unwrap_or_else(crate::batch::default_threads)
        .max(1);
    let report = eval::evaluate(
        &engine,
        &config,
        &library.digest(),
        &args.corpus,
        cases,
        threads,
    );
    let tolerances = Tolerances {
        overall: args.tolerance,
        category: args.max_category_drop,
    };
    let gate = baseline
        .as_ref()
        .map(|b| eval::compare(b, &report, tolerances));
    let templates = args.templates.as_deref().or(config.templates.as_deref());
    let json = || -> Result<String, Error> {
        let mut text = serde_json::to_string_pretty(&report).map_err(report::ReportError::Json)?;
        text.push('\n');
        Ok(text)
    };
    if let Some(path) = &args.report {
        report::write_atomic(path, &json()?)?;
    }
    if let Some(path) = &args.summary {
        let source = format!("eval of {}", args.corpus.display());
        let mut page = summary::summarize(&source, &summary_items(&report));
        page.provenance = vec![
            format!("config {}", report.config_digest),
            format!("rules {}", report.rules_digest),
        ];
        let md = report::render_template(&page, "summary.md.j2", templates)
            .map_err(report::ReportError::Template)?;
        report::write_atomic(path, &md)?;
    }
    let rendered = match args.format {
        Format::Json => match &gate {
            Some(gate) => {
                let mut text = serde_json::to_string_pretty(
                    &serde_json::json!({ "eval": &report, "gate": gate }),
                )
                .map_err(report::ReportError::Json)?;
                text.push('\n');
                text
            }
            None => json()?,
        },
        Format::Markdown => report::render_template(
            &eval::markdown_context(&report, gate.as_ref()),
            "eval.md.j2",
            templates,
        )
        .map_err(report::ReportError::Template)?,
        Format::Text => eval::text(&report, gate.as_ref()),
    };
    super::emit(&rendered)?;
    Ok(if gate.as_ref().is_some_and(eval::Gate::rejected) {
        exit::GATE_REJECTED
    } else {
        exit::OK
    })
}
