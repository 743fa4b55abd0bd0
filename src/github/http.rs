//! One request to GitHub, the way GitHub asks to be called: serial writes at least a second apart,
//! rate limits waited out, reads retried with full-jitter back-off, writes never resent when they
//! may have applied, and a circuit breaker that stops calling after repeated failures.

use std::time::{Duration, Instant};

use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::BodyExt as _;
use octocrab::Octocrab;

use super::GithubError;
use super::policy::{Disposition, classify};
use crate::backoff::{Backoff, Rng};

/// How the client paces and retries; `[github]` in the config.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// A request that takes longer than this has failed.
    pub(crate) timeout_seconds: u64,
    /// Retries of a read (and of a rate-limited write) before giving up.
    pub(crate) max_retries: u32,
    /// Full-jitter back-off between read retries: base and cap, in milliseconds.
    pub(crate) backoff_base_ms: u64,
    pub(crate) backoff_cap_ms: u64,
    /// A rate limit that asks for a longer wait than this is not waited out: the call fails.
    pub(crate) max_wait_seconds: u64,
    /// Pause between two writes (GitHub: "wait at least one second between each request").
    pub(crate) write_spacing_ms: u64,
    /// Consecutive failed calls after which no further call is made.
    pub(crate) breaker_failures: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout_seconds: 30,
            max_retries: 3,
            backoff_base_ms: 1000,
            backoff_cap_ms: 30_000,
            max_wait_seconds: 120,
            write_spacing_ms: 1000,
            breaker_failures: 3,
        }
    }
}

/// A response whose status GitHub meant as success.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// The transport with its pacing and failure state.
#[derive(Debug)]
pub(crate) struct Transport {
    octo: Octocrab,
    runtime: tokio::runtime::Runtime,
    settings: Settings,
    rng: Rng,
    last_write: Option<Instant>,
    failures: u32,
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// GitHub's error `message`, or the start of the body.
fn message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

impl Transport {
    pub(crate) fn new(
        api_url: &str,
        token: Option<&str>,
        settings: Settings,
        seed: u64,
    ) -> Result<Self, GithubError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GithubError::Setup(e.to_string()))?;
        let octo = runtime.block_on(async {
            let timeout = Some(Duration::from_secs(settings.timeout_seconds));
            // octocrab is built without its `retry` feature, so it has no retry layer (its default
            // resends a POST after a 5xx, duplicating comments): every retry is ours.
            let mut builder = Octocrab::builder()
                .set_connect_timeout(timeout)
                .set_read_timeout(timeout)
                .set_write_timeout(timeout)
                .base_uri(api_url)
                .map_err(|e| GithubError::Setup(format!("API URL `{api_url}`: {e}")))?;
            if let Some(token) = token {
                builder = builder.personal_token(token.to_owned());
            }
            builder
                .build()
                .map_err(|e| GithubError::Setup(e.to_string()))
        })?;
        Ok(Self {
            octo,
            runtime,
            settings,
            rng: Rng::new(seed),
            last_write: None,
            failures: 0,
        })
    }

    fn breaker_open(&self) -> bool {
        self.failures >= self.settings.breaker_failures
    }

    fn failed(&mut self) {
        self.failures += 1;
    }

    fn pace_write(&mut self) {
        let spacing = Duration::from_millis(self.settings.write_spacing_ms);
        if let Some(last) = self.last_write {
            let since = last.elapsed();
            if since < spacing {
                std::thread::sleep(spacing - since);
            }
        }
        self.last_write = Some(Instant::now());
    }

    fn backoff(&mut self, retry: u32) {
        let b = Backoff {
            base: self.settings.backoff_base_ms,
            cap: self.settings.backoff_cap_ms,
        };
        std::thread::sleep(Duration::from_millis(b.delay(retry, &mut self.rng)));
    }

    /// One attempt: the status, headers and whole body, or a transport error in words.
    fn once(
        &self,
        method: &Method,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), String> {
        let uri: Uri = route
            .parse()
            .map_err(|e| format!("bad route `{route}`: {e}"))?;
        let timeout = Duration::from_secs(self.settings.timeout_seconds);
        self.runtime.block_on(async {
            let request = self
                .octo
                .build_request(
                    http::request::Builder::new()
                        .method(method.clone())
                        .uri(uri),
                    body,
                )
                .map_err(|e| e.to_string())?;
            let call = async {
                let response = self.octo.execute(request).await.map_err(|e| {
                    let mut text = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        text = format!("{text}: {s}");
                        source = s.source();
                    }
                    text
                })?;
                let (parts, body) = response.into_parts();
                let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
                Ok::<_, String>((parts.status, parts.headers, bytes.to_vec()))
            };
            tokio::time::timeout(timeout, call)
                .await
                .map_err(|_| format!("no response within {} s", timeout.as_secs()))?
        })
    }

    /// Sends one request, with GitHub's pacing and our retry policy.
    pub(crate) fn send(
        &mut self,
        method: &Method,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GithubError> {
        let what = format!("{method} {}", route.split('?').next().unwrap_or(route));
        if self.breaker_open() {
            return Err(GithubError::BreakerOpen { request: what });
        }
        let write = is_write(method);
        let mut retry = 0;
        loop {
            if write {
                self.pace_write();
            }
            let (status, headers, bytes) = match self.once(method, route, body) {
                Ok(r) => r,
                Err(e) if write => {
                    self.failed();
                    return Err(GithubError::Uncertain {
                        request: what,
                        reason: e,
                    });
                }
                Err(e) => {
                    if retry < self.settings.max_retries {
                        retry += 1;
                        self.backoff(retry);
                        continue;
                    }
                    self.failed();
                    return Err(GithubError::Transport {
                        request: what,
                        reason: e,
                    });
                }
            };
            let text = String::from_utf8_lossy(bytes.get(..bytes.len().min(2048)).unwrap_or(&[]));
            match classify(status, &headers, &text, crate::clock::now_unix()) {
                Disposition::Success => {
                    self.failures = 0;
                    return Ok(Response {
                        headers,
                        body: bytes,
                    });
                }
                Disposition::RateLimited { wait_seconds } => {
                    if wait_seconds > self.settings.max_wait_seconds
                        || retry >= self.settings.max_retries
                    {
                        return Err(GithubError::RateLimited {
                            request: what,
                            wait_seconds,
                        });
                    }
                    retry += 1;
                    std::thread::sleep(Duration::from_secs(wait_seconds));
                }
                Disposition::ServerError if write => {
                    self.failed();
                    return Err(GithubError::Uncertain {
                        request: what,
                        reason: format!("HTTP {status}: {}", message(&bytes)),
                    });
                }
                Disposition::ServerError if retry < self.settings.max_retries => {
                    retry += 1;
                    self.backoff(retry);
                }
                Disposition::ServerError => {
                    self.failed();
                    return Err(GithubError::Status {
                        request: what,
                        status: status.as_u16(),
                        message: message(&bytes),
                    });
                }
                Disposition::Refused => {
                    return Err(GithubError::Status {
                        request: what,
                        status: status.as_u16(),
                        message: message(&bytes),
                    });
                }
            }
        }
    }
}
