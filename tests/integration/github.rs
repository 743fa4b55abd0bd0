//! `run` against a `wiremock` server that behaves like GitHub's REST API, faults included. Every
//! test asserts on the requests GitHub received: no duplicate comment, issue, re-run or delete.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{bin, root};

const RUN: u64 = 100;
const JOB: u64 = 11;
const PR: u64 = 7;

fn repo(tail: &str) -> String {
    format!("/repos/o/r{tail}")
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(root().join("fixtures/logs").join(name)).unwrap()
}

/// A run of `o/r` at `attempt`, with a failed `build` job whose log is `log`, on PR #7.
async fn github(log: &str, attempt: u32) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": RUN, "run_attempt": attempt, "head_sha": "abc123", "head_branch": "feature",
            "status": "completed", "conclusion": "failure", "event": "pull_request",
            "html_url": format!("https://github.com/o/r/actions/runs/{RUN}"),
            "pull_requests": [{"number": PR}],
            "some_new_field": {"nested": true}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(repo(&format!(
            "/actions/runs/{RUN}/attempts/{attempt}/jobs"
        ))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 2,
            "jobs": [
                {"id": JOB, "name": "build", "status": "completed", "conclusion": "failure"},
                {"id": 12, "name": "docs", "status": "completed", "conclusion": "success"}
            ]
        })))
        .mount(&server)
        .await;
    // The per-job log endpoint redirects to storage, as GitHub's does.
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/jobs/{JOB}/logs"))))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/blob/job-{JOB}.txt", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/blob/job-{JOB}.txt")))
        .respond_with(ResponseTemplate::new(200).set_body_string(log))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(repo("/actions/runs")))
        .and(query_param("head_sha", "abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 1, "workflow_runs": [{"id": RUN, "run_attempt": attempt}]
        })))
        .mount(&server)
        .await;
    // No issue yet (no escalation, no re-run ledger); a test mounts its own list to change that.
    Mock::given(method("GET"))
        .and(path(repo("/issues")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

/// [`github`] serving the fixture log `name`.
async fn fixture_github(name: &str, attempt: u32) -> MockServer {
    github(&fixture_text(name), attempt).await
}

async fn ok(server: &MockServer, verb: &str, p: &str, body: Value) {
    Mock::given(method(verb))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Writes accepted as GitHub accepts them, and nothing found yet.
async fn accept_writes(server: &MockServer) {
    accept_comments(server, PR).await;
    Mock::given(method("POST"))
        .and(path(repo("/issues")))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"number": 42, "state": "open"})),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(repo(&format!(
            "/actions/runs/{RUN}/rerun-failed-jobs"
        ))))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({})))
        .mount(server)
        .await;
}

/// PR `pr` has no comment yet, and accepts one.
async fn accept_comments(server: &MockServer, pr: u64) {
    ok(
        server,
        "GET",
        &repo(&format!("/issues/{pr}/comments")),
        json!([]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(repo(&format!("/issues/{pr}/comments"))))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 500, "body": "x"})))
        .mount(server)
        .await;
}

/// The run lists no pull request (as a fork's run does): the PR must be found by its commit.
async fn run_without_pr(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": RUN, "run_attempt": 1, "head_sha": "abc123", "event": "pull_request",
            "status": "completed", "pull_requests": []
        })))
        .with_priority(1)
        .mount(server)
        .await;
}

/// What one `run` invocation did.
struct Outcome {
    code: Option<i32>,
    report: Value,
    stderr: String,
}

/// Fast pacing for tests; the rules are the same, only the waits are shorter.
const FAST: &str = "[github]\ntimeout_seconds = 2\nbackoff_base_ms = 10\nbackoff_cap_ms = 50\nwrite_spacing_ms = 20\n";

async fn run(server: &MockServer, args: &[&str], token: Option<&str>) -> Outcome {
    let uri = server.uri();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let config = dir.path().join("c.toml");
        std::fs::write(&config, FAST).unwrap();
        let mut cmd = bin();
        cmd.args([
            "run",
            "--repo",
            "o/r",
            "--run-id",
            &RUN.to_string(),
            "--report",
        ])
        .arg(&report)
        .arg("--config")
        .arg(&config)
        .args(&args)
        .env("GITHUB_API_URL", &uri);
        if let Some(t) = &token {
            cmd.env("GITHUB_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report = std::fs::read_to_string(&report)
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or_else(|_| panic!("no report written; stderr: {stderr}"));
        Outcome {
            code: out.status.code(),
            report,
            stderr,
        }
    })
    .await
    .unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

/// How many `verb` requests reached `p`.
async fn count(server: &MockServer, verb: &str, p: &str) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .count()
}

/// The JSON body of the first `verb` request (to `p`, when given).
async fn first_body(server: &MockServer, verb: &str, p: Option<&str>) -> Value {
    let all = requests(server).await;
    let request = all
        .iter()
        .find(|r| r.method.as_str() == verb && p.is_none_or(|p| r.url.path() == p))
        .unwrap_or_else(|| panic!("no {verb} request"));
    serde_json::from_slice(&request.body).unwrap()
}

/// The bodies of the issues created, split into escalations and re-run ledgers.
async fn created_issues(server: &MockServer) -> (Vec<Value>, Vec<Value>) {
    let bodies: Vec<Value> = requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == repo("/issues"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    bodies.into_iter().partition(|b| {
        b["body"]
            .as_str()
            .unwrap()
            .contains("recovery-agent:fingerprint=")
    })
}

async fn writes(server: &MockServer) -> Vec<String> {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn rerun_path() -> String {
    repo(&format!("/actions/runs/{RUN}/rerun-failed-jobs"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transient_failure_is_rerun_exactly_once_and_commented_once() {
    let server = fixture_github("network-docker-buildkit-layer-fetch-failed.log", 1).await;
    accept_writes(&server).await;
    let first = run(&server, &["--exit-zero"], Some("t0k3n")).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(first.report["verdict"], "retry");
    assert_eq!(
        first.report["jobs"].as_array().unwrap().len(),
        1,
        "only the failed job"
    );
    let actions = &first.report["jobs"][0]["actions"];
    assert_eq!(actions[0]["action"], "retry");
    assert_eq!(actions[0]["status"], "done", "{actions}");
    assert_eq!(count(&server, "POST", &rerun_path()).await, 1);
    let reruns: Vec<Value> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == rerun_path())
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(reruns, [json!({"enable_debug_logging": false})]);
    assert_eq!(
        count(&server, "POST", &repo(&format!("/issues/{PR}/comments"))).await,
        1
    );
    let (escalations, ledgers) = created_issues(&server).await;
    assert!(
        escalations.is_empty(),
        "a transient failure is not escalated"
    );
    // The re-run is counted in the ledger issue, for the budgets of later runs.
    assert_eq!(ledgers.len(), 1);
    let fingerprint = first.report["jobs"][0]["diagnosis"]["fingerprint"]
        .as_str()
        .unwrap();
    let ledger = ledgers[0]["body"].as_str().unwrap();
    assert!(
        ledger.starts_with("<!-- recovery-agent:ledger -->"),
        "{ledger}"
    );
    assert!(
        ledger.contains(&format!(
            "| `{fingerprint}` | 1 | 0 | run {RUN}, attempt 1 |"
        )),
        "{ledger}"
    );
    let auth = requests(&server).await[0]
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(auth.as_deref(), Some("Bearer t0k3n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn invoking_again_on_a_fresh_runner_duplicates_nothing() {
    // GitHub now shows attempt 2 (our re-run) and our comment; a second invocation for attempt 1
    // must find both there.
    let log = fixture_text("network-docker-buildkit-layer-fetch-failed.log");
    let server = github(&log, 2).await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}/attempts/1/jobs"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobs": [{"id": JOB, "name": "build", "conclusion": "failure"}]
        })))
        .mount(&server)
        .await;
    accept_writes(&server).await;
    let first = run(
        &server,
        &["--run-attempt", "1", "--format", "markdown", "--exit-zero"],
        Some("t"),
    )
    .await;
    assert_eq!(first.report["jobs"][0]["actions"][0]["status"], "done");
    assert!(
        first.report["jobs"][0]["actions"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("attempt 2 exists"),
        "{}",
        first.report["jobs"][0]["actions"]
    );
    assert_eq!(count(&server, "POST", &rerun_path()).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sticky_comment_is_found_on_a_later_page_and_edited_in_place() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    let comments = repo(&format!("/issues/{PR}/comments"));
    Mock::given(method("GET"))
        .and(path(&comments))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", format!("<{}{comments}?page=2>; rel=\"next\"", server.uri()))
                .set_body_json(
                    (1..=100)
                        .map(|i| json!({"id": i, "body": format!("comment {i} mentions recovery-agent")}))
                        .collect::<Vec<_>>(),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(&comments))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 777, "body": "<!-- recovery-agent:sticky-comment -->\nold plan"}
        ])))
        .mount(&server)
        .await;
    ok(
        &server,
        "PATCH",
        &repo("/issues/comments/777"),
        json!({"id": 777}),
    )
    .await;
    let out = run(&server, &[], Some("t")).await;
    assert_eq!(out.code, Some(11), "manual_fix; {}", out.stderr);
    assert_eq!(
        writes(&server).await,
        [format!("PATCH {}", repo("/issues/comments/777"))]
    );
    let patch: Value = first_body(&server, "PATCH", None).await;
    let body = patch["body"].as_str().unwrap();
    assert!(
        body.starts_with("<!-- recovery-agent:sticky-comment -->\n"),
        "{body}"
    );
    assert!(body.contains("compilation"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_comment_is_not_rewritten() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    accept_writes(&server).await;
    run(&server, &[], Some("t")).await;
    let posted: Value = first_body(&server, "POST", None).await;
    // A second server whose PR already carries exactly that comment.
    let again = fixture_github("compilation-go-undeclared-name.log", 1).await;
    ok(
        &again,
        "GET",
        &repo(&format!("/issues/{PR}/comments")),
        json!([{"id": 9, "body": posted["body"]}]),
    )
    .await;
    let out = run(&again, &[], Some("t")).await;
    assert_eq!(out.code, Some(11));
    assert_eq!(writes(&again).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auth_failure_opens_one_issue_and_a_recurrence_updates_it() {
    let log = fixture_text("auth-aws-credentials-could-not-be-loaded.log");
    let server = github(&log, 1).await;
    accept_writes(&server).await;
    let first = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(first.report["verdict"], "escalate");
    assert_eq!(count(&server, "POST", &repo("/issues")).await, 1);
    assert_eq!(
        count(&server, "GET", &repo("/issues")).await,
        1,
        "the ledger and the escalation share one listing"
    );
    assert_eq!(
        count(&server, "POST", &rerun_path()).await,
        0,
        "auth is never re-run"
    );
    let created: Value = first_body(&server, "POST", Some(&repo("/issues"))).await;
    assert_eq!(created["labels"], json!(["recovery-agent"]));
    let fingerprint = first.report["jobs"][0]["diagnosis"]["fingerprint"]
        .as_str()
        .unwrap();
    let body = created["body"].as_str().unwrap();
    assert!(body.starts_with(&format!(
        "<!-- recovery-agent:fingerprint={fingerprint} -->"
    )));
    assert!(body.contains("Seen **1** time."));
    assert!(
        created["title"]
            .as_str()
            .unwrap()
            .starts_with("recovery-agent: auth:")
    );

    // The same failure in another run: the issue (closed since) is found by listing the label,
    // reopened, and counted; a pull request carrying the marker is not mistaken for it.
    let second = github(&log, 1).await;
    accept_comments(&second, PR).await;
    ok(
        &second,
        "GET",
        &repo("/issues"),
        json!([
            {"number": 3, "state": "open", "title": "a PR", "body": body, "pull_request": {"url": "x"}},
            {"number": 42, "state": "closed", "title": created["title"], "body": body.replace("| [100]", "| [99]").replace("<!-- hit:100:1 -->", "<!-- hit:99:1 -->")}
        ]),
    )
    .await;
    ok(&second, "PATCH", &repo("/issues/42"), json!({"number": 42})).await;
    run(&second, &["--exit-zero"], Some("t")).await;
    assert_eq!(count(&second, "POST", &repo("/issues")).await, 0);
    let patch: Value = first_body(&second, "PATCH", None).await;
    assert_eq!(patch["state"], "open");
    assert!(
        patch["body"]
            .as_str()
            .unwrap()
            .contains("Seen **2** times.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn attempt_three_is_never_rerun() {
    let server = fixture_github("network-docker-buildkit-layer-fetch-failed.log", 3).await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(out.report["verdict"], "escalate");
    assert_eq!(count(&server, "POST", &rerun_path()).await, 0);
    assert_eq!(count(&server, "POST", &repo("/issues")).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_attempt_reruns_with_debug_logging() {
    let server = fixture_github("network-docker-buildkit-layer-fetch-failed.log", 2).await;
    accept_writes(&server).await;
    run(&server, &["--exit-zero"], Some("t")).await;
    let bodies: Vec<Value> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == rerun_path())
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"enable_debug_logging": true})]);
}

/// The corrupt-cache failure of the Gradle fixture, after the cache-restore lines of a real GitHub
/// log (the Go fixture's `actions/cache` step): the diagnosis names the keys to delete.
fn cache_log() -> String {
    let go = fixture_text("compilation-go-undeclared-name.log");
    let restores: Vec<&str> = go
        .lines()
        .filter(|l| l.contains("Cache restored from key: go-mod-"))
        .collect();
    format!(
        "{}\n{}##[error]Process completed with exit code 1.\n",
        restores.join("\n"),
        fixture_text("cache-gradle-corrupt-transforms-workspace-metadata.log")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_failure_deletes_the_cache_then_reruns() {
    let server = github(&cache_log(), 1).await;
    accept_writes(&server).await;
    let key = "go-mod-eca089adcb5f49ecad114bdbf49dc26b0deef67cb69080fcaeaecab46118f40b";
    Mock::given(method("DELETE"))
        .and(path(repo("/actions/caches")))
        .and(query_param("key", key))
        .and(query_param("ref", "refs/pull/7/merge"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 1,
            "actions_caches": [{"id": 31, "key": key, "ref": "refs/pull/7/merge"}]
        })))
        .mount(&server)
        .await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        out.report["jobs"][0]["diagnosis"]["category"], "cache",
        "{}",
        out.stderr
    );
    let w = writes(&server).await;
    assert_eq!(
        w.iter()
            .filter(|w| !w.contains("/comments") && !w.ends_with("/issues"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            format!("DELETE {}", repo("/actions/caches")),
            format!("POST {}", rerun_path())
        ],
        "deleted by key and ref, before the re-run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_api_down_the_report_is_still_written() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
        .mount(&server)
        .await;
    let out = run(&server, &[], Some("t")).await;
    assert_eq!(out.code, Some(7), "{}", out.stderr);
    crate::common::assert_degraded(&out.report, &["could not be read"]);
    assert!(writes(&server).await.is_empty());
    // Reads are retried with back-off, then the breaker stops further calls.
    let calls = requests(&server).await.len();
    assert!((2..=8).contains(&calls), "{calls} calls");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_on_a_comment_that_did_apply_is_not_resent() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    let comments = repo(&format!("/issues/{PR}/comments"));
    // First listing: nothing. After the failed POST, GitHub shows the comment it did write.
    Mock::given(method("GET"))
        .and(path(&comments))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(&comments))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 501, "body": "<!-- recovery-agent:sticky-comment -->\nwritten"}
        ])))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(&comments))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let out = run(&server, &[], Some("t")).await;
    assert_eq!(out.code, Some(11));
    assert_eq!(count(&server, "POST", &comments).await, 1, "never resent");
    assert_eq!(
        out.report["degraded"],
        json!([]),
        "the comment is there: nothing lost"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secondary_rate_limit_is_waited_out_and_the_rerun_sent_once() {
    let server = fixture_github("network-docker-buildkit-layer-fetch-failed.log", 1).await;
    accept_comments(&server, PR).await;
    Mock::given(method("POST"))
        .and(path(rerun_path()))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(rerun_path()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({})))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert!(
        started.elapsed().as_secs_f64() >= 1.0,
        "retry-after was honoured"
    );
    assert_eq!(out.report["jobs"][0]["actions"][0]["status"], "done");
    assert_eq!(
        count(&server, "POST", &rerun_path()).await,
        2,
        "refused once, applied once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_and_a_slow_response_on_reads_are_retried() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    accept_writes(&server).await;
    let jobs = repo(&format!("/actions/runs/{RUN}/attempts/1/jobs"));
    Mock::given(method("GET"))
        .and(path(&jobs))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}"))))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(4)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(out.report["verdict"], "manual_fix", "{}", out.stderr);
    assert_eq!(count(&server, "GET", &jobs).await, 2);
    assert_eq!(
        count(&server, "GET", &repo(&format!("/actions/runs/{RUN}"))).await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_job_log_is_reported_not_fatal() {
    let server = github("", 1).await;
    // No log anywhere: the per-job endpoint and the run's zip both 404.
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/jobs/{JOB}/logs"))))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .with_priority(1)
        .mount(&server)
        .await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    crate::common::assert_degraded(&out.report, &["job `build`: log unavailable"]);
    let zip = repo(&format!("/actions/runs/{RUN}/attempts/1/logs"));
    assert_eq!(count(&server, "GET", &zip).await, 1, "the zip was tried");
    assert!(
        writes(&server).await.is_empty(),
        "nothing diagnosed, nothing to do"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_reads_but_never_writes_and_says_what_it_would_do() {
    let server = fixture_github("auth-aws-credentials-could-not-be-loaded.log", 1).await;
    accept_writes(&server).await;
    let out = run(&server, &["--dry-run", "--exit-zero"], Some("t")).await;
    assert!(writes(&server).await.is_empty());
    assert!(
        out.stderr
            .contains("dry run: would open an issue for fingerprint"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("dry run: would write the recovery-agent comment on #7"),
        "{}",
        out.stderr
    );
    assert_eq!(out.report["jobs"][0]["actions"][0]["status"], "planned");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_nothing_is_written_and_the_report_says_so() {
    let server = fixture_github("network-docker-buildkit-layer-fetch-failed.log", 1).await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], None).await;
    assert!(writes(&server).await.is_empty());
    assert_eq!(out.report["verdict"], "retry");
    crate::common::assert_degraded(&out.report, &["read-only"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pr_is_found_by_its_head_commit() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    run_without_pr(&server).await;
    ok(
        &server,
        "GET",
        &repo("/commits/abc123/pulls"),
        json!([{"number": 5, "state": "closed"}, {"number": 8, "state": "open"}]),
    )
    .await;
    accept_comments(&server, 8).await;
    run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        writes(&server).await,
        [format!("POST {}", repo("/issues/8/comments"))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_published_is_redacted_and_neutralised() {
    let server = github(crate::hostile::LOG, 1).await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(out.report["verdict"], "escalate", "{}", out.stderr);
    let bodies: Vec<String> = requests(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(bodies.len(), 2, "one issue, one comment: {bodies:?}");
    for body in &bodies {
        let v: Value = serde_json::from_str(body).unwrap();
        let text = format!(
            "{} {}",
            v["title"].as_str().unwrap_or(""),
            v["body"].as_str().unwrap()
        );
        assert!(
            !text.contains("ghp_abcdefghijklmnopqrstuvwxyz"),
            "token leaked: {text}"
        );
        assert!(text.contains("[REDACTED:"), "{text}");
        let rendered = crate::hostile::outside_code(&text);
        assert!(!rendered.contains("@octocat"), "mention: {rendered}");
        assert!(!rendered.contains("<img"), "raw HTML: {rendered}");
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "workflow command: {line}"
            );
        }
    }
}

/// A GitHub-like server with only the core endpoints: no per-attempt job listing, no runs-by-commit
/// listing. The loop still works, counting this run's own re-runs against the commit budget.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_with_only_the_core_endpoints_still_gets_one_rerun() {
    let server = MockServer::start().await;
    ok(
        &server,
        "GET",
        &repo(&format!("/actions/runs/{RUN}")),
        json!({"id": RUN, "run_attempt": 1, "head_sha": "abc123", "status": "completed",
               "html_url": "https://example.test/run", "pull_requests": [{"number": PR}]}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}/jobs"))))
        .and(query_param("filter", "latest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobs": [{"id": JOB, "name": "build", "conclusion": "failure"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/jobs/{JOB}/logs"))))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture_text(
            "network-docker-buildkit-layer-fetch-failed.log",
        )))
        .mount(&server)
        .await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(out.report["verdict"], "retry", "{}", out.stderr);
    assert_eq!(count(&server, "POST", &rerun_path()).await, 1);
    assert_eq!(
        count(&server, "POST", &repo(&format!("/issues/{PR}/comments"))).await,
        1
    );
}

/// Fails unless one of the first job's options is blocked by the policy rule `rule`.
#[track_caller]
fn assert_blocked_by(report: &Value, rule: &str) {
    let blocked: Vec<&str> = report["jobs"][0]["plan"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["blocked_by"].as_str())
        .collect();
    assert!(
        blocked.iter().any(|b| b.contains(rule)),
        "{rule}: {blocked:?}"
    );
}

/// The fingerprint `diagnose` gives a fixture log.
fn fingerprint_of(name: &str) -> String {
    let report = crate::common::diagnose_json(&[crate::common::fixture(name).to_str().unwrap()]);
    report["jobs"][0]["diagnosis"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A re-run ledger issue (#90) holding `entries`, as GitHub would list it.
async fn with_ledger(server: &MockServer, entries: Value) {
    let body = format!(
        "<!-- recovery-agent:ledger -->\nedited by hand\n<!-- recovery-agent:ledger-data\n{}\n-->\n",
        json!({ "entries": entries })
    );
    ok(
        server,
        "GET",
        &repo("/issues"),
        json!([{"number": 90, "state": "open", "title": "ledger", "body": body}]),
    )
    .await;
    ok(server, "PATCH", &repo("/issues/90"), json!({"number": 90})).await;
}

const NETWORK_LOG: &str = "network-docker-buildkit-layer-fetch-failed.log";

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_budget_of_a_fingerprint_holds_across_runs() {
    let fp = fingerprint_of(NETWORK_LOG);
    let server = fixture_github(NETWORK_LOG, 1).await;
    accept_writes(&server).await;
    let today = {
        let out = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    with_ledger(
        &server,
        json!({ fp.clone(): {"day": today, "reruns": 5, "failed_in_a_row": 0}}),
    )
    .await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        count(&server, "POST", &rerun_path()).await,
        0,
        "{}",
        out.report["degraded"]
    );
    assert_eq!(out.report["verdict"], "escalate");
    assert_blocked_by(&out.report, "budgets.max_reruns_per_fingerprint_per_day");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_rerun_opens_the_breaker_and_the_ledger_says_so() {
    let fp = fingerprint_of(NETWORK_LOG);
    // Attempt 2 of the run we re-ran failed again: the third failure in a row for this cause.
    let server = fixture_github(NETWORK_LOG, 2).await;
    accept_writes(&server).await;
    with_ledger(
        &server,
        json!({ fp.clone(): {"day": "2026-01-01", "reruns": 1, "failed_in_a_row": 2, "pending": [RUN, 1]}}),
    )
    .await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        count(&server, "POST", &rerun_path()).await,
        0,
        "breaker open"
    );
    assert_blocked_by(&out.report, "budgets.breaker_failures");
    let patch = first_body(&server, "PATCH", Some(&repo("/issues/90"))).await;
    let body = patch["body"].as_str().unwrap();
    assert!(body.contains(&format!("| `{fp}` | 0 | 3 | — |")), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_that_passed_elsewhere_closes_the_breaker() {
    let fp = fingerprint_of(NETWORK_LOG);
    let server = fixture_github(NETWORK_LOG, 1).await;
    accept_writes(&server).await;
    // Run 55's attempt 1 was re-run by the tool; its attempt 2 passed.
    ok(
        &server,
        "GET",
        &repo("/actions/runs/55"),
        json!({"id": 55, "run_attempt": 2, "status": "completed", "conclusion": "success"}),
    )
    .await;
    with_ledger(
        &server,
        json!({ fp.clone(): {"day": "2026-01-01", "reruns": 1, "failed_in_a_row": 3, "pending": [55, 1]}}),
    )
    .await;
    run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        count(&server, "POST", &rerun_path()).await,
        1,
        "breaker closed again"
    );
    let patch = first_body(&server, "PATCH", Some(&repo("/issues/90"))).await;
    assert!(
        patch["body"]
            .as_str()
            .unwrap()
            .contains(&format!("| 1 | 0 | run {RUN}, attempt 1 |")),
        "{patch}"
    );
}

/// A GitHub Actions logs zip: one top-level `<n>_<job>.txt` per job.
fn logs_zip(jobs: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (name, log)) in jobs.iter().enumerate() {
        zip.start_file(
            format!("{i}_{name}.txt"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(log.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_log_missing_from_its_endpoint_is_read_from_the_run_zip() {
    let server = github("", 1).await;
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/jobs/{JOB}/logs"))))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .with_priority(1)
        .mount(&server)
        .await;
    let zip = logs_zip(&[
        ("docs", "all good\n"),
        ("build", &fixture_text("compilation-go-undeclared-name.log")),
    ]);
    Mock::given(method("GET"))
        .and(path(repo(&format!("/actions/runs/{RUN}/attempts/1/logs"))))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(zip))
        .mount(&server)
        .await;
    accept_writes(&server).await;
    let out = run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(out.report["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(out.report["jobs"][0]["name"], "build");
    assert_eq!(
        out.report["jobs"][0]["diagnosis"]["category"],
        "compilation"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_commit_pulls_endpoint_the_pr_is_found_among_open_pulls() {
    let server = fixture_github("compilation-go-undeclared-name.log", 1).await;
    run_without_pr(&server).await;
    ok(
        &server,
        "GET",
        &repo("/pulls"),
        json!([
            {"number": 3, "state": "open", "head": {"sha": "fff"}},
            {"number": 4, "state": "open", "head": {"sha": "abc123"}}
        ]),
    )
    .await;
    accept_comments(&server, 4).await;
    run(&server, &["--exit-zero"], Some("t")).await;
    assert_eq!(
        writes(&server).await,
        [format!("POST {}", repo("/issues/4/comments"))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_lets_a_resumed_invocation_skip_completed_writes() {
    // GitHub's listing lags: it never shows the issue the first invocation opened. The journal
    // still stops a second one.
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let journal = journal.to_str().unwrap();
    let server = fixture_github("auth-aws-credentials-could-not-be-loaded.log", 1).await;
    accept_writes(&server).await;
    run(&server, &["--journal", journal, "--exit-zero"], Some("t")).await;
    assert_eq!(count(&server, "POST", &repo("/issues")).await, 1);
    let again = run(&server, &["--journal", journal, "--exit-zero"], Some("t")).await;
    assert_eq!(
        count(&server, "POST", &repo("/issues")).await,
        1,
        "not opened twice"
    );
    let action = &again.report["jobs"][0]["actions"][0];
    assert_eq!(action["status"], "skipped");
    assert!(
        action["detail"].as_str().unwrap().contains("journal"),
        "{action}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_server_api_path_is_kept() {
    let server = MockServer::start().await;
    let uri = format!("{}/api/v3", server.uri());
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, FAST).unwrap();
        bin()
            .args([
                "run",
                "--repo",
                "o/r",
                "--run-id",
                "100",
                "--exit-zero",
                "--config",
            ])
            .arg(&config)
            .env("GITHUB_API_URL", uri)
            .output()
            .unwrap();
    })
    .await
    .unwrap();
    let first = requests(&server).await[0].url.path().to_owned();
    assert_eq!(first, "/api/v3/repos/o/r/actions/runs/100");
}
