//! Report: the versioned JSON gating report, Markdown from templates, and text for people.

mod build;
pub(crate) mod escape;
mod markdown;
pub(crate) mod model;
#[cfg(test)]
mod props;
pub(crate) mod summary;
mod text;
pub(crate) mod workflow;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub(crate) use build::{JobResult, job_verdict, report};
pub(crate) use markdown::{TemplateError, render as render_template};
pub(crate) use model::{Report, Verdict, schema};
pub(crate) use text::Style;

/// Why a report could not be produced or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("couldn't serialise the report")]
    Json(#[from] serde_json::Error),
    #[error("couldn't write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An output format for people or programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Markdown,
}

/// The JSON report, pretty-printed. `##[` is written as `\u0023#[` so a report printed in a GitHub
/// Actions log cannot smuggle a workflow command (JSON lines never start with `::`).
pub(crate) fn to_json(report: &Report) -> Result<String, ReportError> {
    let mut json = serde_json::to_string_pretty(report)?;
    if json.contains("##[") {
        json = json.replace("##[", "\\u0023#[");
    }
    json.push('\n');
    Ok(json)
}

/// Renders `report` in `format`.
pub(crate) fn render(
    report: &Report,
    format: Format,
    style: Style,
    templates: Option<&Path>,
    exit_code: u8,
) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => to_json(report)?,
        Format::Markdown => markdown::render(report, "report.md.j2", templates)?,
        Format::Text => text::render(report, style, exit_code),
    })
}

/// Writes `contents` to `path` atomically: a temporary file beside it, then a rename. Readers see the
/// old file or the new one, never a partial write.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(contents.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
