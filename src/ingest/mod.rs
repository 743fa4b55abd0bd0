//! Ingest: turn log sources into normalised, numbered lines and what the log says about its job.

mod limits;
mod lines;
mod normalize;
mod outcome;
#[cfg(test)]
mod props;
mod source;
mod steps;

use std::path::PathBuf;

pub(crate) use lines::MAX_LINE_BYTES;
pub(crate) use outcome::Outcome;
pub(crate) use source::{LogInput, discover, open_one, zip_from_bytes};
pub(crate) use steps::{LogFormat, Step};

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IngestError {
    #[error("no such file or directory: {}", .0.display())]
    NotFound(PathBuf),
    #[error("no log files found in the given paths")]
    NoInput,
    #[error("couldn't read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("couldn't walk {}", path.display())]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },
    #[error("couldn't read zip archive {}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
}

/// One normalised log line, as handed to the diagnosis stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// 1-based number in the original log split on `\n`.
    pub(crate) number: u64,
    /// Visible text: no timestamp prefix, ANSI escapes, BOM or overwritten `\r` segments.
    pub(crate) text: &'a str,
    /// Index into [`JobLog::steps`] of the step this line belongs to.
    pub(crate) step: Option<usize>,
}

/// What reading a job's log established, besides the lines themselves.
#[derive(Debug, Clone)]
pub(crate) struct JobLog {
    pub(crate) name: String,
    pub(crate) origin: String,
    pub(crate) format: LogFormat,
    pub(crate) lines: u64,
    pub(crate) bytes: u64,
    /// Lines longer than the per-line cap, of which only a prefix was examined.
    pub(crate) cut_lines: u64,
    pub(crate) outcome: Outcome,
    /// The line that told the outcome.
    pub(crate) outcome_line: Option<u64>,
    pub(crate) steps: Vec<Step>,
    /// Set when reading stopped early (a truncated gzip, an I/O error, a decompression limit): what
    /// was read is still diagnosed.
    pub(crate) incomplete: Option<String>,
}

impl JobLog {
    /// Index of the first step that reported its own failure.
    pub(crate) fn first_failed_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.failed)
    }
}

/// Compiles what reading a log needs (the outcome markers) ahead of the first line.
pub(crate) fn warm() {
    outcome::warm();
}

/// Streams `input` line by line through `visit`, holding one line at a time.
pub(crate) fn read(
    input: LogInput,
    visit: &mut dyn FnMut(&Line<'_>),
) -> Result<JobLog, IngestError> {
    let name = input.name.clone();
    let origin = input.origin.clone();
    let mut normalizer = normalize::Normalizer::default();
    let mut tracker = steps::StepTracker::default();
    let mut verdict = outcome::Verdict::default();
    let mut buf = Vec::new();
    let (mut number, mut bytes, mut cut_lines) = (0u64, 0u64, 0u64);
    let result = input.read_parts(&mut |part| {
        if let Some(step) = part.step {
            tracker.start_part(number + 1, step);
        }
        lines::for_each_line(part.reader, &mut buf, &mut bytes, |raw, cut| {
            number += 1;
            cut_lines += u64::from(cut);
            let line = normalizer.normalize(raw);
            let text = line.text;
            tracker.observe(number, text, line.overwritten, line.timestamped);
            if let Some(failure) = verdict.observe(number, text) {
                tracker.mark_failed(number, failure.command);
            }
            visit(&Line {
                number,
                text,
                step: tracker.current(),
            });
        })?;
        Ok(())
    });
    // Whatever was read before a failure (a truncated or corrupt gzip, say) is still evidence.
    let incomplete = match result {
        Ok(partial) => partial,
        Err(IngestError::Io { source, .. }) if number > 0 => Some(source.to_string()),
        Err(e) => return Err(e),
    };
    let (outcome, outcome_line) = verdict.outcome();
    let (format, steps) = tracker.finish();
    Ok(JobLog {
        name,
        origin,
        format,
        lines: number,
        bytes,
        cut_lines,
        outcome,
        outcome_line,
        steps,
        incomplete,
    })
}
