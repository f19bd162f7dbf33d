#!/usr/bin/env bash
# Builds promcheck if needed (tools/prometheus/build.sh), then runs the jest project "prometheus":
# tap's alert rules and alert manager configuration checked by Prometheus's and Alertmanager's own
# parsers, offline. Extra arguments go to jest (e.g. --json --outputFile=report.json).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
t0=$(date +%s)
bin="$("$here/build.sh")"
t1=$(date +%s)
status=0
TAP_PROMCHECK="$bin" npx jest --selectProjects prometheus "$@" || status=$?
echo "tools/prometheus/test.sh: build $((t1 - t0))s, tests $(($(date +%s) - t1))s"
exit $status
