#!/usr/bin/env bash
# Builds the Kyverno CLI (cmd/cli/kubectl-kyverno) from the Go module proxy into
# $TAP_TOOLS/kyverno-<version>/kyverno (default ~/.cache/tap-tools), once; prints its path.
# It is on neither npm nor Debian, and `go install ...@<v>` refuses it (its go.mod has a replace
# directive: k8s.io/pod-security-admission), so it is built inside a copy of the module source.
# Cold: about 10-18 min on 2 cores, ~5.5 GiB of Go caches; warm: 0 s.
set -euo pipefail
version="${TAP_KYVERNO_VERSION:-v1.19.0}"
dir="${TAP_TOOLS:-$HOME/.cache/tap-tools}/kyverno-$version"
bin="$dir/kyverno"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "tools/kyverno/build.sh: needs Go (module proxy)" >&2; exit 1; }
export GOFLAGS=-mod=mod CGO_ENABLED=0
src="$(go mod download -json "github.com/kyverno/kyverno@$version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}process.stdout.write(j.Dir)})')"
work="$(mktemp -d "${TMPDIR:-/tmp}/tap-kyverno-build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$dir"
t0=$(date +%s)
(cd "$work/src" && go build -trimpath \
  -ldflags "-s -w -X github.com/kyverno/kyverno/pkg/version.BuildVersion=$version" \
  -o "$bin.tmp" ./cmd/cli/kubectl-kyverno) >&2
mv "$bin.tmp" "$bin"
echo "tools/kyverno/build.sh: built kyverno $version in $(($(date +%s) - t0))s" >&2
echo "$bin"
