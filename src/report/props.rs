//! Property tests for Markdown escaping: no log text can close a fence, mention, inject HTML or a workflow command.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::escape::{code_block, commands, inline};

const ZWSP: char = '\u{200B}';

fn config(cases: u32) -> ProptestConfig {
    crate::props::config(cases, 0x00e5_ca9e)
}

/// Hostile log text: arbitrary Unicode mixed with what Markdown, GitHub and the Actions runner react
/// to (backtick runs, mentions, issue references, HTML, workflow commands, backslashes, line breaks).
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        2 => "[ -~]{1,6}",
        2 => (1usize..9).prop_map(|n| "`".repeat(n)),
        1 => (1usize..5).prop_map(|n| " ".repeat(n)),
        3 => prop::sample::select(vec![
            "@octocat", "@", "@org/team", "#123", "#", "GH-1", "<img src=x onerror=alert(1)>",
            "</details>", "<!-- x -->", "<?php", "<b>", "::set-output name=x::y", "::add-mask::",
            "::error::boom", "##[error]", "##[", "\r", "\n", "\r\n", "\\", "\\\\", "|", "\\|",
            "&#64;", "&#x40;", "&commat;", "&#35;", "&lt;", "&#60;", "é", "_", "-", "a", "1", "\t", "\u{200B}", "\u{2028}", "\u{85}",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Lines as the Actions runner reads a step's output (.NET `ReadLine`): `\n`, `\r\n` and a lone `\r`
/// each end one.
fn runner_lines(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .flat_map(|l| l.split(['\r', '\n']))
        .collect()
}

/// Lines as CommonMark splits a document: also at `\n`, `\r\n` and a lone `\r`.
fn markdown_lines(text: &str) -> Vec<&str> {
    runner_lines(text)
}

/// No line of `out` is a workflow command: `::` after leading whitespace, or `##[` anywhere.
fn no_workflow_command(out: &str) -> Result<(), TestCaseError> {
    for line in runner_lines(out) {
        prop_assert!(
            !line.trim_start().starts_with("::"),
            "command line {:?} in {:?}",
            line,
            out
        );
    }
    prop_assert!(!out.contains("##["), "legacy command in {:?}", out);
    Ok(())
}

/// A character of rendered inline Markdown, outside code spans.
#[derive(Debug, Clone, Copy)]
struct Rendered {
    c: char,
    /// Written with a backslash escape (`\<`): shown as text, never markup.
    escaped: bool,
}

/// The character an entity reference at the start of `s` stands for, and the reference's length:
/// `&#64;`, `&#x40;` and the named references that matter here (CommonMark decodes them as text).
fn entity(s: &[char]) -> Option<(char, usize)> {
    let end = s.iter().take(34).position(|c| *c == ';')?;
    let body: String = s[1..end].iter().collect();
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) if (1..=6).contains(&hex.len()) => u32::from_str_radix(hex, 16).ok()?,
            None if (1..=7).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit()) => {
                num.parse().ok()?
            }
            _ => return None,
        };
        char::from_u32(code)
            .filter(|c| *c != '\0')
            .unwrap_or('\u{fffd}')
    } else {
        match body.as_str() {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "commat" => '@',
            "num" => '#',
            "grave" => '`',
            "bsol" => '\\',
            "colon" => ':',
            "lowbar" => '_',
            "nbsp" => '\u{a0}',
            _ => return None,
        }
    };
    Some((decoded, end + 1))
}

/// What GitHub renders of one line of inline Markdown outside code spans, per CommonMark: a
/// backslash escapes the ASCII punctuation after it (a `` \` `` opens no code span); a run of n
/// backticks opens a span closed by the next run of exactly n, and stays literal without one;
/// backslashes are literal inside spans; entity references (`&#64;`) become the character they
/// name, as text. A span ends the text around it (it reads as a space).
fn outside_code(line: &str) -> Vec<Rendered> {
    let s: Vec<char> = line.chars().collect();
    let run_at = |i: usize| s[i..].iter().take_while(|c| **c == '`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == '&'
            && let Some((decoded, len)) = entity(&s[i..])
        {
            out.push(Rendered {
                c: decoded,
                escaped: true,
            });
            i += len;
        } else if c == '\\' && s.get(i + 1).is_some_and(char::is_ascii_punctuation) {
            out.push(Rendered {
                c: s[i + 1],
                escaped: true,
            });
            i += 2;
        } else if c == '`' {
            let run = run_at(i);
            let mut j = i + run;
            let mut close = None;
            while j < s.len() {
                if s[j] == '`' {
                    let r = run_at(j);
                    if r == run {
                        close = Some(j);
                        break;
                    }
                    j += r;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(j) => {
                    out.push(Rendered {
                        c: ' ',
                        escaped: false,
                    });
                    i = j + run;
                }
                None => {
                    out.extend((0..run).map(|_| Rendered {
                        c: '`',
                        escaped: false,
                    }));
                    i += run;
                }
            }
        } else {
            out.push(Rendered { c, escaped: false });
            i += 1;
        }
    }
    out
}

/// Asserts that rendered inline Markdown notifies nobody, links no issue and holds no HTML.
///
/// GitHub links `@name` and `#123` only after a non-word character (`a@b.c` is an address), and its
/// pattern's word characters are ASCII (`[A-Za-z0-9_]`). HTML opens with `<` and a letter, `/`, `!`
/// or `?`; an escaped `\<` is text.
fn inert(md: &str) -> Result<(), TestCaseError> {
    let text = outside_code(md);
    let word = |r: Option<&Rendered>| r.is_some_and(|r| r.c.is_ascii_alphanumeric() || r.c == '_');
    for (k, r) in text.iter().enumerate() {
        let prev = k.checked_sub(1).and_then(|p| text.get(p));
        let next = text.get(k + 1).map(|n| n.c);
        match r.c {
            '@' => prop_assert!(
                word(prev) || !next.is_some_and(|n| n.is_ascii_alphanumeric()),
                "a mention renders from {:?}",
                md
            ),
            '#' => prop_assert!(
                word(prev) || !next.is_some_and(|n| n.is_ascii_digit()),
                "an issue reference renders from {:?}",
                md
            ),
            '<' if !r.escaped => prop_assert!(
                !next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
                "HTML renders from {:?}",
                md
            ),
            _ => {}
        }
    }
    Ok(())
}

/// Asserts that `block` is one fenced code block showing `text`: its opening fence is closed by
/// its last line and by no line before it.
fn one_fenced_block(block: &str, text: &str) -> Result<(), TestCaseError> {
    let lines = markdown_lines(block);
    let open = lines[0];
    let fence = open.chars().take_while(|c| *c == '`').count();
    prop_assert!(fence >= 3, "no opening fence: {:?}", block);
    prop_assert!(
        !open[fence..].contains('`'),
        "a backtick in the info string: {:?}",
        open
    );
    // CommonMark: a closing fence is up to three spaces, at least as many backticks as the
    // opening, then only spaces or tabs.
    let closes = |line: &str| {
        let body = line.trim_start_matches(' ');
        let ticks = body.chars().take_while(|c| *c == '`').count();
        line.len() - body.len() <= 3
            && ticks >= fence
            && body[ticks..].chars().all(|c| c == ' ' || c == '\t')
    };
    let closing: Vec<usize> = (1..lines.len()).filter(|&i| closes(lines[i])).collect();
    prop_assert_eq!(
        closing,
        vec![lines.len() - 1],
        "the fence closes early: {:?}",
        block
    );
    // What it shows is the text (less its final newlines), with only zero-width spaces added.
    let body = block
        .split_once('\n')
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.strip_suffix(lines[lines.len() - 1]))
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_default();
    prop_assert_eq!(
        body.replace(ZWSP, ""),
        text.trim_end_matches('\n').replace(ZWSP, "")
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// A fenced block can't be closed early by anything inside it, shows the text, and holds no
    /// workflow command (the Markdown may be printed to a step's log).
    #[test]
    fn code_blocks_cannot_be_closed_early(text in hostile(), lang in hostile()) {
        let block = code_block(&text, &lang);
        one_fenced_block(&block, &text)?;
        no_workflow_command(&block)?;
    }

    /// Inline text stays on one line and, rendered by GitHub, mentions nobody, links no issue,
    /// holds no HTML and no workflow command.
    #[test]
    fn inline_text_cannot_mention_link_or_inject_html(text in hostile()) {
        let md = inline(&text);
        prop_assert!(!md.contains(['\n', '\r']), "{:?} spans lines: {:?}", text, md);
        inert(&md)?;
        no_workflow_command(&md)?;
    }

    /// `commands` leaves no workflow command on any line the runner reads, and only adds
    /// zero-width spaces: the text reads the same.
    #[test]
    fn commands_leave_no_workflow_command(text in hostile()) {
        let out = commands(&text);
        no_workflow_command(&out)?;
        prop_assert_eq!(out.replace(ZWSP, ""), text.replace(ZWSP, ""));
    }
}

proptest! {
    // Each case renders a template from disk: fewer cases.
    #![proptest_config(config(128))]

    /// The filters as templates use them (`md`, `md_cell`, `code_block`), through the real
    /// template environment: the rendered report stays inert whatever the log text.
    #[test]
    fn rendered_templates_stay_inert(text in hostile(), lang in hostile()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("props.md.j2"),
            "{{ t | md }}\n| {{ t | md_cell }} |\n{{ t | code_block(lang) }}\n",
        )
        .unwrap();
        let context = serde_json::json!({ "t": text, "lang": lang });
        let md = super::render_template(&context, "props.md.j2", Some(dir.path())).unwrap();
        let mut parts = md.splitn(3, '\n');
        let (line, cell, block) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        inert(line)?;
        inert(cell)?;
        one_fenced_block(block.strip_suffix('\n').unwrap_or(block), &text)?;
        no_workflow_command(&md)?;
    }
}
