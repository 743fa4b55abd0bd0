//! Configuration: `.github/recovery-agent.toml` (or `--config`), with paths resolved against the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::github::Settings as GithubSettings;
use crate::plan::{Budgets, Policy};

/// The config file looked for in the working directory when `--config` is not given.
pub(crate) const DEFAULT_PATH: &str = ".github/recovery-agent.toml";
/// The config format this build reads.
pub(crate) const CONFIG_VERSION: u32 = 1;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("{}: couldn't read the config file", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    version: u32,
    /// Extra rule packs, relative to the config file.
    rules: Vec<PathBuf>,
    /// Whether the built-in rule packs are loaded.
    builtin_rules: bool,
    /// A directory whose templates override the built-in ones, relative to the config file.
    templates: Option<PathBuf>,
    policy: Policy,
    budgets: Budgets,
    github: GithubSettings,
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            rules: Vec::new(),
            builtin_rules: true,
            templates: None,
            policy: Policy::default(),
            budgets: Budgets::default(),
            github: GithubSettings::default(),
        }
    }
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Config {
    /// The file it came from, if any.
    #[serde(skip)]
    pub(crate) source: Option<PathBuf>,
    pub(crate) rules: Vec<PathBuf>,
    pub(crate) builtin_rules: bool,
    pub(crate) templates: Option<PathBuf>,
    pub(crate) policy: Policy,
    pub(crate) budgets: Budgets,
    /// How the GitHub client paces and retries (not part of the decision: outside the digest).
    #[serde(skip)]
    pub(crate) github: GithubSettings,
}

impl Config {
    /// Loads `explicit`, or `.github/recovery-agent.toml` when it exists, or the defaults.
    pub(crate) fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_PATH)).filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok(Self::from_file(ConfigFile::default(), None));
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.clone(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        if file.version != CONFIG_VERSION {
            return Err(ConfigError::Invalid {
                path,
                reason: format!(
                    "config version {} is not supported (this build reads version {CONFIG_VERSION})",
                    file.version
                ),
            });
        }
        file.policy
            .validate()
            .map_err(|reason| ConfigError::Invalid {
                path: path.clone(),
                reason,
            })?;
        Ok(Self::from_file(file, Some(path)))
    }

    fn from_file(file: ConfigFile, source: Option<PathBuf>) -> Self {
        let base = source
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self {
            rules: file.rules.iter().map(|p| base.join(p)).collect(),
            builtin_rules: file.builtin_rules,
            templates: file.templates.map(|t| base.join(t)),
            policy: file.policy,
            budgets: file.budgets,
            github: file.github,
            source,
        }
    }

    /// SHA-256 of the effective configuration, so a report says exactly which policy decided it.
    pub(crate) fn digest(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        crate::digest::sha256_hex(canonical.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recovery-agent.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn defaults_apply_without_a_file() {
        let c = load_text("").unwrap();
        assert_eq!(c.policy, Policy::default());
        assert!(c.builtin_rules);
    }

    #[test]
    fn paths_resolve_against_the_config_file() {
        let c = load_text("rules = ['packs/ours.toml']\ntemplates = 'tpl'\n").unwrap();
        let base = c.source.as_deref().unwrap().parent().unwrap();
        assert_eq!(c.rules, [base.join("packs/ours.toml")]);
        assert_eq!(c.templates, Some(base.join("tpl")));
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let err = load_text("[policy]\nretryable = ['auth']\n")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("policy.retryable lists `auth`: authentication failures are never re-run automatically"), "{err}");
        let err = load_text("[policy]\nmin_confidance = 0.3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `min_confidance`"), "{err}");
        let err = load_text("version = 2\n").unwrap_err().to_string();
        assert!(
            err.ends_with("config version 2 is not supported (this build reads version 1)"),
            "{err}"
        );
    }

    #[test]
    fn digest_changes_with_the_policy() {
        let a = load_text("").unwrap().digest();
        let b = load_text("[policy]\nmin_confidence = 0.7\n")
            .unwrap()
            .digest();
        assert_ne!(a, b);
    }
}
