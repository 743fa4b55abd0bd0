//! Rules: the versioned library of failure patterns (TOML packs), loaded, validated and described.

mod builtin;
pub(crate) mod literals;
mod load;
mod pattern;
mod precompiled;
mod spec;
mod split;
mod syntax;

use std::fmt;
use std::path::PathBuf;

pub(crate) use load::placeholders;
use pattern::Budget;
pub(crate) use pattern::Compile;
pub(crate) use pattern::{Found, Pattern};
pub(crate) use precompiled::{INDEX as BUILTIN_INDEX, Indexed};
pub(crate) use spec::Scope;
pub(crate) use split::SplitRegex;

use crate::taxonomy::{Action, Category};

/// Why a rule pack could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RulesError {
    #[error("{file}: couldn't read rule pack")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: invalid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: {reason}")]
    Pack { file: String, reason: String },
    #[error("{file}: rule '{rule}': {reason}")]
    Rule {
        file: String,
        rule: String,
        reason: String,
    },
}

/// Where a pack came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PackOrigin {
    /// Embedded in the binary from `rules/<file>`.
    Builtin(&'static str),
    /// A user's pack file (`--rules`, or the config file's `rules`).
    File(PathBuf),
}

impl fmt::Display for PackOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(file) => write!(f, "rules/{file} (built in)"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A loaded pack's header.
#[derive(Debug, Clone)]
pub(crate) struct Pack {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) description: String,
    pub(crate) origin: PackOrigin,
    pub(crate) rules: usize,
    /// SHA-256 of the pack's text, so a report says exactly which rules decided it.
    pub(crate) digest: String,
}

/// Which side of the matched line a multi-line rule's partner line is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `then`: a later line completes the match; the first line is the evidence.
    Then,
    /// `after`: an earlier line (a header) must precede the match; the matched line is the evidence.
    After,
}

/// The partner condition of a multi-line rule.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub(crate) direction: Direction,
    pub(crate) pattern: Pattern,
    pub(crate) within: u32,
}

/// A compiled, validated rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) pack: String,
    pub(crate) category: Category,
    pub(crate) title: String,
    pub(crate) pattern: Pattern,
    pub(crate) scope: Scope,
    pub(crate) exclude: Option<Pattern>,
    pub(crate) window: Option<Window>,
    pub(crate) confidence: f64,
    pub(crate) remediation: Vec<String>,
    pub(crate) actions: Vec<Action>,
    /// Capture names whose (masked) values identify the failure.
    pub(crate) fingerprint: Vec<String>,
    pub(crate) sources: Vec<String>,
    pub(crate) examples: Vec<String>,
    pub(crate) counterexamples: Vec<String>,
}

impl Rule {
    /// Matches the rule's first line: `pattern` found and `exclude` not.
    pub(crate) fn match_line<'t>(&self, line: &'t str) -> Option<Found<'t>> {
        let caps = self.pattern.captures(line)?;
        match &self.exclude {
            Some(exclude) if exclude.is_match(line) => None,
            _ => Some(caps),
        }
    }
}

/// Every rule in force, in priority order (built-in packs first, then the user's, each in file order).
#[derive(Debug, Clone)]
pub(crate) struct Library {
    pub(crate) packs: Vec<Pack>,
    pub(crate) rules: Vec<Rule>,
}

impl Library {
    /// Loads the built-in packs (unless `builtin` is false) followed by the user's pack files,
    /// failing on the first problem.
    pub(crate) fn load(extra: &[PathBuf], builtin: bool) -> Result<Self, RulesError> {
        let (library, mut problems) = Self::load_lenient(extra, builtin);
        match problems.is_empty() {
            true => Ok(library),
            false => Err(problems.remove(0)),
        }
    }

    /// Loads what it can, and returns every problem: a broken pack is left out, a duplicate id or
    /// pack name keeps its first definition. For `rules lint`, which reports them all.
    pub(crate) fn load_lenient(extra: &[PathBuf], builtin: bool) -> (Self, Vec<RulesError>) {
        // The built-in packs are independent (parsing and checking ~600 patterns is most of
        // start-up), so they load on every core; a user's packs share one budget, so in order.
        let packs = if builtin {
            builtin::PACKS.to_vec()
        } else {
            Vec::new()
        };
        let threads = crate::batch::default_threads();
        let builtins = crate::batch::map(packs, threads, |(file, text, json)| {
            load::parse_builtin(
                &format!("rules/{file}"),
                text,
                json,
                PackOrigin::Builtin(file),
            )
        });
        let budget = Budget::default();
        let users = extra.iter().map(|path| load::read_pack_file(path, &budget));
        Self::assemble(builtins.into_iter().chain(users))
    }

    fn assemble(
        parsed: impl Iterator<Item = Result<(Pack, Vec<Rule>), RulesError>>,
    ) -> (Self, Vec<RulesError>) {
        let (mut packs, mut rules, mut problems) = (Vec::new(), Vec::new(), Vec::new());
        for result in parsed {
            match result {
                Ok((pack, pack_rules)) => {
                    packs.push(pack);
                    rules.extend(pack_rules);
                }
                Err(e) => problems.push(e),
            }
        }
        problems.extend(load::dedupe(&mut rules, &mut packs));
        (Self { packs, rules }, problems)
    }

    /// Builds a library from in-memory packs (`(file name, TOML text)`, compiled as a user's), for
    /// tests and fuzzing.
    pub(crate) fn from_texts(texts: &[(&str, &str)]) -> Result<Self, RulesError> {
        let budget = Budget::default();
        let parsed = texts.iter().map(|(file, text)| {
            load::parse_pack(file, text, PackOrigin::File(PathBuf::from(file)), &budget)
        });
        let (library, mut problems) = Self::assemble(parsed);
        match problems.is_empty() {
            true => Ok(library),
            false => Err(problems.remove(0)),
        }
    }

    /// Compiles every pattern not compiled yet, and says which cannot be (for `rules lint` and the
    /// built-in library test: a built-in pattern is otherwise compiled on first use).
    pub(crate) fn compile_all(&self) -> Vec<RulesError> {
        let mut problems = Vec::new();
        for rule in &self.rules {
            let patterns = std::iter::once(("pattern", &rule.pattern))
                .chain(rule.exclude.iter().map(|p| ("exclude", p)))
                .chain(rule.window.iter().map(|w| match w.direction {
                    Direction::Then => ("then.pattern", &w.pattern),
                    Direction::After => ("after.pattern", &w.pattern),
                }));
            for (what, pattern) in patterns {
                if let Err(reason) = pattern.compile(what) {
                    problems.push(RulesError::Rule {
                        file: self
                            .origin_of(rule)
                            .map_or_else(|| rule.pack.clone(), ToString::to_string),
                        rule: rule.id.clone(),
                        reason,
                    });
                }
            }
        }
        problems
    }

    /// One digest over every pack in force, in load order.
    pub(crate) fn digest(&self) -> String {
        let joined: Vec<String> = self
            .packs
            .iter()
            .map(|p| format!("{}@{}:{}", p.name, p.version, p.digest))
            .collect();
        crate::digest::sha256_hex(joined.join("\n").as_bytes())
    }

    pub(crate) fn origin_of(&self, rule: &Rule) -> Option<&PackOrigin> {
        self.packs
            .iter()
            .find(|p| p.name == rule.pack)
            .map(|p| &p.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[pack]
name = "demo"
version = "1.0.0"

[[rules]]
id = "demo-disk"
category = "resource_exhaustion"
title = "The disk is full"
pattern = 'No space left on device'
confidence = 0.9
remediation = ["Free disk space"]
examples = ["write /tmp/x: No space left on device"]
"#;

    #[track_caller]
    fn load_err(rule_fields: &str) -> String {
        let text = format!(
            "[pack]\nname = \"demo\"\nversion = \"1\"\n\n[[rules]]\nid = \"demo-x\"\n{rule_fields}\n"
        );
        Library::from_texts(&[("demo.toml", &text)])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn loads_a_good_pack() {
        let lib = Library::from_texts(&[("demo.toml", GOOD)]).unwrap();
        assert_eq!(lib.rules.len(), 1);
        assert_eq!(
            lib.rules[0].actions,
            Category::ResourceExhaustion.default_actions()
        );
        assert_eq!(lib.packs[0].rules, 1);
    }

    #[test]
    fn malformed_rules_name_file_rule_and_reason() {
        let base = "category = \"network\"\ntitle = \"t\"\nconfidence = 0.5\n";
        #[track_caller]
        fn case(got: &str, expected: &str) {
            assert_eq!(got, expected);
        }
        case(
            &load_err(&format!("{base}pattern = '(unclosed'")),
            "demo.toml: rule 'demo-x': invalid pattern: regex parse error: (unclosed ^ error: unclosed group",
        );
        case(
            &load_err("category = \"networking\"\ntitle = \"t\"\nconfidence = 0.5\npattern = 'x'"),
            "demo.toml: rule 'demo-x': unknown variant `networking`, expected one of `network`, `rate_limit`, `auth`, `dependency_resolution`, `compilation`, `test_failure`, `lint`, `configuration`, `resource_exhaustion`, `timeout`, `infrastructure`, `cache`, `unknown`",
        );
        case(
            &load_err(&format!("{base}pattern = 'x'\npatern = 'y'")),
            "demo.toml: rule 'demo-x': unknown field `patern`, expected one of `id`, `category`, `title`, `pattern`, `scope`, `exclude`, `then`, `after`, `confidence`, `remediation`, `actions`, `fingerprint`, `sources`, `examples`, `counterexamples`",
        );
        case(
            &load_err("category = \"network\"\ntitle = \"t\"\nconfidence = 1.5\npattern = 'x'"),
            "demo.toml: rule 'demo-x': confidence 1.5 is outside (0, 1]",
        );
        case(
            &load_err(&format!(
                "{base}pattern = 'x'\nremediation = [\"bump {{pkg}}\"]"
            )),
            "demo.toml: rule 'demo-x': remediation uses `{pkg}` but the pattern has no capture named `pkg`",
        );
        case(
            &load_err(&format!(
                "{base}pattern = 'x'\nthen = {{ pattern = 'y', within = 500 }}"
            )),
            "demo.toml: rule 'demo-x': then.within is 500 (it must be between 1 and 50)",
        );
        case(
            &load_err(&format!("{base}pattern = 'a{{1000}}{{1000}}'")),
            "demo.toml: rule 'demo-x': invalid pattern: Compiled regex exceeds size limit of 1048576 bytes.",
        );
        case(
            &load_err("category = \"network\""),
            "demo.toml: rule 'demo-x': missing field `title`",
        );
    }

    #[test]
    fn duplicate_ids_across_packs_are_rejected() {
        let other = GOOD.replace("name = \"demo\"", "name = \"other\"");
        let err = Library::from_texts(&[("demo.toml", GOOD), ("other.toml", &other)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "other.toml: rule 'demo-disk': duplicate id: already defined in pack `demo`"
        );
    }

    #[test]
    fn invalid_toml_names_the_file_line_and_rule() {
        let err = Library::from_texts(&[("bad.toml", "[pack\nname=")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.toml: invalid TOML: line 1: "), "{err}");
        let text = "[pack]\nname = \"a\"\nversion = \"1\"\n\n[[rules]]\nid = \"a-quote\"\npattern = 'it''s'\n";
        let err = Library::from_texts(&[("bad.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("bad.toml: rule 'a-quote': invalid TOML at line 7: "),
            "{err}"
        );
    }

    #[test]
    fn builtin_library_loads_and_every_pattern_compiles() {
        let lib = Library::load(&[], true).unwrap();
        assert!(lib.rules.len() >= 150, "{} rules", lib.rules.len());
        let problems: Vec<String> = lib.compile_all().iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_lazy_pattern_over_the_size_limit_is_reported_by_compile_all() {
        let text = "[pack]\nname = \"demo\"\nversion = \"1\"\n\n[[rules]]\nid = \"demo-big\"\ncategory = \"network\"\ntitle = \"t\"\nconfidence = 0.5\npattern = 'a{1000}{1000}'\n";
        let (pack, rules) = load::parse_pack(
            "big.toml",
            text,
            PackOrigin::Builtin("big.toml"),
            &Budget::default(),
        )
        .unwrap();
        let lib = Library {
            packs: vec![pack],
            rules,
        };
        assert!(lib.rules[0].match_line(&"a".repeat(10)).is_none());
        let problems: Vec<String> = lib.compile_all().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "rules/big.toml (built in): rule 'demo-big': invalid pattern: Compiled regex exceeds size limit of 1048576 bytes."
            ]
        );
    }
}
