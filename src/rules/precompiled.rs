//! What the build read out of each pattern of the built-in packs (see `build.rs`): its capture
//! names, the literals the prefilter looks for, and its ASCII form. With these, loading the built-in
//! library parses no regex, and a pattern's ASCII form compiles straight from its source.

use super::literals::{Edge, Group, Literal, Needs, Text};

/// A built-in pattern, as the build read it.
#[derive(Debug)]
pub(crate) struct Known {
    src: &'static str,
    pub(crate) names: &'static [&'static str],
    /// The source of the pattern's ASCII form; `None` when that is the pattern itself.
    pub(crate) ascii: Option<&'static str>,
    /// `None` when some alternative needs no literal (the pattern is tried on every line).
    needs: Option<&'static [Alternative]>,
}

/// One top-level alternative's [`Needs`].
#[derive(Debug)]
struct Alternative {
    primary: &'static [Lit],
    /// The primary literals' numbers in [`INDEX`]; `None` for a pattern the scanner does not search
    /// for (a failed-step rule's, an exclusion), or when there is no index.
    ids: Option<&'static [u32]>,
    others: &'static [&'static [Lit]],
}

/// What a built-in pattern needs, with its primary literals numbered as in [`INDEX`].
#[derive(Debug)]
pub(crate) enum Indexed {
    /// No literal: the pattern is tried on every line.
    Always,
    /// Per alternative, its primary literals' numbers and its other groups.
    Alternatives(Vec<(&'static [u32], Vec<Group>)>),
}

/// A [`Literal`]: its bytes, its case folding, and the edges it keeps to.
#[derive(Debug)]
struct Lit(&'static [u8], &'static [u8], Edge, Edge);

// `static KNOWN: &[Known]`, sorted by source.
include!(concat!(env!("OUT_DIR"), "/precompiled.rs"));

/// The literal index (`diagnose::index`) of the patterns the scanner searches for: every line rule's
/// pattern and partner, and the error-line locator's words. Empty when the build could not make one.
pub(crate) static INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/index.bin"));

/// What the build read out of the built-in pattern `src`, if it is one.
pub(crate) fn find(src: &str) -> Option<&'static Known> {
    let at = KNOWN.binary_search_by(|k| k.src.cmp(src)).ok()?;
    KNOWN.get(at)
}

impl Known {
    pub(crate) fn needs(&self) -> Option<Vec<Needs>> {
        let alternatives = self.needs?;
        Some(
            alternatives
                .iter()
                .map(|a| Needs {
                    primary: group(a.primary),
                    others: a.others.iter().map(|g| group(g)).collect(),
                })
                .collect(),
        )
    }

    /// What the pattern needs, numbered as in [`INDEX`]; `None` when it is not in the index.
    pub(crate) fn indexed(&self) -> Option<Indexed> {
        let Some(alternatives) = self.needs else {
            return Some(Indexed::Always);
        };
        let numbered = alternatives.iter().map(|a| {
            let others = a.others.iter().map(|g| group(g)).collect();
            a.ids.map(|ids| (ids, others))
        });
        numbered.collect::<Option<_>>().map(Indexed::Alternatives)
    }
}

fn group(lits: &[Lit]) -> Group {
    lits.iter()
        .map(|Lit(bytes, fold, start, end)| Literal {
            text: Text {
                bytes: bytes.to_vec(),
                fold: fold.to_vec(),
            },
            start: *start,
            end: *end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::syntax::{ascii_form, capture_names};
    use super::super::{Library, literals};
    use super::find;

    /// The build read every pattern of the built-in packs, and read each as loading would.
    #[test]
    fn the_build_read_every_builtin_pattern_as_loading_would() {
        let library = Library::load(&[], true).unwrap();
        let mut checked = 0;
        for rule in &library.rules {
            let patterns = std::iter::once(&rule.pattern)
                .chain(&rule.exclude)
                .chain(rule.window.as_ref().map(|w| &w.pattern));
            for pattern in patterns {
                let src = pattern.as_str();
                let known = find(src).unwrap_or_else(|| panic!("not read by the build: {src}"));
                let hir = regex_syntax::parse(src).unwrap();
                assert_eq!(known.names, capture_names(&hir), "{src}");
                assert_eq!(known.ascii.map(str::to_owned), ascii_form(&hir), "{src}");
                assert_eq!(known.needs(), literals::needs(&hir), "{src}");
                checked += 1;
            }
        }
        assert!(checked > 600, "{checked}");
        assert!(find(r"not (a built-in) pattern").is_none());
    }
}
