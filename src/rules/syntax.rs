//! What a parsed pattern says about itself, read from its syntax alone: its capture names, and
//! its ASCII form. On a line of ASCII characters a Unicode-aware regex matches exactly what its
//! ASCII form does, and the ASCII form compiles several times faster (`\w` in UTF-8 is hundreds of
//! automaton states, `[0-9A-Za-z_]` one). Most log lines are ASCII.
//!
//! This file needs nothing but `regex-syntax`: the build script reads it too (see `build.rs`).

use regex_syntax::hir::{
    Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition,
};

/// The names of `hir`'s named groups, in order.
pub(crate) fn capture_names(hir: &Hir) -> Vec<String> {
    fn walk(hir: &Hir, out: &mut Vec<String>) {
        match hir.kind() {
            HirKind::Capture(cap) => {
                if let Some(name) = &cap.name {
                    out.push(name.to_string());
                }
                walk(&cap.sub, out);
            }
            HirKind::Repetition(rep) => walk(&rep.sub, out),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => {
                subs.iter().for_each(|s| walk(s, out));
            }
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
        }
    }
    let mut names = Vec::new();
    walk(hir, &mut names);
    names
}

/// The source of `hir`'s ASCII form ([`asciify`]), or `None` when it would be `hir` itself.
/// Printed, to be parsed again (the `regex` crate takes no `Hir`): the printer keeps every group,
/// in order, with its name, so capture indices and names are the pattern's own.
pub(crate) fn ascii_form(hir: &Hir) -> Option<String> {
    let mut changed = false;
    let ascii = asciify(hir, &mut changed);
    changed.then(|| ascii.to_string())
}

/// `hir` for ASCII text: every class cut to its ASCII part, literals with non-ASCII text made
/// unmatchable, Unicode word boundaries made ASCII ones, captures kept. On a haystack of ASCII
/// characters each piece accepts exactly the characters and positions it did (`\w`, `\d`, `\s`
/// and case folding agree with their ASCII forms there, and `\b` with `(?-u:\b)`), so the whole
/// matches, and captures, exactly what `hir` does. `changed` is set when anything was cut.
fn asciify(hir: &Hir, changed: &mut bool) -> Hir {
    map_leaves(hir, true, &mut |leaf| {
        let ascii = match leaf.kind() {
            HirKind::Class(Class::Unicode(class)) if is_wide(class) => {
                let mut ascii = class.clone();
                ascii.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
                Hir::class(Class::Unicode(ascii))
            }
            HirKind::Literal(literal) if !literal.0.is_ascii() => Hir::fail(),
            HirKind::Look(look) => Hir::look(ascii_look(*look)?),
            _ => return None,
        };
        *changed = true;
        Some(ascii)
    })
}

/// Whether `class` holds characters past ASCII.
pub(crate) fn is_wide(class: &ClassUnicode) -> bool {
    class.ranges().iter().any(|r| u32::from(r.end()) >= 0x80)
}

/// `hir` with each leaf (literal, class, look) replaced by what `leaf` makes of it, or kept when
/// it makes nothing; `captures` says whether groups stay, or give way to what they hold.
pub(crate) fn map_leaves(
    hir: &Hir,
    captures: bool,
    leaf: &mut dyn FnMut(&Hir) -> Option<Hir>,
) -> Hir {
    match hir.kind() {
        HirKind::Capture(cap) if captures => Hir::capture(Capture {
            sub: Box::new(map_leaves(&cap.sub, captures, leaf)),
            ..cap.clone()
        }),
        HirKind::Capture(cap) => map_leaves(&cap.sub, captures, leaf),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(map_leaves(&rep.sub, captures, leaf)),
            ..rep.clone()
        }),
        HirKind::Concat(subs) => {
            Hir::concat(subs.iter().map(|s| map_leaves(s, captures, leaf)).collect())
        }
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|s| map_leaves(s, captures, leaf)).collect())
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {
            leaf(hir).unwrap_or_else(|| hir.clone())
        }
    }
}

/// The ASCII form of a Unicode word boundary; `None` for any other look.
pub(crate) fn ascii_look(look: Look) -> Option<Look> {
    Some(match look {
        Look::WordUnicode => Look::WordAscii,
        Look::WordUnicodeNegate => Look::WordAsciiNegate,
        Look::WordStartUnicode => Look::WordStartAscii,
        Look::WordEndUnicode => Look::WordEndAscii,
        Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
        Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
        _ => return None,
    })
}
