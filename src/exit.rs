//! Exit codes: named, stable, and documented in the README.

use crate::report::Verdict;

/// Nothing failed: every job passed (or a command succeeded).
pub(crate) const OK: u8 = 0;
/// An unexpected runtime failure (I/O on the output, an internal error).
pub(crate) const ERROR: u8 = 1;
/// Invalid command-line usage (clap's own code).
pub(crate) const USAGE: u8 = 2;
/// The config file, a rule pack or a template is invalid.
pub(crate) const CONFIG: u8 = 3;
/// An input log could not be found or read.
pub(crate) const INPUT: u8 = 4;
/// `rules test` found an example that does not match, or a counterexample that does; or
/// `rules lint` found errors.
pub(crate) const CHECK_FAILED: u8 = 5;
/// `eval --baseline` rejects the change (a metric dropped past its tolerance, or a retry-safety
/// violation).
pub(crate) const GATE_REJECTED: u8 = 6;
/// `run`: GitHub could not be read (API down, no access): nothing was diagnosed; the report, which
/// says why in `degraded`, was still written.
pub(crate) const GITHUB_UNAVAILABLE: u8 = 7;
/// Verdict `retry`: every failure has an allowed automatic recovery.
pub(crate) const RETRY: u8 = 10;
/// Verdict `manual_fix`: a failure needs a code or configuration change.
pub(crate) const MANUAL_FIX: u8 = 11;
/// Verdict `escalate`: a failure needs a human.
pub(crate) const ESCALATE: u8 = 12;

/// The exit code that encodes a verdict.
pub(crate) fn for_verdict(v: Verdict) -> u8 {
    match v {
        Verdict::Passed => OK,
        Verdict::Retry => RETRY,
        Verdict::ManualFix => MANUAL_FIX,
        Verdict::Escalate => ESCALATE,
    }
}
