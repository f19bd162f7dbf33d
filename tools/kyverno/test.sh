#!/usr/bin/env bash
# Builds the Kyverno CLI if needed (tools/kyverno/build.sh), then runs the jest project "kyverno":
# tap's synthesized policies applied by the real CLI, offline, to good and bad workloads.
# Extra arguments go to jest (e.g. --json --outputFile=report.json). Exit status: jest's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
t0=$(date +%s)
bin="$("$here/build.sh")"
t1=$(date +%s)
status=0
TAP_KYVERNO_CLI="$bin" npx jest --selectProjects kyverno "$@" || status=$?
echo "tools/kyverno/test.sh: build $((t1 - t0))s, tests $(($(date +%s) - t1))s"
exit $status
