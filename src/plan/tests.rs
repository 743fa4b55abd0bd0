//! The retry ladder, the budgets and the ranking, one scenario per test.

use super::*;
use crate::diagnose::Decider;

fn diagnosis(category: Category, confidence: f64) -> Diagnosis {
    Diagnosis {
        category,
        rule: Some(Decider {
            id: "t-rule".to_owned(),
            pack: "t".to_owned(),
            title: "Something broke".to_owned(),
        }),
        confidence,
        factors: None,
        fingerprint: "v1:0123456789abcdef".to_owned(),
        captures: Vec::new(),
        evidence: Vec::new(),
        alternatives: Vec::new(),
        remediation: vec!["Fix it".to_owned()],
        actions: category.default_actions().to_vec(),
        cache_keys: vec!["npm-linux-abc".to_owned()],
    }
}

fn first(d: &Diagnosis, ctx: Context) -> (Action, bool) {
    let p = plan(d, &Policy::default(), &Budgets::default(), &ctx);
    let o = p.recommended().expect("a plan has options");
    (o.action, o.allowed)
}

fn attempt(n: u32) -> Context {
    Context {
        attempt: n,
        ..Context::default()
    }
}

#[test]
fn transient_failures_climb_the_retry_ladder() {
    let d = diagnosis(Category::Network, 0.9);
    assert_eq!(first(&d, attempt(1)), (Action::Retry, true));
    assert_eq!(first(&d, attempt(2)), (Action::RetryWithDebug, true));
    assert_eq!(first(&d, attempt(3)), (Action::Escalate, true));
}

#[test]
fn auth_is_never_retried() {
    let d = Diagnosis {
        actions: Action::ALL.to_vec(),
        ..diagnosis(Category::Auth, 0.95)
    };
    let p = plan(&d, &Policy::default(), &Budgets::default(), &attempt(1));
    assert_eq!(p.recommended().map(|o| o.action), Some(Action::Escalate));
    assert!(p.options.iter().all(|o| !o.action.reruns()), "{p:?}");
}

#[test]
fn code_failures_go_to_a_developer() {
    for c in [
        Category::Compilation,
        Category::Lint,
        Category::DependencyResolution,
        Category::Configuration,
        Category::TestFailure,
    ] {
        assert_eq!(
            first(&diagnosis(c, 0.9), attempt(1)),
            (Action::ManualFix, true),
            "{c}"
        );
    }
}

#[test]
fn a_test_failure_retry_is_offered_but_not_automatic() {
    let p = plan(
        &diagnosis(Category::TestFailure, 0.9),
        &Policy::default(),
        &Budgets::default(),
        &attempt(1),
    );
    let retry = p
        .options
        .iter()
        .find(|o| o.action == Action::Retry)
        .unwrap();
    assert!(!retry.allowed);
    let block = retry.blocked.as_ref().unwrap();
    assert_eq!(
        (block.rule, block.reason.as_str()),
        (
            "policy.retryable",
            "`test_failure` is not in policy.retryable"
        )
    );
}

#[test]
fn cache_failures_reset_the_named_caches() {
    let p = plan(
        &diagnosis(Category::Cache, 0.9),
        &Policy::default(),
        &Budgets::default(),
        &attempt(1),
    );
    let o = p.recommended().unwrap();
    assert_eq!((o.action, o.allowed), (Action::ResetCacheAndRetry, true));
    assert_eq!(
        o.steps[0],
        "Delete the cache `npm-linux-abc`: `gh cache delete 'npm-linux-abc'`"
    );
}

#[test]
fn unknown_and_weak_diagnoses_escalate() {
    let unknown = Diagnosis {
        rule: None,
        ..diagnosis(Category::Unknown, 0.0)
    };
    assert_eq!(first(&unknown, attempt(1)), (Action::Escalate, true));
    assert_eq!(
        first(&diagnosis(Category::Network, 0.3), attempt(1)),
        (Action::Escalate, true)
    );
}

#[test]
fn budgets_block_automatic_reruns() {
    let d = diagnosis(Category::Infrastructure, 0.9);
    let cases = [
        (
            Context {
                failed_jobs: 6,
                ..attempt(1)
            },
            "budgets.outage_failed_jobs",
            "6 jobs failed at once",
        ),
        (
            Context {
                failed_reruns_for_fingerprint: 3,
                ..attempt(1)
            },
            "budgets.breaker_failures",
            "circuit breaker open: 3 re-runs",
        ),
        (
            Context {
                reruns_for_commit: 3,
                ..attempt(1)
            },
            "budgets.max_reruns_per_commit",
            "3 re-runs already spent on this commit",
        ),
        (
            Context {
                reruns_for_fingerprint_today: 5,
                ..attempt(1)
            },
            "budgets.max_reruns_per_fingerprint_per_day",
            "5 re-runs already spent on fingerprint",
        ),
    ];
    for (ctx, rule, why) in cases {
        let p = plan(&d, &Policy::default(), &Budgets::default(), &ctx);
        assert_eq!(
            p.recommended().map(|o| o.action),
            Some(Action::Escalate),
            "{why}"
        );
        let retry = p
            .options
            .iter()
            .find(|o| o.action == Action::Retry)
            .unwrap();
        let block = retry.blocked.as_ref().unwrap();
        assert_eq!(block.rule, rule);
        assert!(block.reason.starts_with(why), "{retry:?}");
    }
    let generous = Policy {
        auto_retry_max_attempt: 100,
        debug_retry_max_attempt: 100,
        ..Policy::default()
    };
    let p = plan(&d, &generous, &Budgets::default(), &attempt(51));
    let rules: Vec<&str> = p
        .options
        .iter()
        .filter(|o| o.action.reruns())
        .filter_map(|o| o.blocked.as_ref().map(|b| b.rule))
        .collect();
    assert_eq!(
        rules,
        ["budgets.github_rerun_limit", "budgets.github_rerun_limit"],
        "{p:?}"
    );
}

#[test]
fn disabled_actions_are_not_offered() {
    let policy = Policy {
        actions: vec![Action::ManualFix, Action::Escalate],
        ..Policy::default()
    };
    let p = plan(
        &diagnosis(Category::Network, 0.9),
        &policy,
        &Budgets::default(),
        &attempt(1),
    );
    let actions: Vec<Action> = p.options.iter().map(|o| o.action).collect();
    assert_eq!(actions, [Action::Escalate]);
}

#[test]
fn ranks_are_dense_and_deterministic() {
    let d = diagnosis(Category::Timeout, 0.8);
    let a = plan(&d, &Policy::default(), &Budgets::default(), &attempt(1));
    let b = plan(&d, &Policy::default(), &Budgets::default(), &attempt(1));
    assert_eq!(a, b);
    let ranks: Vec<usize> = a.options.iter().map(|o| o.rank).collect();
    assert_eq!(ranks, (1..=a.options.len()).collect::<Vec<_>>());
}

#[test]
fn policy_refuses_to_retry_auth() {
    let p = Policy {
        retryable: vec![Category::Auth],
        ..Policy::default()
    };
    assert_eq!(
        p.validate().unwrap_err(),
        "policy.retryable lists `auth`: authentication failures are never re-run automatically"
    );
}
