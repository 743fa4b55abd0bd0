//! Narrow entry points for the benchmarks and fuzz targets: not an API, and free to change.

use crate::diagnose::Engine;
use crate::ingest::{self, LogInput};
use crate::rules::Library;

/// What reading one log established, for checks that need no rule library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Lines seen, as numbered by ingest.
    pub lines: u64,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Why reading stopped early, if it did.
    pub incomplete: Option<String>,
}

/// Reads `bytes` as one log (plain or gzip) and checks, per line, that numbering is gapless.
///
/// Returns an error when reading fails outright (which is allowed: corrupt gzip, say); panics only
/// when an invariant breaks, which is what a fuzz target wants to find.
pub fn ingest(bytes: &[u8]) -> Result<Read, String> {
    let mut expected = 1;
    let job = ingest::read(
        LogInput::from_bytes("fuzz", "<fuzz>", bytes.to_vec()),
        &mut |line| {
            assert_eq!(line.number, expected, "line numbers must be gapless");
            assert!(!line.text.contains('\n'), "a line holds no newline");
            expected += 1;
        },
    )
    .map_err(|e| crate::error_chain(&e))?;
    assert_eq!(job.lines + 1, expected, "every line is visited");
    Ok(Read {
        lines: job.lines,
        bytes: job.bytes,
        incomplete: job.incomplete,
    })
}

/// Parses `text` as a user's rule pack, with every check a user's pack gets at load (patterns
/// measured against the size limits included), and builds the matcher over it (literal extraction
/// and the literal search): the rule count, or the error as a user would see it.
pub fn rule_pack(text: &str) -> Result<usize, String> {
    let library = Library::from_texts(&[("fuzz.toml", text)]).map_err(|e| e.to_string())?;
    Engine::new(&library).map_err(|e| crate::error_chain(&e))?;
    Ok(library.rules.len())
}

/// A rule library (the built-in packs), for building a [`Diagnoser`].
#[derive(Debug)]
pub struct Rules(Library);

impl Rules {
    /// Loads the built-in packs.
    pub fn builtin() -> Result<Self, String> {
        Library::load(&[], true)
            .map(Self)
            .map_err(|e| e.to_string())
    }

    /// Compiles the library for scanning, once for many logs.
    pub fn diagnoser(&self) -> Result<Diagnoser<'_>, String> {
        Engine::new(&self.0)
            .map(Diagnoser)
            .map_err(|e| crate::error_chain(&e))
    }
}

/// The compiled library: diagnoses logs held in memory.
#[derive(Debug)]
pub struct Diagnoser<'l>(Engine<'l>);

impl Diagnoser<'_> {
    /// Diagnoses one log (plain or gzip): its category and, when a rule decided, the rule's id.
    pub fn diagnose(&self, bytes: Vec<u8>) -> Result<(&'static str, Option<String>), String> {
        let (_, diagnosis) = self
            .0
            .diagnose(LogInput::from_bytes("bench", "<bench>", bytes))
            .map_err(|e| crate::error_chain(&e))?;
        Ok((diagnosis.category.as_str(), diagnosis.rule.map(|r| r.id)))
    }
}
