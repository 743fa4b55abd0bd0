//! Neutralising hostile log text before it is echoed: workflow commands, mentions, HTML, fence breaks.
//!
//! Log lines are attacker-controlled. Printed in a GitHub Actions step, a line starting with `::` is a
//! workflow command (`::add-mask::`, `::set-output::`…) and `##[` starts a legacy one; posted to GitHub,
//! `@name` notifies a user, `#123` links an issue, raw HTML renders, and a backtick run can close the
//! code fence around it. A zero-width space (U+200B) breaks each of these without changing what a
//! reader sees.

use std::borrow::Cow;

const ZWSP: char = '\u{200B}';

/// Breaks workflow commands: `::` opening a line (after any indentation) and `##[` anywhere.
pub(crate) fn commands(text: &str) -> Cow<'_, str> {
    if !text.contains("::") && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    // The runner reads output with .NET's `ReadLine`, for which a lone `\r` also ends a line.
    for line in text.split_inclusive(['\n', '\r']) {
        let body = line.trim_start();
        let indent = line.get(..line.len() - body.len()).unwrap_or_default();
        out.push_str(indent);
        match body.strip_prefix("::") {
            Some(rest) => {
                out.push(':');
                out.push(ZWSP);
                out.push(':');
                out.push_str(&rest.replace("##[", "##\u{200B}["));
            }
            None => out.push_str(&body.replace("##[", "##\u{200B}[")),
        }
    }
    Cow::Owned(out)
}

/// Makes text safe as inline Markdown: outside code spans, mentions, issue references and HTML are
/// broken; inside them nothing renders, so nothing changes. Newlines become spaces.
pub(crate) fn inline(text: &str) -> String {
    let flat = text.replace(['\r', '\n'], " ");
    let mut out = String::with_capacity(flat.len() + 8);
    let mut rest = flat.as_str();
    while !rest.is_empty() {
        let Some(open) = rest.find('`') else {
            out.push_str(&plain(rest));
            break;
        };
        let (before, from) = rest.split_at(open);
        out.push_str(&plain(before));
        let ticks = from.len() - from.trim_start_matches('`').len();
        let fence = "`".repeat(ticks);
        let after = from.get(ticks..).unwrap_or_default();
        match after.find(&fence) {
            Some(close)
                if !after
                    .get(close + ticks..)
                    .unwrap_or_default()
                    .starts_with('`') =>
            {
                out.push_str(&fence);
                out.push_str(after.get(..close).unwrap_or_default());
                out.push_str(&fence);
                rest = after.get(close + ticks..).unwrap_or_default();
            }
            _ => {
                // An unmatched backtick run renders literally; escape it so it cannot pair later.
                out.push_str(&"\\`".repeat(ticks));
                rest = after;
            }
        }
    }
    commands(&out).into_owned()
}

/// Inline Markdown for a table cell: also escapes the column separator.
pub(crate) fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Log text is literal: a backslash must not escape the backtick after it (which would
            // turn a code span's contents into live Markdown), nor `&#64;` decode to a mention.
            '\\' => out.push_str("\\\\"),
            '&' => out.push_str("&amp;"),
            '@' | '#'
                if chars
                    .peek()
                    .is_some_and(|n| n.is_alphanumeric() || *n == '_' || *n == '-')
                    // GitHub's pattern is `(?:^|\W)@`, with ASCII word characters: `é@x` mentions.
                    && !prev.is_some_and(|p| p.is_ascii_alphanumeric()) =>
            {
                out.push(c);
                out.push(ZWSP);
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// A fenced code block that `text` cannot break out of: the fence is longer than any backtick run
/// inside, and workflow commands are neutralised.
pub(crate) fn code_block(text: &str, lang: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let lang: String = lang.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!(
        "{fence}{lang}\n{}\n{fence}",
        commands(text.trim_end_matches('\n'))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_workflow_commands() {
        #[track_caller]
        fn case(input: &str, expected: &str) {
            assert_eq!(commands(input), expected);
        }
        case("::add-mask::secret", ":\u{200B}:add-mask::secret");
        case(
            "   ::set-output name=x::y",
            "   :\u{200B}:set-output name=x::y",
        );
        case("##[error]boom", "##\u{200B}[error]boom");
        case("a::b is fine", "a::b is fine");
        case("x\n::warning::y", "x\n:\u{200B}:warning::y");
    }

    #[test]
    fn inline_text_cannot_mention_link_or_inject_html() {
        #[track_caller]
        fn case(input: &str, expected: &str) {
            assert_eq!(inline(input), expected);
        }
        case("ping @octocat", "ping @\u{200B}octocat");
        case("see #123", "see #\u{200B}123");
        case("mail a@b.c", "mail a@b.c");
        case(
            "<img src=x onerror=alert(1)>",
            "&lt;img src=x onerror=alert(1)&gt;",
        );
        case("run `npm i @types/node` now", "run `npm i @types/node` now");
        case("a ` stray", "a \\` stray");
        case("two\nlines", "two lines");
        assert_eq!(cell("a|b"), "a\\|b");
    }

    #[test]
    fn code_blocks_outgrow_any_fence_inside() {
        let evil = "```\n@admin <b>x</b>\n````";
        let block = code_block(evil, "text");
        assert!(block.starts_with("`````text\n"), "{block}");
        assert!(block.ends_with("\n`````"), "{block}");
        assert_eq!(code_block("plain", ""), "```\nplain\n```");
    }
}
