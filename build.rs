//! Reads the built-in rule packs once, when the binary is built, for what every start would otherwise
//! work out again: each pack as JSON (several times quicker to read than TOML), and each pattern's
//! capture names, the literals the prefilter looks for, and its ASCII form
//! (`src/rules/builtin.rs` and `src/rules/precompiled.rs` embed them).
//!
//! A pack or pattern that does not parse is left out here: loading it at run time reports it.

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

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

use literals::{Literal, needs};
use syntax::{ascii_form, capture_names};

#[allow(
    clippy::print_stdout,
    reason = "cargo reads a build script's instructions from its output"
)]
fn main() -> Result<(), Box<dyn Error>> {
    for watched in ["rules", "src/rules/literals.rs", "src/rules/syntax.rs"] {
        println!("cargo::rerun-if-changed={watched}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    let mut sources = BTreeSet::new();
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
            let fields = [
                rule.get("pattern"),
                rule.get("exclude"),
                rule.get("then").and_then(|w| w.get("pattern")),
                rule.get("after").and_then(|w| w.get("pattern")),
            ];
            let found = fields.into_iter().flatten().filter_map(toml::Value::as_str);
            sources.extend(found.map(str::to_owned));
        }
    }
    let mut code = String::from("static KNOWN: &[Known] = &[\n");
    for src in &sources {
        let Ok(hir) = regex_syntax::parse(src) else {
            continue;
        };
        writeln!(
            code,
            "Known {{ src: {src:?}, names: &{:?}, ascii: {:?}, needs: ",
            capture_names(&hir),
            ascii_form(&hir)
        )?;
        match needs(&hir) {
            None => code.push_str("None"),
            Some(alternatives) => {
                code.push_str("Some(&[");
                for alternative in alternatives {
                    code.push_str("Alternative { primary: ");
                    group(&mut code, &alternative.primary)?;
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
