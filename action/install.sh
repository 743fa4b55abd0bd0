#!/usr/bin/env bash
# Installs the recovery-agent binary for this runner: the release archive for the runner's OS and
# architecture when its SHA-256 is in action/checksums.txt, else a build from this action's source.
set -euo pipefail

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)"
case "${RUNNER_OS}-${RUNNER_ARCH}" in
  Linux-X64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64) target=aarch64-unknown-linux-musl ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
archive="recovery-agent-${target}.tar.gz"
bin_dir="${RUNNER_TEMP}/recovery-agent-bin"
mkdir -p "$bin_dir"

expected=""
if [[ -n "$target" ]]; then
  expected="$(awk -v v="$version" -v a="$archive" '$1 == v && $2 == a { print $3 }' "$GITHUB_ACTION_PATH/action/checksums.txt")"
fi

if [[ -n "$expected" ]]; then
  url="https://github.com/org/recovery-agent/releases/download/v${version}/${archive}"
  curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "${RUNNER_TEMP}/${archive}" "$url"
  actual="$(sha256sum "${RUNNER_TEMP}/${archive}" | cut -d ' ' -f 1)"
  if [[ "$actual" != "$expected" ]]; then
    echo "::error::${archive}: SHA-256 ${actual} does not match the committed ${expected}"
    exit 1
  fi
  tar -xzf "${RUNNER_TEMP}/${archive}" -C "$bin_dir"
else
  echo "No verified release binary for ${RUNNER_OS}-${RUNNER_ARCH} at ${version}; building from source."
  cargo install --locked --root "${RUNNER_TEMP}/recovery-agent-cargo" --path "$GITHUB_ACTION_PATH"
  cp "${RUNNER_TEMP}/recovery-agent-cargo/bin/recovery-agent"* "$bin_dir/"
fi
echo "$bin_dir" >> "$GITHUB_PATH"
