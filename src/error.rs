//! The top-level error: every module's error, the exit code it maps to, and a hint for the user.

use crate::config::ConfigError;
use crate::diagnose::DiagnoseError;
use crate::eval::CorpusError;
use crate::exit;
use crate::ingest::IngestError;
use crate::replay::ScenarioError;
use crate::report::{ReportError, TemplateError};
use crate::rules::RulesError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Diagnose(#[from] DiagnoseError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{}: {message}", path.display())]
    Baseline {
        path: std::path::PathBuf,
        message: String,
    },
    #[error(transparent)]
    Github(crate::github::GithubError),
    #[error("couldn't write to standard output")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_)
            | Self::Rules(_)
            | Self::Diagnose(_)
            | Self::Report(ReportError::Template(_)) => exit::CONFIG,
            Self::Ingest(_) | Self::Corpus(_) | Self::Scenario(_) | Self::Baseline { .. } => {
                exit::INPUT
            }
            Self::Github(_) => exit::GITHUB_UNAVAILABLE,
            Self::Report(_) | Self::Stdout(_) => exit::ERROR,
        }
    }

    /// What the user can do about it.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Rules(RulesError::Rule { .. }) => Some(
                "see rules/SCHEMA.md for the rule format; `recovery-agent rules test --rules FILE` checks a pack",
            ),
            Self::Rules(_) => Some(
                "a rule pack is a TOML file with a [pack] table and [[rules]] entries (rules/SCHEMA.md)",
            ),
            Self::Config(_) => {
                Some("the configuration format is described in the README, section Configuration")
            }
            Self::Ingest(IngestError::NoInput | IngestError::NotFound(_)) => {
                Some("pass log files, directories, GitHub logs zips, or `-` for standard input")
            }
            Self::Report(ReportError::Template(TemplateError::Render { .. })) => Some(
                "templates see the JSON report as their context: `recovery-agent schema` lists its fields",
            ),
            Self::Corpus(_) => {
                Some("a corpus is a directory with cases.jsonl; the README describes the format")
            }
            Self::Scenario(_) => {
                Some("a scenario is NDJSON, one job per line; the README describes the format")
            }
            Self::Baseline { .. } => Some(
                "a baseline is the JSON written by an earlier `eval --report FILE` (or `--format json`)",
            ),
            _ => None,
        }
    }
}
