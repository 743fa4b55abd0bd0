#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with small seeds taken from the repository's own logs and rule packs.
# The corpora are not committed (see .gitignore): run this once before the first `cargo fuzz run`.
# Re-running it is harmless: it only adds or overwrites its own `seed-*` files.
#
#   bash fuzz/seed.sh
set -euo pipefail

fuzz="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz")"
corpus="$fuzz/corpus"
mkdir -p "$corpus/ingest" "$corpus/diagnose" "$corpus/rule_pack"

# --- logs: the first 4 KiB of each real log, for ingest and diagnose ---------------------------
for log in "$root"/fixtures/logs/*.log; do
    name="seed-$(basename "$log" .log)"
    head -c 4096 "$log" > "$corpus/ingest/$name"
    cp "$corpus/ingest/$name" "$corpus/diagnose/$name"
done

# The tails matter to diagnose too: outcome markers and the error lines sit at the end of a log.
for log in "$root"/fixtures/logs/*.log; do
    tail -c 4096 "$log" > "$corpus/diagnose/seed-tail-$(basename "$log" .log)"
done

# gzip: one whole (small) log, the same stream cut in half (a truncated gzip: `incomplete`), two
# gzip members back to back (MultiGzDecoder), and a tiny stream that inflates to a line over the
# 64 KiB line cap (so the cut-line path is reachable with short inputs).
small="$root/fixtures/logs/timeout-gha-action-timed-out-after-360-minutes.log"
gzip -9 -n -c "$small" > "$corpus/ingest/seed-gzip-whole"
size=$(wc -c < "$corpus/ingest/seed-gzip-whole")
head -c $((size / 2)) "$corpus/ingest/seed-gzip-whole" > "$corpus/ingest/seed-gzip-truncated"
{ printf 'first member\n' | gzip -n -c; printf 'second member\n' | gzip -n -c; } \
    > "$corpus/ingest/seed-gzip-two-members"
{ head -c 70000 /dev/zero | tr '\0' 'x'; printf '\nnext line\n'; } | gzip -9 -n -c \
    > "$corpus/ingest/seed-gzip-long-line"
for f in whole truncated two-members long-line; do
    cp "$corpus/ingest/seed-gzip-$f" "$corpus/diagnose/seed-gzip-$f"
done

# Hand-made shapes ingest must count right: CRLF, `\r` progress, no trailing newline, blank lines,
# BOM, ANSI escapes, invalid UTF-8, timestamps.
printf 'one\r\ntwo\r\n' > "$corpus/ingest/seed-crlf"
printf '10%%\r50%%\r100%%\r\ndone' > "$corpus/ingest/seed-progress-no-trailing-newline"
printf '\n\n\n' > "$corpus/ingest/seed-blank-lines"
printf '\xef\xbb\xbf2024-01-01T00:00:00.0000000Z ##[group]Run npm test\n\x1b[31;1mred\x1b[0m \xff\n2024-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n' \
    > "$corpus/ingest/seed-gha-markers"
printf 'travis_fold:start:install\r\x1b[0K$ npm ci\ntravis_fold:end:install\r\x1b[0K$ npm test\nThe command "npm test" exited with 1.\n' \
    > "$corpus/ingest/seed-travis-markers"
for f in crlf progress-no-trailing-newline blank-lines gha-markers travis-markers; do
    cp "$corpus/ingest/seed-$f" "$corpus/diagnose/seed-$f"
done

# --- rule packs ----------------------------------------------------------------------------------
# Each built-in pack is split into small packs: its `[pack]` header plus one rule each (a whole
# pack is ~25 KiB, far over the target's -max_len). The header is everything before the first
# `[[rules]]`.
for pack in "$root"/rules/*.toml; do
    base="$(basename "$pack" .toml)"
    awk -v out="$corpus/rule_pack/seed-$base" '
        /^\[\[rules\]\]/ {
            if (file != "") close(file)
            n++; file = sprintf("%s-%03d", out, n); printf "%s", header > file
        }
        n == 0 { header = header $0 "\n"; next }
        { print > file }
    ' "$pack"
done
# The header alone (a pack without rules) and one whole small pack.
awk '/^\[\[rules\]\]/ { exit } { print }' "$root/rules/steps.toml" > "$corpus/rule_pack/seed-header-only"
cp "$root/rules/steps.toml" "$corpus/rule_pack/seed-whole-steps"

# Packs embedded in the integration tests as raw strings (r#"[pack] … "#).
python3 - "$root/tests" "$corpus/rule_pack" <<'PY'
import pathlib, re, sys
tests, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for path in sorted(tests.rglob("*.rs")):
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r'r#"(\[pack\].*?)"#', text, re.S):
        n += 1
        (out / f"seed-test-{path.stem}-{n}").write_text(m.group(1), encoding="utf-8")
    # Plain string literals holding a pack: "[pack]\nname = \"p\"\n…" (escapes \n and \" only).
    for m in re.finditer(r'"(\[pack\](?:[^"\\]|\\.)*)"', text):
        n += 1
        body = m.group(1).replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')
        (out / f"seed-test-{path.stem}-{n}").write_text(body, encoding="utf-8")
PY

# Hand-made packs that reach the validation branches: then/after windows, a failed_step rule,
# placeholders, fingerprint, actions, and a pattern near the compiled-size limit.
cat > "$corpus/rule_pack/seed-windows" <<'EOF'
[pack]
name = "fuzz-seed"
version = "1"
description = "windows and placeholders"

[[rules]]
id = "seed-then"
category = "test_failure"
title = "{name} failed"
pattern = '^FAIL (?P<name>\S+)'
then = { pattern = 'Tests: \d+ failed', within = 50 }
confidence = 0.8
remediation = ["run `{name}` locally"]
fingerprint = ["name"]
actions = ["manual_fix", "retry"]
examples = ["FAIL src/a.test.js"]
counterexamples = ["PASS src/a.test.js"]

[[rules]]
id = "seed-after"
category = "network"
title = "reset"
pattern = 'Connection reset by peer'
exclude = '(?i)retrying'
after = { pattern = '^Downloading', within = 5 }
confidence = 0.7

[[rules]]
id = "seed-step"
category = "lint"
title = "lint step failed"
scope = "failed_step"
pattern = '(?i)\blint\b'
confidence = 0.3
EOF
cat > "$corpus/rule_pack/seed-big-regex" <<'EOF'
[pack]
name = "big"
version = "1"

[[rules]]
id = "big-repeat"
category = "compilation"
title = "big"
pattern = '\w{100}(?:\d{10}|\p{Greek}{5}){20}'
confidence = 0.5
EOF

for target in ingest diagnose rule_pack; do
    printf '%-10s %4d seeds\n' "$target" "$(find "$corpus/$target" -type f | wc -l)"
done
