//! Loading and validating rule packs: every error names the file, the rule and what is wrong.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::pattern::{Budget, Compile, Pattern, USER_RULES};
use super::spec::{PackSpec, RuleSpec, Scope};
use super::{Direction, Pack, PackOrigin, Rule, RulesError, Window};
use crate::taxonomy::Category;

/// A multi-line rule may look at most this many lines ahead.
pub(crate) const MAX_WITHIN: u32 = 50;

/// Parses and validates one pack's TOML text.
pub(crate) fn parse_pack(
    file: &str,
    text: &str,
    origin: PackOrigin,
    budget: &Budget,
) -> Result<(Pack, Vec<Rule>), RulesError> {
    let pack_err = |reason: String| RulesError::Pack {
        file: file.to_owned(),
        reason,
    };
    let mut table: toml::Table = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    for key in table.keys() {
        if key != "pack" && key != "rules" {
            return Err(pack_err(format!(
                "unknown top-level key `{key}` (expected `[pack]` and `[[rules]]`)"
            )));
        }
    }
    // Entries are taken out of the table, not cloned: a pack's examples are most of its text.
    let spec = table
        .remove("pack")
        .ok_or_else(|| pack_err("missing `[pack]` table".to_owned()))?;
    let spec =
        PackSpec::deserialize(spec).map_err(|e| pack_err(format!("[pack]: {}", e.message())))?;
    let entries = match table.remove("rules") {
        None => Vec::new(),
        Some(toml::Value::Array(entries)) => entries,
        Some(_) => {
            return Err(pack_err(
                "`rules` must be an array of tables (`[[rules]]`)".to_owned(),
            ));
        }
    };
    let specs = entries.into_iter().enumerate().map(|(index, entry)| {
        let id = entry
            .get("id")
            .and_then(toml::Value::as_str)
            .map_or_else(|| format!("#{}", index + 1), str::to_owned);
        let spec = RuleSpec::deserialize(entry).map_err(|e| e.message().to_owned());
        (id, spec)
    });
    build_pack(file, text, origin, budget, spec, specs.collect())
}

/// A pack as the build wrote it in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackSpec,
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

/// A built-in pack, read from the JSON the build wrote of its TOML (`json`, several times quicker
/// to read). Should that be missing or fail, the TOML is read instead, and says what is wrong.
pub(crate) fn parse_builtin(
    file: &str,
    text: &str,
    json: &str,
    origin: PackOrigin,
) -> Result<(Pack, Vec<Rule>), RulesError> {
    let budget = Budget::default();
    match serde_json::from_str::<PackFile>(json) {
        Ok(pack) => {
            let specs = pack.rules.into_iter().map(|r| (r.id.clone(), Ok(r)));
            build_pack(file, text, origin, &budget, pack.pack, specs.collect())
        }
        Err(_) => parse_pack(file, text, origin, &budget),
    }
}

/// Checks a pack's parts and compiles its rules (`(id, spec or why it is not one)`).
fn build_pack(
    file: &str,
    text: &str,
    origin: PackOrigin,
    budget: &Budget,
    spec: PackSpec,
    entries: Vec<(String, Result<RuleSpec, String>)>,
) -> Result<(Pack, Vec<Rule>), RulesError> {
    let pack_err = |reason: String| RulesError::Pack {
        file: file.to_owned(),
        reason,
    };
    if !is_kebab(&spec.name) {
        return Err(pack_err(format!(
            "pack name `{}` is not kebab-case",
            spec.name
        )));
    }
    // Built-in patterns are compiled in full by the test suite; a user's are measured now, so a
    // pattern too large is reported before any log is read.
    let when = match origin {
        PackOrigin::Builtin(_) => Compile::OnFirstUse,
        PackOrigin::File(_) => {
            let left = budget.rules.get();
            if entries.len() > left {
                return Err(pack_err(format!(
                    "{} rules is more than the {USER_RULES} all rule packs given may hold together \
                     ({left} left)",
                    entries.len()
                )));
            }
            budget.rules.set(left - entries.len());
            Compile::Measured(budget)
        }
    };
    let mut rules = Vec::with_capacity(entries.len());
    for (id, spec_rule) in entries {
        let rule = spec_rule.and_then(|spec_rule| compile(spec_rule, &spec.name, when));
        rules.push(rule.map_err(|reason| RulesError::Rule {
            file: file.to_owned(),
            rule: id,
            reason,
        })?);
    }
    let pack = Pack {
        name: spec.name,
        version: spec.version,
        description: spec.description,
        origin,
        rules: rules.len(),
        digest: crate::digest::sha256_hex(text.as_bytes()),
    };
    Ok((pack, rules))
}

/// A TOML syntax error, attributed to the rule whose entry it falls in when one can be found.
fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> RulesError {
    let message = e.message().to_owned();
    let Some(span) = e.span() else {
        return RulesError::Toml {
            file: file.to_owned(),
            message,
        };
    };
    let before = text.get(..span.start).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let message = format!("line {line}: {message}");
    let entry = before
        .rfind("[[rules]]")
        .map(|at| before.get(at..).unwrap_or_default());
    let id = entry.and_then(|entry| {
        entry.lines().find_map(|l| {
            let value = l
                .trim()
                .strip_prefix("id")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            Some(value.trim_matches(|c| c == '"' || c == '\'').to_owned())
        })
    });
    match id {
        Some(rule) => RulesError::Rule {
            file: file.to_owned(),
            rule,
            reason: format!("invalid TOML at {message}"),
        },
        None => RulesError::Toml {
            file: file.to_owned(),
            message,
        },
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn compile(spec: RuleSpec, pack: &str, when: Compile<'_>) -> Result<Rule, String> {
    if !is_kebab(&spec.id) {
        return Err(
            "id is not kebab-case (lowercase letters, digits and single dashes)".to_owned(),
        );
    }
    if spec.category == Category::Unknown {
        return Err("category `unknown` is what a diagnosis reports when no rule matches; pick a real cause".to_owned());
    }
    if !(spec.confidence > 0.0 && spec.confidence <= 1.0) {
        return Err(format!("confidence {} is outside (0, 1]", spec.confidence));
    }
    if spec.title.trim().is_empty() || spec.title.contains('\n') {
        return Err("title must be one non-empty line".to_owned());
    }
    let pattern = Pattern::new("pattern", spec.pattern, when)?;
    let exclude = spec
        .exclude
        .map(|p| Pattern::new("exclude", p, when))
        .transpose()?;
    let window = match (spec.then, spec.after) {
        (Some(_), Some(_)) => return Err("a rule takes `then` or `after`, not both".to_owned()),
        (Some(w), None) => Some((Direction::Then, "then", w)),
        (None, Some(w)) => Some((Direction::After, "after", w)),
        (None, None) => None,
    };
    let window = match window {
        Some((_, name, _)) if spec.scope == Scope::FailedStep => {
            return Err(format!(
                "`{name}` only applies to line rules, not to `scope = \"failed_step\"`"
            ));
        }
        Some((_, name, w)) if w.within == 0 || w.within > MAX_WITHIN => {
            return Err(format!(
                "{name}.within is {} (it must be between 1 and {MAX_WITHIN})",
                w.within
            ));
        }
        Some((direction, name, w)) => Some(Window {
            direction,
            pattern: Pattern::new(&format!("{name}.pattern"), w.pattern, when)?,
            within: w.within,
        }),
        None => None,
    };
    let mut captures: Vec<String> = pattern.names().to_vec();
    if let Some(w) = &window {
        captures.extend(w.pattern.names().iter().cloned());
    }
    for (field, text) in std::iter::once(("title", &spec.title))
        .chain(spec.remediation.iter().map(|s| ("remediation", s)))
    {
        for name in placeholders(text) {
            if !captures.iter().any(|c| c == name) {
                return Err(format!(
                    "{field} uses `{{{name}}}` but the pattern has no capture named `{name}`"
                ));
            }
        }
    }
    let fingerprint = match spec.fingerprint {
        Some(names) => {
            if let Some(bad) = names.iter().find(|n| !captures.contains(n)) {
                return Err(format!(
                    "fingerprint names `{bad}` but the pattern has no capture of that name"
                ));
            }
            names
        }
        None => captures.clone(),
    };
    let actions = spec
        .actions
        .unwrap_or_else(|| spec.category.default_actions().to_vec());
    if actions.is_empty() {
        return Err(
            "actions is empty: a cause must permit at least one recovery action".to_owned(),
        );
    }
    Ok(Rule {
        id: spec.id,
        pack: pack.to_owned(),
        category: spec.category,
        title: spec.title,
        scope: spec.scope,
        pattern,
        exclude,
        window,
        confidence: spec.confidence,
        remediation: spec.remediation,
        actions,
        fingerprint,
        sources: spec.sources,
        examples: spec.examples,
        counterexamples: spec.counterexamples,
    })
}

/// The `{name}` placeholders of a remediation step.
pub(crate) fn placeholders(step: &str) -> impl Iterator<Item = &str> {
    step.split('{').skip(1).filter_map(|rest| {
        let name = rest.split_once('}')?.0;
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some(name)
    })
}

/// Removes rules whose id is already taken and packs whose name is, and says so for each.
pub(crate) fn dedupe(rules: &mut Vec<Rule>, packs: &mut Vec<Pack>) -> Vec<RulesError> {
    let mut problems = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    packs.retain(|pack| match names.get(&pack.name) {
        Some(first) => {
            problems.push(RulesError::Pack {
                file: pack.origin.to_string(),
                reason: format!(
                    "duplicate pack name `{}`: already loaded from {first}",
                    pack.name
                ),
            });
            false
        }
        None => {
            names.insert(pack.name.clone(), pack.origin.to_string());
            true
        }
    });
    let mut seen: HashMap<String, String> = HashMap::new();
    rules.retain(|rule| match seen.get(&rule.id) {
        Some(first) => {
            let file = packs
                .iter()
                .find(|p| p.name == rule.pack)
                .map_or_else(|| rule.pack.clone(), |p| p.origin.to_string());
            problems.push(RulesError::Rule {
                file,
                rule: rule.id.clone(),
                reason: format!("duplicate id: already defined in pack `{first}`"),
            });
            false
        }
        None => {
            seen.insert(rule.id.clone(), rule.pack.clone());
            true
        }
    });
    problems
}

/// Reads a user pack from disk.
pub(crate) fn read_pack_file(
    path: &Path,
    budget: &Budget,
) -> Result<(Pack, Vec<Rule>), RulesError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
        file: file.clone(),
        source,
    })?;
    parse_pack(&file, &text, PackOrigin::File(path.to_path_buf()), budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON the build wrote of each built-in pack reads, and loads to what its TOML loads to.
    #[test]
    fn builtin_packs_load_the_same_from_json_as_from_toml() {
        for &(file, text, json) in super::super::builtin::PACKS {
            assert!(
                serde_json::from_str::<PackFile>(json).is_ok(),
                "{file}: no usable JSON"
            );
            let origin = PackOrigin::Builtin(file);
            let from_json = parse_builtin(file, text, json, origin.clone()).unwrap();
            let from_toml = parse_pack(file, text, origin, &Budget::default()).unwrap();
            assert_eq!(format!("{from_json:?}"), format!("{from_toml:?}"), "{file}");
        }
    }

    /// Without usable JSON, the TOML is read, and its errors are reported as ever.
    #[test]
    fn a_pack_without_json_is_read_from_its_toml() {
        let text = "[pack]\nname = \"demo\"\nversion = \"1\"\n\n[[rules]]\nid = \"Bad Id\"\n";
        let origin = PackOrigin::Builtin("demo.toml");
        for json in ["", "{\"pack\": 1}"] {
            let err = parse_builtin("demo.toml", text, json, origin.clone()).unwrap_err();
            assert!(err.to_string().contains("rule 'Bad Id'"), "{err}");
        }
    }
}
