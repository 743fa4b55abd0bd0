//! The composite action: inputs reach its scripts only through the environment, and `run.sh` turns
//! them into arguments without letting the shell interpret them.

use std::os::unix::fs::PermissionsExt as _;

use crate::common::root;

#[test]
fn no_input_is_spliced_into_a_script() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for line in action.lines() {
        let line = line.trim_start();
        if line.starts_with("run:") {
            assert!(!line.contains("${{"), "expression in a script: {line}");
        }
    }
    assert!(action.contains("RA_REPO: ${{ inputs.repo }}"));
}

#[test]
fn run_sh_passes_inputs_as_plain_arguments() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for the binary that prints each argument on its own line.
    let fake = dir.path().join("recovery-agent");
    std::fs::write(&fake, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let canary = dir.path().join("pwned");
    let hostile = format!(
        "o/r\"; touch {} #$(touch {})",
        canary.display(),
        canary.display()
    );
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg(root().join("action/run.sh"))
        .env("PATH", path)
        .env("RA_REPO", &hostile)
        .env("RA_RUN_ID", "42")
        .env("RA_RUN_ATTEMPT", "")
        .env("RA_PR", "7")
        .env("RA_DRY_RUN", "true")
        .env("RA_CONFIG", "")
        .env("RA_REPORT", "r.json")
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    let args: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        args,
        [
            "run",
            "--repo",
            &hostile,
            "--run-id",
            "42",
            "--report",
            "r.json",
            "--exit-zero",
            "--pr",
            "7",
            "--dry-run"
        ]
    );
    assert!(!canary.exists(), "an input was executed");
}
