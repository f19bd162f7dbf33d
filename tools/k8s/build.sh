#!/usr/bin/env bash
# Build what test/apiserver needs and is not cached yet, and say how long it took:
#   $TAP_K8S_CACHE/v<version>/{kube-apiserver,kube-controller-manager}   from tools/k8s/<minor>/go.mod
#   etcd: Debian's etcd-server (>= 3.4) when installed, else (or with TAP_ETCD_BUILD=1)
#         go.etcd.io/etcd/server/v3 from tools/k8s/etcd/go.mod -> $TAP_K8S_CACHE/etcd-v<version>/etcd.
# Usage: tools/k8s/build.sh            (TAP_K8S_VERSION=1.35.4 by default; any with a tools/k8s/<minor>/)
#        tools/k8s/build.sh --print    (print the kube-apiserver path, build nothing; exit 1 when absent)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tools/k8s/lib.sh
. "$here/lib.sh"

if [ "${1:-}" = "--print" ]; then
  [ -x "$K8S_BIN/kube-apiserver" ] && echo "$K8S_BIN/kube-apiserver" && exit 0
  exit 1
fi

start=$(date +%s)
built=()
mod="$here/$K8S_MINOR"
[ -f "$mod/go.mod" ] || { echo "build: no $mod/go.mod; run tools/k8s/gen-mod.sh $K8S_VERSION" >&2; exit 1; }
grep -q "^require k8s.io/kubernetes v$K8S_VERSION\$" "$mod/go.mod" ||
  { echo "build: $mod/go.mod does not pin k8s.io/kubernetes v$K8S_VERSION; run tools/k8s/gen-mod.sh $K8S_VERSION" >&2; exit 1; }

need=()
for cmd in kube-apiserver kube-controller-manager; do
  [ -x "$K8S_BIN/$cmd" ] || need+=("k8s.io/kubernetes/cmd/$cmd")
done
if [ "${#need[@]}" -gt 0 ]; then
  command -v go >/dev/null || { echo "build: go is not installed" >&2; exit 1; }
  mkdir -p "$K8S_BIN"
  major="${K8S_VERSION%%.*}" minor="${K8S_MINOR#*.}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "build: go build ${need[*]} (Kubernetes v$K8S_VERSION) -> $K8S_BIN"
  tmp="$(mktemp -d "$K8S_BIN/.build.XXXXXX")"
  # CGO off: static binaries, no C toolchain needed. -mod=mod: go.sum is committed, nothing is vendored.
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${need[@]}")
  mv "$tmp"/* "$K8S_BIN/" && rmdir "$tmp"
  built+=("${need[@]##*/}")
fi

if ! etcd_bin >/dev/null; then
  command -v go >/dev/null || { echo "build: no etcd >= 3.4 and no go to build one" >&2; exit 1; }
  echo "build: go build go.etcd.io/etcd/server/v3 v$ETCD_VERSION -> $ETCD_BUILT"
  mkdir -p "$(dirname "$ETCD_BUILT")"
  (cd "$here/etcd" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$ETCD_BUILT.tmp" go.etcd.io/etcd/server/v3)
  mv "$ETCD_BUILT.tmp" "$ETCD_BUILT"
  built+=("etcd v$ETCD_VERSION")
fi

took=$(($(date +%s) - start))
if [ "${#built[@]}" -gt 0 ]; then
  echo "build: built ${built[*]} in ${took}s"
else
  echo "build: all cached (kube-apiserver v$K8S_VERSION, $(etcd_bin)) in ${took}s"
fi
