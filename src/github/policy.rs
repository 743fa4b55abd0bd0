//! How to treat a GitHub response: success, a wait then a retry, or a failure, by GitHub's own rules.
//!
//! From GitHub's REST documentation ("Rate limits for the REST API", "Best practices"): a `403` or
//! `429` with `retry-after` means wait that many seconds; with `x-ratelimit-remaining: 0`, wait until
//! `x-ratelimit-reset`; a secondary limit without either, wait at least a minute. A rate-limited
//! request was refused, so even a write can be sent again. A `5xx` or a lost connection on a write
//! may have applied: it is never resent blindly; the caller checks GitHub first.

use http::{HeaderMap, StatusCode};

/// What to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    Success,
    /// Refused by a rate limit: safe to send again after `wait_seconds`.
    RateLimited {
        wait_seconds: u64,
    },
    /// The server failed: a read may be retried after a back-off; a write's effect is unknown.
    ServerError,
    /// Any other refusal (`404`, `403` without rate limiting, `422`): retrying will not help.
    Refused,
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Classifies a response from its status, headers and body, at `now` (Unix seconds).
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    now: u64,
) -> Disposition {
    if status.is_success() || status.is_redirection() {
        return Disposition::Success;
    }
    if status.is_server_error() {
        return Disposition::ServerError;
    }
    let forbidden = status == StatusCode::FORBIDDEN;
    if status == StatusCode::TOO_MANY_REQUESTS || forbidden {
        if let Some(seconds) = header_u64(headers, "retry-after") {
            return Disposition::RateLimited {
                wait_seconds: seconds,
            };
        }
        if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
            let reset = header_u64(headers, "x-ratelimit-reset").unwrap_or(now + 60);
            return Disposition::RateLimited {
                wait_seconds: reset.saturating_sub(now).max(1),
            };
        }
        let secondary = body.to_ascii_lowercase().contains("rate limit");
        if status == StatusCode::TOO_MANY_REQUESTS || secondary {
            return Disposition::RateLimited { wait_seconds: 60 };
        }
    }
    Disposition::Refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn success_and_redirects() {
        for code in [200, 201, 204, 302] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(
                classify(status, &HeaderMap::new(), "", 0),
                Disposition::Success
            );
        }
    }

    #[test]
    fn retry_after_wins_over_the_reset_time() {
        let h = headers(&[
            ("retry-after", "7"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000"),
        ]);
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &h, "", 900),
            Disposition::RateLimited { wait_seconds: 7 }
        );
    }

    #[test]
    fn primary_limit_waits_until_the_reset() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1030"),
        ]);
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &h, "", 1000),
            Disposition::RateLimited { wait_seconds: 30 }
        );
        // A reset already past still waits a second, never zero.
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, "", 2000),
            Disposition::RateLimited { wait_seconds: 1 }
        );
    }

    #[test]
    fn secondary_limit_without_headers_waits_a_minute() {
        let body = r#"{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &HeaderMap::new(), body, 0),
            Disposition::RateLimited { wait_seconds: 60 }
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), "", 0),
            Disposition::RateLimited { wait_seconds: 60 }
        );
    }

    #[test]
    fn a_permission_403_is_a_refusal_not_a_rate_limit() {
        let h = headers(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-accepted-github-permissions", "actions=write"),
        ]);
        let body = r#"{"message": "Resource not accessible by integration"}"#;
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &h, body, 0),
            Disposition::Refused
        );
        assert_eq!(
            classify(StatusCode::NOT_FOUND, &h, "", 0),
            Disposition::Refused
        );
    }

    #[test]
    fn server_errors() {
        for code in [500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(
                classify(status, &HeaderMap::new(), "", 0),
                Disposition::ServerError
            );
        }
    }
}
