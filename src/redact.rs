//! Secret redaction: applied to every log excerpt before it is printed, written or sent anywhere.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// One secret format: its name (shown in the replacement) and a pattern. When the pattern has a group
/// named `keep`, that part stays (a header name, a URL scheme) and only the rest is replaced.
struct Format {
    name: &'static str,
    pattern: &'static str,
}

#[rustfmt::skip]
const FORMATS: &[Format] = &[
    // https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats
    Format { name: "github-token", pattern: r"\bgh[pousr]_[A-Za-z0-9]{36,}\b" },
    Format { name: "github-token", pattern: r"\bgithub_pat_[A-Za-z0-9_]{22,}\b" },
    // https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/
    Format { name: "npm-token", pattern: r"\bnpm_[A-Za-z0-9]{36}\b" },
    // https://pypi.org/help/#apitoken (macaroons start with the base64 of "pypi.org")
    Format { name: "pypi-token", pattern: r"\bpypi-AgE[A-Za-z0-9_-]{40,}" },
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
    Format { name: "aws-access-key", pattern: r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b" },
    Format { name: "aws-secret-key", pattern: r#"(?i)(?P<keep>aws_secret_access_key["']?\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}"# },
    // https://api.slack.com/authentication/token-types
    Format { name: "slack-token", pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}" },
    Format { name: "slack-webhook", pattern: r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+" },
    // RFC 7519: three base64url parts, the first two JSON objects ("eyJ" is `{"`).
    Format { name: "jwt", pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}" },
    // RFC 7468 PEM: the header line, and body lines (64 base64 characters of mixed case).
    Format { name: "private-key", pattern: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*" },
    Format { name: "private-key", pattern: r"^\s*[A-Za-z0-9+/]*(?:[a-z][A-Za-z0-9+/]*[A-Z]|[A-Z][A-Za-z0-9+/]*[a-z])[A-Za-z0-9+/]*={0,2}\s*$" },
    // userinfo in a URL: scheme://user:password@host
    Format { name: "url-credentials", pattern: r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@" },
    Format { name: "auth-header", pattern: r"(?i)(?P<keep>\bauthorization:\s*(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}" },
    Format { name: "secret", pattern: r#"(?i)(?P<keep>\b[a-z_]*(?:password|passwd|secret|api[_-]?key|access[_-]?token)["']?\s*[=:]\s*["']?)[^\s"'*\[][^\s"']{5,}"# },
];

struct Compiled {
    name: &'static str,
    regex: Regex,
    keeps: bool,
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .filter_map(|f| {
            let regex = Regex::new(f.pattern).ok()?;
            let keeps = regex.capture_names().flatten().any(|n| n == "keep");
            Some(Compiled {
                name: f.name,
                regex,
                keeps,
            })
        })
        .collect()
});

/// A PEM body line is long; the mixed-case check alone would also hit short words.
const MIN_PEM_BODY: usize = 60;

/// Replaces every secret in `text` with `[REDACTED:<kind>]`.
/// Compiles the secret formats now rather than when the first text is redacted.
pub(crate) fn warm() {
    LazyLock::force(&COMPILED);
}

pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for c in COMPILED.iter() {
        if c.name == "private-key"
            && c.regex.as_str().starts_with('^')
            && out.trim().len() < MIN_PEM_BODY
        {
            continue;
        }
        if !c.regex.is_match(&out) {
            continue;
        }
        let replaced = if c.keeps {
            c.regex
                .replace_all(&out, format!("${{keep}}[REDACTED:{}]", c.name).as_str())
                .into_owned()
        } else {
            c.regex
                .replace_all(&out, format!("[REDACTED:{}]", c.name).as_str())
                .into_owned()
        };
        out = Cow::Owned(replaced);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_compiles() {
        assert_eq!(COMPILED.len(), FORMATS.len());
    }

    #[test]
    fn redacts_each_format() {
        #[track_caller]
        fn case(input: &str, expected: &str) {
            assert_eq!(redact(input), expected);
        }
        case(
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB used",
            "token [REDACTED:github-token] used",
        );
        case(
            "GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "GH=[REDACTED:github-token]",
        );
        case(
            "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
            "//registry.npmjs.org/:_authToken=[REDACTED:npm-token]",
        );
        case(
            "password: pypi-AgEIcHlwaS5vcmcCJGE0ZjM4YzFhLWRlZmEtNGQ0Ni05ZmY3LTk1ZDQxZDVhN2Q3MgACKlszLCJm",
            "password: [REDACTED:pypi-token]",
        );
        case(
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            "AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]",
        );
        case(
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED:aws-secret-key]",
        );
        case(
            "SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
            "SLACK=[REDACTED:slack-token]",
        );
        case(
            "curl https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "curl [REDACTED:slack-webhook]",
        );
        case(
            "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "bearer [REDACTED:jwt]",
        );
        case("-----BEGIN RSA PRIVATE KEY-----", "[REDACTED:private-key]");
        case(
            "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi6a0ZxXhU5pVhF9+zTb6z4D1hQ",
            "[REDACTED:private-key]",
        );
        case(
            "git clone https://x-access-token:s3cr3tvalue@github.com/o/r",
            "git clone https://[REDACTED:url-credentials]github.com/o/r",
        );
        case(
            "Authorization: Bearer abcdef0123456789",
            "Authorization: Bearer [REDACTED:auth-header]",
        );
        case(
            "DB_PASSWORD=hunter22hunter",
            "DB_PASSWORD=[REDACTED:secret]",
        );
    }

    #[test]
    fn leaves_ordinary_lines_alone() {
        for line in [
            "sha256:4edbd2beb5f78b1014028f4fbb99f3237d9561100b6881aabbf5acce2c4f9454",
            "error[E0425]: cannot find value `x` in this scope",
            "https://github.com/o/r/actions/runs/123",
            "password: ***",
            "Downloading https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            "ThisIsAVeryLongCamelCaseIdentifierButWithSpaces in it and more words here ok",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
