#!/usr/bin/env bash
# Runs `recovery-agent run` with the action's inputs, read from the environment (never spliced into
# a script). The verdict goes to the step outputs, not the exit status: a recovery workflow should
# not fail because the run it recovers did.
set -euo pipefail

args=(run --repo "$RA_REPO" --run-id "$RA_RUN_ID" --report "$RA_REPORT" --exit-zero)
if [[ -n "${RA_RUN_ATTEMPT:-}" ]]; then args+=(--run-attempt "$RA_RUN_ATTEMPT"); fi
if [[ -n "${RA_PR:-}" ]]; then args+=(--pr "$RA_PR"); fi
if [[ -n "${RA_CONFIG:-}" ]]; then args+=(--config "$RA_CONFIG"); fi
if [[ "${RA_DRY_RUN:-false}" == "true" ]]; then args+=(--dry-run); fi

recovery-agent "${args[@]}"
