//! recovery-agent: read the logs of failed CI jobs, work out why they failed, and plan the recovery.
//!
//! The crate is a command-line tool; the library exists so the binary, the benchmarks (`benches/`)
//! and the fuzz targets (`fuzz/`) share one build. Its only public items are [`main`] and
//! [`harness`].
//!
//! The pipeline flows one way: [`ingest`] → [`diagnose`] → [`plan`] → [`report`], driven by [`cli`];
//! [`eval`] and [`replay`] run it over batches of recorded jobs.

mod act;
mod backoff;
mod batch;
mod cli;
mod clock;
mod config;
mod diagnose;
mod digest;
mod error;
mod eval;
mod exit;
mod github;
mod ingest;
mod ndjson;
mod plan;
mod redact;
mod replay;
mod report;
mod rules;
mod taxonomy;

#[cfg(test)]
mod props;

pub mod harness;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match cli.run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {}", error_chain(&e));
            if let Some(hint) = e.hint() {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// An error and its sources, as one line: `couldn't read x.log: permission denied`.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !msg.ends_with(&next) {
            msg.push_str(": ");
            msg.push_str(&next);
        }
        source = s.source();
    }
    msg
}
