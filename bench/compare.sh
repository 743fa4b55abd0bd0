#!/usr/bin/env bash
# Throughput and peak memory of `recovery-agent diagnose` against ripgrep on the same patterns and
# the same file, measured in the same run.
#
#   bench/compare.sh [SIZE_MB] [LOG_DIR]
#
# RG_TIMEOUT (seconds, default 900) bounds ripgrep's run: with hundreds of alternated patterns its
# engine can be slow, and a run that does not finish is reported as a lower bound.
#
# Builds SIZE_MB (default 500) of log by concatenating the real logs in LOG_DIR (default
# fixtures/logs; plain or gzip), exports the built-in line patterns with `rules export --format
# regex`, then times `rg -c -f patterns big.log` and `recovery-agent diagnose big.log`, best of three
# each, with GNU time for peak memory. Then, with hyperfine, `diagnose` from process start to exit on
# a one-line log (start-up) and on the first 10 MB of the big log. Needs ripgrep and GNU time, and
# hyperfine for the last part (`apt-get install ripgrep time hyperfine`).
set -euo pipefail

size_mb="${1:-500}"
log_dir="${2:-fixtures/logs}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/recovery-agent"

# One copy of every log (decompressed), then repeated until the target size.
for f in "$log_dir"/*; do
  [[ -f "$f" ]] || continue
  if gzip -t "$f" 2>/dev/null; then gzip -dc "$f"; else cat "$f"; fi
done > "$work/unit.log"
unit=$(stat -c %s "$work/unit.log")
if [[ "$unit" -eq 0 ]]; then echo "no logs in $log_dir" >&2; exit 1; fi
target=$((size_mb * 1024 * 1024))
: > "$work/big.log"
while [[ $(stat -c %s "$work/big.log") -lt $target ]]; do cat "$work/unit.log" >> "$work/big.log"; done
bytes=$(stat -c %s "$work/big.log")
"$bin" rules export --format regex > "$work/patterns.txt"
patterns=$(wc -l < "$work/patterns.txt")

# Best wall time of up to three runs (one when a run takes over 20 s), and the peak resident memory
# of that run, as "seconds kib status".
measure() {
  local best="" mem="" status=0
  for _ in 1 2 3; do
    status=0
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || status=$?
    read -r secs kib < <(tail -n 1 "$work/time")
    if [[ -z "$best" ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best="$secs"; mem="$kib"
    fi
    if awk -v a="$secs" 'BEGIN { exit !(a > 20) }'; then break; fi
  done
  echo "$best $mem $status"
}

read -r rg_s rg_kib rg_status <<< "$(measure timeout "${RG_TIMEOUT:-900}" rg -c -f "$work/patterns.txt" "$work/big.log")"
read -r ra_s ra_kib _ <<< "$(measure "$bin" diagnose "$work/big.log" --exit-zero --format json)"
rg_note=""
if [[ "$rg_status" == 124 ]]; then rg_note=" (stopped: did not finish; its throughput is an upper bound)"; fi

awk -v bytes="$bytes" -v n="$patterns" -v rs="$rg_s" -v rk="$rg_kib" -v as="$ra_s" -v ak="$ra_kib" -v note="$rg_note" 'BEGIN {
  mb = bytes / 1e6
  printf "log: %.0f MB of real logs; %d patterns (rules export --format regex)\n", mb, n
  printf "%-28s %8.2f s %9.1f MB/s %8.1f MB peak%s\n", "ripgrep (rg -c -f)", rs, mb / (rs > 0 ? rs : 0.01), rk / 1024, note
  printf "%-28s %8.2f s %9.1f MB/s %8.1f MB peak\n", "recovery-agent diagnose", as, mb / (as > 0 ? as : 0.01), ak / 1024
  printf "throughput ratio (recovery-agent / ripgrep): %.1fx%s\n", (rs > 0 ? rs : 0.01) / (as > 0 ? as : 0.01), (note == "" ? "" : " at least")
}'

# Process start to exit: start-up alone, and a 10 MB log (GNU time's 10 ms resolution is too coarse).
if command -v hyperfine > /dev/null; then
  head -c 10000000 "$work/big.log" > "$work/10mb.log"
  printf 'Error: one line\n' > "$work/one.log"
  hyperfine --style none --warmup 2 --runs 20 --export-csv "$work/startup.csv" \
    "$bin diagnose $work/one.log --exit-zero" "$bin diagnose $work/10mb.log --exit-zero" > /dev/null
  awk -F, 'NR == 2 { label = "start-up (one-line log)" } NR == 3 { label = "10 MB log, start to exit" }
    NR > 1 { printf "%-28s %8.1f ms mean %8.1f ms fastest (hyperfine, 20 runs)\n", label, $2 * 1000, $7 * 1000 }' "$work/startup.csv"
else
  echo "hyperfine not found: start-up not measured"
fi
