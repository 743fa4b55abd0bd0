//! Input discovery: local files (plain or gzip), directories, stdin and GitHub Actions logs zips.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::IngestError;
use super::limits::{Budget, Capped, Counted, MAX_ZIP_ENTRIES};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Read-buffer size: large blocks keep system calls rare on big logs.
const BLOCK: usize = 1 << 20;
/// Stdin can only be read once; a zip piped there is held in memory up to this size.
const MAX_STDIN_ZIP: u64 = 512 << 20;

/// One job's log, not yet read.
pub(crate) struct LogInput {
    /// The job's name: the file stem, or the job name inside a GitHub logs zip.
    pub(crate) name: String,
    /// Where it came from, for people: a path, `archive.zip!1_build.txt`, or `<stdin>`.
    pub(crate) origin: String,
    source: Source,
    /// Why only part of the source will be read (a zip with too many entries), said in the report.
    partial: Option<String>,
}

impl std::fmt::Debug for LogInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogInput")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .finish()
    }
}

enum Source {
    File(PathBuf),
    /// Log text already in memory (a replay scenario's inline log).
    Memory(Vec<u8>),
    Stdin(Box<dyn BufRead + Send>),
    /// Entries of a zip, read in order as one log; each may name the step it holds.
    Zip {
        archive: Arc<Archive>,
        entries: Vec<(usize, Option<String>)>,
    },
}

/// A logs zip, and what all of its jobs together may still decompress to.
#[derive(Debug)]
struct Archive {
    data: ZipData,
    budget: Budget,
}

#[derive(Debug)]
enum ZipData {
    File(PathBuf),
    Memory(Vec<u8>),
}

impl Archive {
    fn new(data: ZipData) -> Arc<Self> {
        let size = match &data {
            ZipData::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
            ZipData::Memory(bytes) => bytes.len() as u64,
        };
        Arc::new(Self {
            data,
            budget: Budget::new(size),
        })
    }
}

/// A contiguous piece of one job's log: a whole file, or one step file of a logs zip.
pub(crate) struct Part<'a> {
    pub(crate) step: Option<&'a str>,
    pub(crate) reader: &'a mut dyn BufRead,
}

/// The first log of `path`: a file, or the first job of a directory or logs zip (a corpus case or
/// a replay scenario names one log).
pub(crate) fn open_one(path: &Path) -> Result<LogInput, IngestError> {
    discover(&[path.to_path_buf()])?
        .into_iter()
        .next()
        .ok_or(IngestError::NoInput)
}

/// Expands command-line paths (`-` is stdin) into job logs, in a stable order.
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Vec<LogInput>, IngestError> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.extend(stdin_inputs()?);
        } else if path.is_dir() {
            for entry in walkdir::WalkDir::new(path)
                .follow_links(false)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| IngestError::Walk {
                    path: path.clone(),
                    source: e,
                })?;
                if entry.file_type().is_file() {
                    inputs.extend(file_inputs(entry.path())?);
                }
            }
        } else if path.exists() {
            inputs.extend(file_inputs(path)?);
        } else {
            return Err(IngestError::NotFound(path.clone()));
        }
    }
    if inputs.is_empty() {
        return Err(IngestError::NoInput);
    }
    Ok(inputs)
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn file_inputs(path: &Path) -> Result<Vec<LogInput>, IngestError> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path).map_err(io_err(path))?;
    let got = read_up_to(&mut file, &mut magic).map_err(io_err(path))?;
    if magic.get(..got) == Some(ZIP_MAGIC) {
        return zip_inputs(
            &Archive::new(ZipData::File(path.to_path_buf())),
            &path.display().to_string(),
        );
    }
    Ok(vec![LogInput {
        name: job_name_from_file(path),
        origin: path.display().to_string(),
        source: Source::File(path.to_path_buf()),
        partial: None,
    }])
}

fn stdin_inputs() -> Result<Vec<LogInput>, IngestError> {
    let stdin_path = Path::new("<stdin>");
    let mut reader = BufReader::with_capacity(BLOCK, io::stdin());
    let head = reader.fill_buf().map_err(io_err(stdin_path))?;
    if head.starts_with(ZIP_MAGIC) {
        let mut bytes = Vec::new();
        reader
            .take(MAX_STDIN_ZIP)
            .read_to_end(&mut bytes)
            .map_err(io_err(stdin_path))?;
        return zip_inputs(&Archive::new(ZipData::Memory(bytes)), "<stdin>");
    }
    Ok(vec![LogInput {
        name: "stdin".to_owned(),
        origin: "<stdin>".to_owned(),
        source: Source::Stdin(Box::new(reader)),
        partial: None,
    }])
}

/// The jobs of a GitHub Actions logs zip held in memory (as the run-logs API returns it).
pub(crate) fn zip_from_bytes(bytes: Vec<u8>, origin: &str) -> Result<Vec<LogInput>, IngestError> {
    zip_inputs(&Archive::new(ZipData::Memory(bytes)), origin)
}

/// Lists the jobs of a GitHub Actions logs zip.
///
/// The zip holds `<n>_<job>.txt` (a job's whole log) and, sometimes, `<job>/<n>_<step>.txt` (its steps).
/// A whole-job file is preferred; a job present only as step files is read step by step, in order.
/// Entry names that climb out of the archive (`../x`) or are absolute are never read, and only the
/// first `MAX_ZIP_ENTRIES` entries are considered.
fn zip_inputs(archive: &Arc<Archive>, origin: &str) -> Result<Vec<LogInput>, IngestError> {
    let mut names = with_archive(&archive.data, |zip| {
        let path = PathBuf::from(origin);
        zip.file_names()
            .map(|n| n.map(std::borrow::Cow::into_owned))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|source| IngestError::Zip { path, source })
    })?;
    let partial = (names.len() > MAX_ZIP_ENTRIES).then(|| {
        format!(
            "the archive holds {} entries; only the first {MAX_ZIP_ENTRIES} were considered",
            names.len()
        )
    });
    names.truncate(MAX_ZIP_ENTRIES);
    let index_of = |name: &str| names.iter().position(|n| n == name);
    let mut jobs: Vec<(String, String, usize)> = Vec::new();
    let mut step_dirs: std::collections::BTreeMap<String, Vec<(u64, String, String)>> =
        Default::default();
    for name in &names {
        if !is_safe_entry(name) || !name.ends_with(".txt") {
            continue;
        }
        match name.split_once('/') {
            None => jobs.push((
                strip_order(name.trim_end_matches(".txt")).to_owned(),
                name.clone(),
                0,
            )),
            Some((dir, file)) if !file.contains('/') => {
                let stem = file.trim_end_matches(".txt");
                let order = stem
                    .split_once('_')
                    .and_then(|(n, _)| n.parse().ok())
                    .unwrap_or(u64::MAX);
                step_dirs.entry(dir.to_owned()).or_default().push((
                    order,
                    strip_order(stem).to_owned(),
                    name.clone(),
                ));
            }
            Some(_) => {}
        }
    }
    let mut inputs = Vec::new();
    for (job, entry, _) in &jobs {
        if let Some(index) = index_of(entry) {
            inputs.push(LogInput {
                name: job.clone(),
                origin: format!("{origin}!{entry}"),
                source: Source::Zip {
                    archive: Arc::clone(archive),
                    entries: vec![(index, None)],
                },
                partial: partial.clone(),
            });
        }
    }
    for (dir, mut steps) in step_dirs {
        if jobs.iter().any(|(job, _, _)| *job == dir) {
            continue;
        }
        steps.sort();
        let entries = steps
            .iter()
            .filter_map(|(_, step, entry)| Some((index_of(entry)?, Some(step.clone()))))
            .collect();
        inputs.push(LogInput {
            name: dir.clone(),
            origin: format!("{origin}!{dir}/"),
            source: Source::Zip {
                archive: Arc::clone(archive),
                entries,
            },
            partial: partial.clone(),
        });
    }
    Ok(inputs)
}

fn is_safe_entry(name: &str) -> bool {
    !name.starts_with('/')
        && !name.starts_with('\\')
        && !name.split(['/', '\\']).any(|c| c == "..")
        && !name.contains(':')
}

/// `3_build (ubuntu).txt` → `build (ubuntu)`.
fn strip_order(stem: &str) -> &str {
    match stem.split_once('_') {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => stem,
    }
}

fn job_name_from_file(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = file.as_str();
    for ext in [".gz", ".log", ".txt"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    stem.to_owned()
}

fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn with_archive<T>(
    data: &ZipData,
    f: impl FnOnce(&mut zip::ZipArchive<Box<dyn ReadSeek + '_>>) -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    let (path, reader): (PathBuf, Box<dyn ReadSeek + '_>) = match data {
        ZipData::File(path) => (
            path.clone(),
            Box::new(BufReader::new(File::open(path).map_err(io_err(path))?)),
        ),
        ZipData::Memory(bytes) => (
            PathBuf::from("<stdin>"),
            Box::new(Cursor::new(bytes.as_slice())),
        ),
    };
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|source| IngestError::Zip { path, source })?;
    f(&mut zip)
}

trait ReadSeek: Read + io::Seek {}
impl<T: Read + io::Seek> ReadSeek for T {}

/// Wraps a reader so gzip content is decompressed, whatever the file is called, within `budget`.
fn maybe_gunzip<'a>(
    mut reader: Box<dyn BufRead + 'a>,
    budget: &'a Budget,
) -> io::Result<Box<dyn BufRead + 'a>> {
    if reader.fill_buf()?.starts_with(GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(Counted::new(reader, budget));
        return Ok(Box::new(BufReader::with_capacity(
            BLOCK,
            Capped::new(decoder, budget),
        )));
    }
    Ok(reader)
}

impl LogInput {
    /// A log held in memory, plain or gzip.
    pub(crate) fn from_bytes(name: &str, origin: &str, bytes: Vec<u8>) -> Self {
        Self {
            name: name.to_owned(),
            origin: origin.to_owned(),
            source: Source::Memory(bytes),
            partial: None,
        }
    }

    /// Reads the log, handing `f` each of its parts in order. Returns why only part of it was read,
    /// when a limit stopped it.
    pub(crate) fn read_parts(
        self,
        f: &mut dyn FnMut(Part<'_>) -> io::Result<()>,
    ) -> Result<Option<String>, IngestError> {
        // A plain log spends nothing; a gzip one counts what it consumes against what it expands to.
        let budget = Budget::new(0);
        let mut whole = |reader: Box<dyn BufRead + '_>, origin: &Path| {
            let mut reader = maybe_gunzip(reader, &budget).map_err(io_err(origin))?;
            f(Part {
                step: None,
                reader: &mut reader,
            })
            .map_err(io_err(origin))
        };
        let stopped = match self.source {
            Source::File(path) => {
                let file = File::open(&path).map_err(io_err(&path))?;
                whole(Box::new(BufReader::with_capacity(BLOCK, file)), &path)?;
                budget.stopped()
            }
            Source::Memory(bytes) => {
                whole(Box::new(Cursor::new(bytes)), Path::new(&self.origin))?;
                budget.stopped()
            }
            Source::Stdin(reader) => {
                whole(reader, Path::new("<stdin>"))?;
                budget.stopped()
            }
            Source::Zip { archive, entries } => {
                with_archive(&archive.data, |zip| {
                    let origin = Path::new(&self.origin);
                    for (index, step) in &entries {
                        let entry = zip.by_index(*index).map_err(|source| IngestError::Zip {
                            path: origin.to_path_buf(),
                            source,
                        })?;
                        let mut reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(
                            BLOCK,
                            Capped::new(entry, &archive.budget),
                        ));
                        f(Part {
                            step: step.as_deref(),
                            reader: &mut reader,
                        })
                        .map_err(io_err(origin))?;
                    }
                    Ok(())
                })?;
                archive.budget.stopped()
            }
        };
        let reasons: Vec<String> = self.partial.into_iter().chain(stopped).collect();
        Ok((!reasons.is_empty()).then(|| reasons.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_jobs() {
        assert_eq!(
            strip_order("3_build (ubuntu-latest)"),
            "build (ubuntu-latest)"
        );
        assert_eq!(strip_order("build_all"), "build_all");
        assert_eq!(job_name_from_file(Path::new("a/b/fail.log.gz")), "fail");
        assert!(!is_safe_entry("../etc/passwd"));
        assert!(!is_safe_entry("job/../../x.txt"));
        assert!(!is_safe_entry("/abs.txt"));
        assert!(is_safe_entry("build/1_Set up job.txt"));
    }
}
