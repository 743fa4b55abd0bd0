//! The TOML shape of a rule pack, exactly as users write it (see `rules/SCHEMA.md`).

use serde::Deserialize;

use crate::taxonomy::{Action, Category};

/// `[pack]`: who the rules belong to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackSpec {
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) description: String,
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub(crate) id: String,
    pub(crate) category: Category,
    pub(crate) title: String,
    pub(crate) pattern: String,
    #[serde(default)]
    pub(crate) scope: Scope,
    #[serde(default)]
    pub(crate) exclude: Option<String>,
    #[serde(default)]
    pub(crate) then: Option<WindowSpec>,
    #[serde(default)]
    pub(crate) after: Option<WindowSpec>,
    pub(crate) confidence: f64,
    #[serde(default)]
    pub(crate) remediation: Vec<String>,
    #[serde(default)]
    pub(crate) actions: Option<Vec<Action>>,
    #[serde(default)]
    pub(crate) fingerprint: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    #[serde(default)]
    pub(crate) examples: Vec<String>,
    #[serde(default)]
    pub(crate) counterexamples: Vec<String>,
}

/// What a rule's `pattern` is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scope {
    /// Each normalised log line (the default).
    #[default]
    Line,
    /// The name of the job's first failed step (`Run npm run lint`, `$ bundle exec rake`) and the
    /// command its failure marker names. A weak, last-resort signal: which check failed, not why.
    FailedStep,
}

/// A bounded multi-line condition: `then` (a later line within `within` lines must match too) or
/// `after` (the matched line must come within `within` lines after a line that matches).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowSpec {
    pub(crate) pattern: String,
    pub(crate) within: u32,
}
