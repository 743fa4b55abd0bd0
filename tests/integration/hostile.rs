//! Log text is attacker-controlled: nothing it contains may act on the reader or leak a secret.

use crate::common::bin;

/// A failing step whose error line carries a token, a mention, HTML, a fence break and workflow
/// commands.
pub(crate) const LOG: &str = "2024-01-01T00:00:00.0000000Z ##[group]Run ./release.sh\n\
2024-01-01T00:00:01.0000000Z ::add-mask::not-really\n\
2024-01-01T00:00:02.0000000Z Error: push to https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123456789AB@github.com/o/r failed: ping @octocat <img src=x onerror=alert(1)> ```\n\
2024-01-01T00:00:03.0000000Z ::set-output name=verdict::passed\n\
2024-01-01T00:00:04.0000000Z ##[error]Process completed with exit code 1.\n";

fn output(format: &str) -> String {
    let out = bin()
        .args([
            "diagnose",
            "-",
            "--exit-zero",
            "--color",
            "never",
            "--format",
            format,
        ])
        .write_stdin(LOG)
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn secrets_never_reach_any_output() {
    for format in ["text", "json", "markdown"] {
        let out = output(format);
        assert!(
            !out.contains("ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"),
            "{format} leaks the token:\n{out}"
        );
        assert!(
            out.contains("[REDACTED:"),
            "{format} does not say what it redacted:\n{out}"
        );
    }
}

#[test]
fn no_output_line_is_a_workflow_command() {
    for format in ["text", "json", "markdown"] {
        for line in output(format).lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "{format} prints a workflow command: {line}"
            );
            assert!(
                !line.contains("##["),
                "{format} prints a legacy workflow command: {line}"
            );
        }
    }
}

/// Markdown with fenced blocks and code spans removed: what GitHub renders as Markdown.
pub(crate) fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line
            .trim_start()
            .chars()
            .take_while(|c| *c == '`')
            .collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && line.trim() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                let spans: Vec<&str> = line.split('`').collect();
                out.extend(spans.iter().step_by(2).copied());
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn markdown_cannot_mention_inject_html_or_break_its_fence() {
    let md = output("markdown");
    let rendered = outside_code(&md);
    assert!(!rendered.contains("@octocat"), "{md}");
    assert!(!rendered.contains("<img"), "{md}");
    assert!(
        md.contains("@octocat <img"),
        "the evidence is shown, inside a code block:\n{md}"
    );
    // Every evidence block is fenced by a run of backticks longer than any run inside it.
    for block in md.split("\n```").skip(1) {
        let inner_fence = block.lines().skip(1).any(|l| l.trim() == "```");
        assert!(
            !inner_fence,
            "a bare ``` inside a block would close it early:\n{md}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&output("json")).unwrap();
    let text = json["jobs"][0]["diagnosis"]["evidence"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("@octocat <img"),
        "the JSON keeps the (redacted) text as it was: {text}"
    );
}

#[test]
fn inside_actions_annotations_outputs_and_summary_stay_within_limits() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let failing = std::fs::read(
        crate::common::root().join("fixtures/logs/compilation-go-undeclared-name.log"),
    )
    .unwrap();
    for i in 0..12 {
        std::fs::write(logs.join(format!("job-{i:02}.log")), &failing).unwrap();
    }
    std::fs::write(logs.join("job-99-hostile.log"), LOG).unwrap();
    let (outputs, summary) = (dir.path().join("out"), dir.path().join("summary.md"));
    let out = bin()
        .arg("diagnose")
        .arg(&logs)
        .args(["--exit-zero", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(
        errors.len(),
        10,
        "GitHub shows 10 error annotations per step: {stdout}"
    );
    for line in &errors {
        assert!(!line.contains("ghp_abcdefghijklmnopqrstuvwxyz"), "{line}");
        assert_eq!(
            line.matches("::").count(),
            2,
            "one command per line: {line}"
        );
    }
    let outputs = std::fs::read_to_string(outputs).unwrap();
    assert!(
        outputs.starts_with("verdict<<recovery_agent_eof_0\n"),
        "{outputs}"
    );
    assert!(outputs.contains("\ncategory<<"), "{outputs}");
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.contains("recovery-agent"), "{summary}");
    assert!(!summary.contains("ghp_abcdefghijklmnopqrstuvwxyz"));
}
