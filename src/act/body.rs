//! The bodies the tool writes on GitHub: the sticky PR comment and the per-fingerprint issue with its
//! table of occurrences. Each carries a marker the tool finds it by again, and stays under GitHub's
//! 65,536-character limit.

/// GitHub refuses issue and comment bodies longer than this (in characters).
pub(crate) const MAX_BODY: usize = 65_536;
/// The label every escalation issue carries; issues are found by listing it.
pub(crate) const LABEL: &str = "recovery-agent";
/// The first line of the sticky PR comment.
pub(crate) const COMMENT_MARKER: &str = "<!-- recovery-agent:sticky-comment -->";
const HITS_END: &str = "<!-- recovery-agent:hits-end -->";
/// Occurrence rows kept in an issue (the count keeps growing).
const MAX_ROWS: usize = 100;

/// The marker that identifies the issue for `fingerprint`.
pub(crate) fn issue_marker(fingerprint: &str) -> String {
    format!("<!-- recovery-agent:fingerprint={fingerprint} -->")
}

/// Cuts `text` to at most `max` characters, saying so.
pub(crate) fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let notice = "\n\n… (cut to fit GitHub's size limit; the full report is in the job summary and the report file)\n";
    let keep = max.saturating_sub(notice.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(notice);
    out
}

/// The sticky comment's body: the marker, then the Markdown report.
pub(crate) fn comment(markdown: &str) -> String {
    fit(&format!("{COMMENT_MARKER}\n{markdown}"), MAX_BODY)
}

/// An issue title: one line, no control characters, at most 200 characters.
pub(crate) fn title(category: &str, what: &str) -> String {
    let raw = format!("recovery-agent: {category}: {what}");
    let clean: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = clean.split_whitespace().collect();
    words.join(" ").chars().take(200).collect()
}

/// One occurrence of a failure.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) run_id: u64,
    pub(crate) attempt: u32,
    pub(crate) job: String,
    pub(crate) date: String,
    pub(crate) run_url: String,
}

impl Hit {
    fn key(&self) -> String {
        format!("<!-- hit:{}:{} -->", self.run_id, self.attempt)
    }

    fn row(&self) -> String {
        format!(
            "| [{}]({}) | {} | {} | {} | {}",
            self.run_id,
            self.run_url,
            self.attempt,
            crate::report::escape::cell(&self.job),
            self.date,
            self.key()
        )
    }
}

fn count_line(n: usize) -> String {
    format!("Seen **{n}** time{}.", if n == 1 { "" } else { "s" })
}

/// A new issue's body: marker, `head` (the rendered diagnosis), and the occurrence table.
pub(crate) fn new_issue(fingerprint: &str, head: &str, hit: &Hit) -> String {
    let body = format!(
        "{}\n{}\n\n### Occurrences\n\n{}\n\n| run | attempt | job | date |\n|---|---|---|---|\n{}\n{HITS_END}\n",
        issue_marker(fingerprint),
        head.trim_end(),
        count_line(1),
        hit.row()
    );
    fit(&body, MAX_BODY)
}

/// The body with `hit` added to the table and the count raised; `None` when `hit` is already there
/// (an earlier invocation recorded it), or the body is not one of ours.
pub(crate) fn add_hit(body: &str, hit: &Hit) -> Option<String> {
    if body.contains(&hit.key()) {
        return None;
    }
    let (before, after) = body.split_once(HITS_END)?;
    let seen = before
        .lines()
        .find_map(|l| l.strip_prefix("Seen **"))
        .and_then(|l| l.split("**").next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let mut lines: Vec<String> = before.lines().map(str::to_owned).collect();
    for line in &mut lines {
        if line.starts_with("Seen **") {
            *line = count_line(seen + 1);
        }
    }
    lines.push(hit.row());
    let rows: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("<!-- hit:"))
        .map(|(i, _)| i)
        .collect();
    let surplus = rows.len().saturating_sub(MAX_ROWS);
    for &i in rows.iter().take(surplus).rev() {
        lines.remove(i);
    }
    let body = format!("{}\n{HITS_END}{after}", lines.join("\n"));
    Some(fit(&body, MAX_BODY))
}

/// The UTC date (`YYYY-MM-DD`) of a Unix time, by the civil-from-days algorithm (H. Hinnant).
pub(crate) fn utc_date(unix_seconds: u64) -> String {
    let days = i64::try_from(unix_seconds / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(run: u64) -> Hit {
        Hit {
            run_id: run,
            attempt: 1,
            job: "build | linux".to_owned(),
            date: "2026-11-22".to_owned(),
            run_url: format!("https://github.com/o/r/actions/runs/{run}"),
        }
    }

    #[test]
    fn occurrences_are_counted_once_each() {
        let body = new_issue("v1:00ff", "## head", &hit(1));
        assert!(body.starts_with("<!-- recovery-agent:fingerprint=v1:00ff -->\n## head\n"));
        assert!(body.contains("Seen **1** time."));
        assert!(body.contains("build \\| linux"), "{body}");
        assert_eq!(add_hit(&body, &hit(1)), None, "the same run attempt twice");
        let two = add_hit(&body, &hit(2)).unwrap();
        assert!(two.contains("Seen **2** times."));
        assert_eq!(two.matches("<!-- hit:").count(), 2);
        assert!(two.ends_with("<!-- recovery-agent:hits-end -->\n"));
        assert_eq!(add_hit("someone else's issue", &hit(3)), None);
    }

    #[test]
    fn the_table_keeps_the_newest_rows_and_the_full_count() {
        let mut body = new_issue("v1:1", "head", &hit(0));
        for run in 1..=150 {
            body = add_hit(&body, &hit(run)).unwrap();
        }
        assert!(body.contains("Seen **151** times."));
        assert_eq!(body.matches("<!-- hit:").count(), MAX_ROWS);
        assert!(body.contains("<!-- hit:150:1 -->") && !body.contains("<!-- hit:50:1 -->"));
    }

    #[test]
    fn bodies_fit_github_limit() {
        let huge = "x".repeat(200_000);
        let c = comment(&huge);
        assert!(c.chars().count() <= MAX_BODY);
        assert!(c.starts_with(COMMENT_MARKER));
        assert!(new_issue("v1:2", &huge, &hit(1)).chars().count() <= MAX_BODY);
        let multibyte = "é".repeat(70_000);
        assert!(fit(&multibyte, MAX_BODY).chars().count() <= MAX_BODY);
    }

    #[test]
    fn titles_are_one_clean_line() {
        let t = title("auth", "Bad\ncredentials\u{7}\tfor  x");
        assert_eq!(t, "recovery-agent: auth: Bad credentials for x");
        assert_eq!(title("unknown", &"y".repeat(500)).chars().count(), 200);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_795_305_600), "2026-11-22");
    }
}
