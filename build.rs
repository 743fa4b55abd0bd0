//! Reads the built-in rule packs once, when the binary is built, for what every start would otherwise
//! work out again: each pack as JSON (several times quicker to read than TOML); each pattern's
//! capture names, the literals the prefilter looks for, and its ASCII form; and the literal index
//! of the patterns the scanner searches for, with its DFA (`src/rules/builtin.rs` and
//! `src/rules/precompiled.rs` embed them).
//!
//! A pack or pattern that does not parse is left out here: loading it at run time reports it.

use std::collections::{BTreeSet, HashMap};
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/diagnose/dfa.rs"]
#[allow(
    dead_code,
    reason = "the binary uses more of the module than the build does"
)]
mod dfa;
#[path = "src/diagnose/index.rs"]
#[allow(
    dead_code,
    reason = "the binary uses more of the module than the build does"
)]
mod index;
#[path = "src/rules/literals.rs"]
#[allow(
    dead_code,
    reason = "the binary uses more of the module than the build does"
)]
mod literals;
#[path = "src/rules/syntax.rs"]
#[allow(
    dead_code,
    reason = "the binary uses more of the module than the build does"
)]
mod syntax;
#[path = "src/diagnose/words.rs"]
mod words;

use literals::{Literal, Needs, needs};
use syntax::{ascii_form, capture_names};

#[allow(
    clippy::print_stdout,
    reason = "cargo reads a build script's instructions from its output"
)]
fn main() -> Result<(), Box<dyn Error>> {
    let watched = [
        "rules",
        "src/diagnose/dfa.rs",
        "src/diagnose/index.rs",
        "src/diagnose/words.rs",
        "src/rules/literals.rs",
        "src/rules/syntax.rs",
    ];
    for watched in watched {
        println!("cargo::rerun-if-changed={watched}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    let mut sources = BTreeSet::new();
    // The patterns the scanner searches every line for: line rules' patterns and partners, and the
    // error-line locator's words (not exclusions, nor failed-step rules').
    let mut searched = BTreeSet::from([words::WORDS.to_owned()]);
    let mut files: Vec<_> = std::fs::read_dir("rules")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    for file in files
        .iter()
        .filter(|f| f.extension() == Some("toml".as_ref()))
    {
        // The JSON form is empty when the TOML does not parse: loading reads the TOML, and says why.
        let pack = std::fs::read_to_string(file)?.parse::<toml::Table>().ok();
        let json = pack.as_ref().map(serde_json::to_string).transpose()?;
        let name = file.file_name().ok_or("a pack file has a name")?;
        let mut target = out.join(name).into_os_string();
        target.push(".json");
        std::fs::write(target, json.unwrap_or_default())?;
        let Some(pack) = pack else {
            continue;
        };
        let rules = pack.get("rules").and_then(toml::Value::as_array);
        for rule in rules.into_iter().flatten() {
            let windows = [
                rule.get("then").and_then(|w| w.get("pattern")),
                rule.get("after").and_then(|w| w.get("pattern")),
            ];
            let fields = [rule.get("pattern"), rule.get("exclude")].into_iter();
            let found = fields
                .chain(windows)
                .flatten()
                .filter_map(toml::Value::as_str);
            sources.extend(found.map(str::to_owned));
            let scope = rule.get("scope").and_then(toml::Value::as_str);
            if scope.is_none_or(|s| s == "line") {
                let found = std::iter::once(rule.get("pattern")).chain(windows);
                let found = found.flatten().filter_map(toml::Value::as_str);
                searched.extend(found.map(str::to_owned));
            }
        }
    }
    sources.insert(words::WORDS.to_owned());
    let read: Vec<_> = (sources.iter())
        .filter_map(|src| {
            let hir = regex_syntax::parse(src).ok()?;
            let needed = needs(&hir);
            Some((src, hir, needed))
        })
        .collect();

    // The searched patterns' primary literals, numbered once each, and their index.
    let mut numbering = index::Numbering::default();
    let mut ids: HashMap<&str, Vec<Vec<usize>>> = HashMap::new();
    for (src, _, needed) in &read {
        let (true, Some(alternatives)) = (searched.contains(*src), needed) else {
            continue;
        };
        let numbered = alternatives.iter().map(|a: &Needs| {
            (a.primary.iter())
                .map(|literal| numbering.number(literal.clone()))
                .collect()
        });
        ids.insert(src.as_str(), numbered.collect());
    }
    let index = numbering.index();
    // Without a DFA (too many literals for its table), start-up builds the prefilter itself.
    let bytes = match index.dfa {
        Some(_) => index.to_bytes(),
        None => {
            ids.clear();
            Vec::new()
        }
    };
    std::fs::write(out.join("index.bin"), bytes)?;

    let mut code = String::from("static KNOWN: &[Known] = &[\n");
    for (src, hir, needed) in &read {
        writeln!(
            code,
            "Known {{ src: {src:?}, names: &{:?}, ascii: {:?}, needs: ",
            capture_names(hir),
            ascii_form(hir)
        )?;
        match needed {
            None => code.push_str("None"),
            Some(alternatives) => {
                code.push_str("Some(&[");
                let numbered = ids.get(src.as_str());
                for (k, alternative) in alternatives.iter().enumerate() {
                    code.push_str("Alternative { primary: ");
                    group(&mut code, &alternative.primary)?;
                    match numbered.and_then(|n| n.get(k)) {
                        Some(ids) => write!(code, ", ids: Some(&{ids:?})")?,
                        None => code.push_str(", ids: None"),
                    }
                    code.push_str(", others: &[");
                    for other in &alternative.others {
                        group(&mut code, other)?;
                        code.push(',');
                    }
                    code.push_str("] },\n");
                }
                code.push_str("])");
            }
        }
        code.push_str(" },\n");
    }
    code.push_str("];\n");
    std::fs::write(out.join("precompiled.rs"), code)?;
    Ok(())
}

/// `group` as Rust: `&[Lit(b"…", b"…", Edge::…, Edge::…), …]`.
fn group(out: &mut String, group: &[Literal]) -> std::fmt::Result {
    out.push_str("&[");
    for l in group {
        write!(
            out,
            "Lit(b\"{}\", b\"{}\", Edge::{:?}, Edge::{:?}),",
            l.text.bytes.escape_ascii(),
            l.text.fold.escape_ascii(),
            l.start,
            l.end
        )?;
    }
    out.push(']');
    Ok(())
}
