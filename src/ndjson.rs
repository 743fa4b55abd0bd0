//! Line-delimited JSON inputs (a corpus's `cases.jsonl`, a replay scenario): one record per line,
//! each with a unique id, every problem tied to its line number.

use serde::de::DeserializeOwned;

/// A problem on one line (1-based).
#[derive(Debug)]
pub(crate) struct LineError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// Parses every non-blank line of `text` (and, with `comments`, skips lines starting with `#`),
/// then lets `check` refuse a record; ids, as `id` reads them, must be unique.
pub(crate) fn parse<T: DeserializeOwned>(
    text: &str,
    comments: bool,
    id: impl Fn(&T) -> &str,
    check: impl Fn(&mut T) -> Result<(), String>,
) -> Result<Vec<T>, LineError> {
    let mut records: Vec<T> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (comments && line.starts_with('#')) {
            continue;
        }
        let err = |message: String| LineError {
            line: index + 1,
            message,
        };
        let mut record: T = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        if records.iter().any(|r| id(r) == id(&record)) {
            return Err(err(format!("duplicate case id `{}`", id(&record))));
        }
        check(&mut record).map_err(err)?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct R {
        id: String,
        n: u32,
    }

    fn parse(text: &str, comments: bool) -> Result<Vec<R>, (usize, String)> {
        super::parse(
            text,
            comments,
            |r: &R| &r.id,
            |r| {
                if r.n > 9 {
                    Err(format!("`{}`: n is too big", r.id))
                } else {
                    Ok(())
                }
            },
        )
        .map_err(|e| (e.line, e.message))
    }

    #[test]
    fn skips_blank_lines_and_comments_only_when_asked() {
        let text = "\n{\"id\": \"a\", \"n\": 1}\n# note\n  \n{\"id\": \"b\", \"n\": 2}\n";
        let ok = parse(text, true).unwrap();
        assert_eq!(
            ok.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(parse(text, false).unwrap_err().0, 3);
    }

    #[test]
    fn errors_name_their_line() {
        let dup = "{\"id\": \"a\", \"n\": 1}\n{\"id\": \"a\", \"n\": 2}\n";
        assert_eq!(
            parse(dup, false).unwrap_err(),
            (2, "duplicate case id `a`".to_owned())
        );
        let big = "{\"id\": \"a\", \"n\": 1}\n\n{\"id\": \"b\", \"n\": 10}\n";
        assert_eq!(
            parse(big, false).unwrap_err(),
            (3, "`b`: n is too big".to_owned())
        );
        assert_eq!(parse("{\"id\": 1}", false).unwrap_err().0, 1);
    }
}
