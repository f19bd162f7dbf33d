#!/usr/bin/env bash
# Builds tools/prometheus (promcheck: Prometheus's rule parser and Alertmanager's config loader at
# the versions go.mod pins) into $TAP_TOOLS/promcheck-<hash of its sources>/promcheck (default
# ~/.cache/tap-tools), once; prints its path. Cold: about 2 min (the module proxy); warm: 0 s.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)"
dir="${TAP_TOOLS:-$HOME/.cache/tap-tools}/promcheck-$hash"
bin="$dir/promcheck"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "tools/prometheus/build.sh: needs Go (module proxy)" >&2; exit 1; }
mkdir -p "$dir"
t0=$(date +%s)
(cd "$here" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp" .) >&2
mv "$bin.tmp" "$bin"
echo "tools/prometheus/build.sh: built promcheck in $(($(date +%s) - t0))s" >&2
echo "$bin"
