#!/usr/bin/env bash
# Build (cached), start a loopback API server, run the jest project "apiserver" against it, stop.
# Extra arguments go to jest (e.g. --json --outputFile=report.json). Exit status: jest's.
#   tools/k8s/test.sh                        Kubernetes v1.35.4 (TAP_K8S_VERSION to change)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
# shellcheck source=tools/k8s/lib.sh
. "$here/lib.sh"

t0=$(date +%s)
"$here/build.sh"
t1=$(date +%s)
# The state directory is this run's own, so a server another run started is never stopped here.
export TAP_K8S_RUN="${TAP_K8S_RUN:-$(mktemp -d "${TMPDIR:-/tmp}/tap-k8s-run.XXXXXX")}"
trap '"$here/apiserver.sh" stop; rm -rf "$TAP_K8S_RUN"' EXIT
"$here/apiserver.sh" start
t2=$(date +%s)
status=0
TAP_KUBECONFIG="$TAP_K8S_RUN/kubeconfig" TAP_REQUIRE_APISERVER=true npx jest --selectProjects apiserver "$@" || status=$?
t3=$(date +%s)
echo "tools/k8s/test.sh: build $((t1 - t0))s, start $((t2 - t1))s, tests $((t3 - t2))s (Kubernetes v$K8S_VERSION)"
exit $status
