//! GitHub: the REST calls the tool makes, and the only module that touches octocrab.
//!
//! octocrab serves as an authenticated, base-URL-aware HTTP client (so GitHub Enterprise Server's
//! `https://HOST/api/v3` works); its own retries are off and its typed models unused (they fail on
//! real Actions data). [`http::Transport`] paces and retries; [`models`] reads leniently.

mod http;
pub(crate) mod models;
mod policy;

use ::http::Method;
use serde::de::DeserializeOwned;
use serde_json::json;

pub(crate) use self::http::Settings;
use self::http::Transport;
use models::{Comment, Issue, Job, JobsPage, Pull, Run, RunsPage};

/// Pages are followed up to this many (100 items each).
const MAX_PAGES: u32 = 100;

/// Why a call to GitHub did not succeed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GithubError {
    #[error("couldn't set up the GitHub client: {0}")]
    Setup(String),
    #[error("{request}: HTTP {status}: {message}")]
    Status {
        request: String,
        status: u16,
        message: String,
    },
    #[error("{request}: rate limited; GitHub asks to wait {wait_seconds} s")]
    RateLimited { request: String, wait_seconds: u64 },
    #[error("{request}: {reason}")]
    Transport { request: String, reason: String },
    /// A write that may or may not have been applied (a `5xx`, a lost connection).
    #[error("{request}: outcome unknown ({reason})")]
    Uncertain { request: String, reason: String },
    #[error("{request}: not sent: GitHub failed repeatedly, the circuit breaker is open")]
    BreakerOpen { request: String },
    #[error("{request}: unexpected response: {message}")]
    Decode { request: String, message: String },
}

impl GithubError {
    /// Whether GitHub answered that the thing does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Self::Status { status: 404, .. })
    }
}

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repo {
    pub(crate) owner: String,
    pub(crate) name: String,
}

impl std::str::FromStr for Repo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Self {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(format!("`{s}` is not OWNER/REPO")),
        }
    }
}

impl std::fmt::Display for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a `Link` header names a next page.
fn has_next(headers: &::http::HeaderMap) -> bool {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("rel=\"next\""))
}

/// A client for one repository.
#[derive(Debug)]
pub(crate) struct Client {
    transport: Transport,
    pub(crate) repo: Repo,
}

impl Client {
    /// `api_url` is `GITHUB_API_URL` (`https://api.github.com`, or `https://HOST/api/v3`).
    pub(crate) fn new(
        api_url: &str,
        token: Option<&str>,
        repo: Repo,
        settings: Settings,
        seed: u64,
    ) -> Result<Self, GithubError> {
        Ok(Self {
            transport: Transport::new(api_url, token, settings, seed)?,
            repo,
        })
    }

    fn route(&self, tail: &str) -> String {
        format!("/repos/{}/{}{tail}", self.repo.owner, self.repo.name)
    }

    fn json<T: DeserializeOwned>(request: &str, body: &[u8]) -> Result<T, GithubError> {
        serde_json::from_slice(body).map_err(|e| GithubError::Decode {
            request: request.to_owned(),
            message: e.to_string(),
        })
    }

    fn get<T: DeserializeOwned>(&mut self, route: &str) -> Result<T, GithubError> {
        let response = self.transport.send(&Method::GET, route, None)?;
        Self::json(route, &response.body)
    }

    /// Every page of a list, following `Link: rel="next"`.
    fn pages<P: DeserializeOwned, T>(
        &mut self,
        route: &str,
        items: impl Fn(P) -> Vec<T>,
    ) -> Result<Vec<T>, GithubError> {
        let sep = if route.contains('?') { '&' } else { '?' };
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let url = format!("{route}{sep}per_page=100&page={page}");
            let response = self.transport.send(&Method::GET, &url, None)?;
            all.extend(items(Self::json(&url, &response.body)?));
            if !has_next(&response.headers) {
                break;
            }
        }
        Ok(all)
    }

    fn write(
        &mut self,
        method: &Method,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, GithubError> {
        Ok(self.transport.send(method, route, body)?.body)
    }

    pub(crate) fn run(&mut self, run_id: u64) -> Result<Run, GithubError> {
        self.get(&self.route(&format!("/actions/runs/{run_id}")))
    }

    /// The jobs of one attempt of a run.
    pub(crate) fn jobs(&mut self, run_id: u64, attempt: u32) -> Result<Vec<Job>, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/attempts/{attempt}/jobs"));
        self.pages(&route, |p: JobsPage| p.jobs)
    }

    /// A job's log as plain text (GitHub redirects to storage; the redirect is followed).
    pub(crate) fn job_log(&mut self, job_id: u64) -> Result<Vec<u8>, GithubError> {
        let route = self.route(&format!("/actions/jobs/{job_id}/logs"));
        Ok(self.transport.send(&Method::GET, &route, None)?.body)
    }

    /// The logs zip of one attempt of a run (only once the whole run has completed).
    pub(crate) fn attempt_logs(
        &mut self,
        run_id: u64,
        attempt: u32,
    ) -> Result<Vec<u8>, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/attempts/{attempt}/logs"));
        Ok(self.transport.send(&Method::GET, &route, None)?.body)
    }

    /// The workflow runs of a commit.
    pub(crate) fn runs_for_commit(&mut self, sha: &str) -> Result<Vec<Run>, GithubError> {
        let route = self.route(&format!("/actions/runs?head_sha={}", encode(sha)));
        self.pages(&route, |p: RunsPage| p.workflow_runs)
    }

    /// Pull requests whose head is `sha` (how a fork's PR is found: its run lists none).
    pub(crate) fn pulls_for_commit(&mut self, sha: &str) -> Result<Vec<Pull>, GithubError> {
        let route = self.route(&format!("/commits/{}/pulls", encode(sha)));
        self.pages(&route, |p: Vec<Pull>| p)
    }

    pub(crate) fn rerun_failed_jobs(
        &mut self,
        run_id: u64,
        debug: bool,
    ) -> Result<(), GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/rerun-failed-jobs"));
        self.write(
            &Method::POST,
            &route,
            Some(&json!({ "enable_debug_logging": debug })),
        )
        .map(drop)
    }

    /// Deletes the caches with exactly `key` (on `git_ref` when given); `false` when there was none.
    pub(crate) fn delete_caches(
        &mut self,
        key: &str,
        git_ref: Option<&str>,
    ) -> Result<bool, GithubError> {
        let mut route = self.route(&format!("/actions/caches?key={}", encode(key)));
        if let Some(r) = git_ref {
            route.push_str(&format!("&ref={}", encode(r)));
        }
        match self.write(&Method::DELETE, &route, None) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The jobs of a run's latest attempt.
    pub(crate) fn latest_jobs(&mut self, run_id: u64) -> Result<Vec<Job>, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/jobs?filter=latest"));
        self.pages(&route, |p: JobsPage| p.jobs)
    }

    /// Open pull requests whose head is `sha`, from the list of open pull requests (for servers
    /// without the commit's pulls endpoint).
    pub(crate) fn open_pulls_with_head(&mut self, sha: &str) -> Result<Vec<Pull>, GithubError> {
        let route = self.route("/pulls?state=open");
        let all = self.pages(&route, |p: Vec<Pull>| p)?;
        Ok(all.into_iter().filter(|p| p.head.sha == sha).collect())
    }

    /// Every comment of an issue or pull request.
    pub(crate) fn comments(&mut self, number: u64) -> Result<Vec<Comment>, GithubError> {
        let route = self.route(&format!("/issues/{number}/comments"));
        self.pages(&route, |p: Vec<Comment>| p)
    }

    pub(crate) fn create_comment(
        &mut self,
        number: u64,
        body: &str,
    ) -> Result<Comment, GithubError> {
        let route = self.route(&format!("/issues/{number}/comments"));
        let bytes = self.write(&Method::POST, &route, Some(&json!({ "body": body })))?;
        Self::json(&route, &bytes)
    }

    pub(crate) fn update_comment(&mut self, id: u64, body: &str) -> Result<(), GithubError> {
        let route = self.route(&format!("/issues/comments/{id}"));
        self.write(&Method::PATCH, &route, Some(&json!({ "body": body })))
            .map(drop)
    }

    /// Every issue (open or closed) with `label`; pull requests are left out.
    pub(crate) fn issues(&mut self, label: &str) -> Result<Vec<Issue>, GithubError> {
        let route = self.route(&format!("/issues?labels={}&state=all", encode(label)));
        let all = self.pages(&route, |p: Vec<Issue>| p)?;
        Ok(all
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .collect())
    }

    pub(crate) fn create_issue(
        &mut self,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> Result<Issue, GithubError> {
        let route = self.route("/issues");
        let bytes = self.write(
            &Method::POST,
            &route,
            Some(&json!({ "title": title, "body": body, "labels": labels })),
        )?;
        Self::json(&route, &bytes)
    }

    /// Replaces an issue's body, and reopens it when `reopen`.
    pub(crate) fn update_issue(
        &mut self,
        number: u64,
        body: &str,
        reopen: bool,
    ) -> Result<(), GithubError> {
        let route = self.route(&format!("/issues/{number}"));
        let patch = if reopen {
            json!({ "body": body, "state": "open" })
        } else {
            json!({ "body": body })
        };
        self.write(&Method::PATCH, &route, Some(&patch)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        let r: Repo = "octo-org/hello.world".parse().unwrap();
        assert_eq!(
            (r.owner.as_str(), r.name.as_str()),
            ("octo-org", "hello.world")
        );
        for bad in ["", "a", "a/", "/b", "a/b/c", "a/..", "a b/c", "a/b?x=1"] {
            assert!(bad.parse::<Repo>().is_err(), "{bad}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("Linux-cargo-ab12"), "Linux-cargo-ab12");
        assert_eq!(encode("refs/pull/7/merge"), "refs%2Fpull%2F7%2Fmerge");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
    }

    #[test]
    fn link_header_next() {
        let mut h = ::http::HeaderMap::new();
        assert!(!has_next(&h));
        h.insert(
            "link",
            "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert!(has_next(&h));
        h.insert(
            "link",
            "<https://api.github.com/x?page=1>; rel=\"prev\""
                .parse()
                .unwrap(),
        );
        assert!(!has_next(&h));
    }
}
