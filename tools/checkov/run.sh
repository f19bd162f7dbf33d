#!/usr/bin/env bash
# Checkov (PyPI, pinned) over every Kubernetes object tap creates, for the default stack
# (Pulumi.dev.yaml) and the fullest one (App Mesh on), judged against
# security/checkov-suppressions.yaml by tools/checkov/judge.ts. Writes <report-dir>/checkov.json
# (one "test" per judged run) for .ci/run's summary.
#   bash tools/checkov/run.sh <report-dir>
set -uo pipefail
cd "$(dirname "$0")/../.."

CHECKOV_VERSION=3.3.30
REPORTS="${1:?usage: run.sh <report-dir>}"
mkdir -p "$REPORTS"
. tools/python-tool.sh
python_tool checkov "$CHECKOV_VERSION" "checkov==$CHECKOV_VERSION" || exit 3

node tools/transpile.js 2>/dev/null || exit 3
runs=()
for variant in default fullest; do
  extra=()
  [ "$variant" = fullest ] && extra=(--config tap:enableAppMesh=true)
  node dist/tools/plan.js --stack dev "${extra[@]}" --manifests "$REPORTS/manifests-$variant" \
    >/dev/null 2>"$REPORTS/plan-$variant.err"
  [ -n "$(ls -A "$REPORTS/manifests-$variant" 2>/dev/null)" ] ||
    { echo "checkov: the plan wrote no manifests ($variant)" >&2; cat "$REPORTS/plan-$variant.err" >&2; exit 3; }
  "$TOOL_BIN/checkov" -d "$REPORTS/manifests-$variant" --framework kubernetes -o json --quiet \
    >"$REPORTS/checkov-$variant.json" 2>"$REPORTS/checkov-$variant.err"
  runs+=("$variant=$REPORTS/checkov-$variant.json")
done
node dist/tools/checkov/judge.js security/checkov-suppressions.yaml "${runs[@]}"
verdict=$?
node -e '
  const ok = process.argv[1] === "0";
  process.stdout.write(JSON.stringify({ numPassedTests: ok ? 1 : 0, numFailedTests: ok ? 0 : 1,
    numPendingTests: 0, numRuntimeErrorTestSuites: 0, success: ok }));
' "$verdict" >"$REPORTS/checkov.json"
exit "$verdict"
