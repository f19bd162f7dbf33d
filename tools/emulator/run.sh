#!/usr/bin/env bash
# Runs the SDK integration suite (test/integration) against an AWS API emulator on loopback: moto in
# server mode (PyPI, pinned), a fixture that creates what tap's stack outputs describe
# (tools/emulator/fixture.ts), then the suite with every assertion it has. Then each broken fixture
# (fixture.ts BREAKS) must make the suite fail: a check that cannot fail is a defect.
#
#   bash tools/emulator/run.sh <report-dir>
# writes <report-dir>/integration.json (jest's report of the healthy run) and
# <report-dir>/broken.json (one "test" per broken fixture: passed = the suite caught it).
# The emulator's endpoint reaches the AWS SDK only through AWS_ENDPOINT_URL, set here.
set -uo pipefail
cd "$(dirname "$0")/../.."

MOTO_VERSION=5.2.5
PORT="${TAP_MOTO_PORT:-5055}"
REPORTS="${1:?usage: run.sh <report-dir>}"
mkdir -p "$REPORTS"
. tools/python-tool.sh
python_tool moto "$MOTO_VERSION" "moto[server]==$MOTO_VERSION" || exit 3

"$TOOL_BIN/moto_server" -H 127.0.0.1 -p "$PORT" >"$REPORTS/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null' EXIT
ENDPOINT="http://127.0.0.1:$PORT"
for _ in $(seq 1 60); do
  curl -sf -o /dev/null "$ENDPOINT/moto-api/" && break
  kill -0 "$MOTO_PID" 2>/dev/null || { echo "emulator: moto exited" >&2; cat "$REPORTS/moto.log" >&2; exit 3; }
  sleep 0.5
done
curl -sf -o /dev/null "$ENDPOINT/moto-api/" || { echo "emulator: moto did not answer on $ENDPOINT" >&2; exit 3; }
echo "emulator: moto $MOTO_VERSION on $ENDPOINT"

export AWS_ENDPOINT_URL="$ENDPOINT" AWS_ACCESS_KEY_ID=emulated AWS_SECRET_ACCESS_KEY=emulated
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true TAP_REQUIRE_OUTPUTS=true
node tools/transpile.js 2>/dev/null || { echo "emulator: transpile failed" >&2; exit 3; }

# One emulated stack: reset the emulator, create the fixture, write its outputs file.
stack() {
  curl -sf -o /dev/null -X POST "$ENDPOINT/moto-api/reset" &&
    node dist/tools/emulator/fixture.js --outputs "$REPORTS/$1-outputs.json" "${@:2}"
}

echo "== emulated stack (healthy): the suite must pass"
stack healthy || exit 3
TAP_OUTPUTS_FILE="$REPORTS/healthy-outputs.json" npx jest --selectProjects integration \
  --json --outputFile="$REPORTS/integration.json"
healthy=$?

caught=0
missed=0
for broken in $(node -e 'console.log(Object.keys(require("./dist/tools/emulator/fixture.js").BREAKS).join(" "))'); do
  echo "== emulated stack broken on purpose ($broken): the suite must fail"
  stack "$broken" --break "$broken" || exit 3
  TAP_OUTPUTS_FILE="$REPORTS/$broken-outputs.json" npx jest --selectProjects integration --silent \
    --json --outputFile="$REPORTS/$broken.json" >/dev/null 2>&1
  failed=$(node -e 'console.log(require(process.argv[1]).numFailedTests)' "$REPORTS/$broken.json")
  if [ "$failed" -gt 0 ]; then
    echo "emulator: $broken caught ($failed failing check(s))"
    caught=$((caught + 1))
  else
    echo "emulator: $broken NOT caught: the suite passed a broken stack" >&2
    missed=$((missed + 1))
  fi
done
node -e '
  const [caught, missed] = process.argv.slice(1).map(Number);
  process.stdout.write(JSON.stringify({ numPassedTests: caught, numFailedTests: missed,
    numPendingTests: 0, numRuntimeErrorTestSuites: 0, success: missed === 0 }));
' "$caught" "$missed" >"$REPORTS/broken.json"
[ "$healthy" -eq 0 ] && [ "$missed" -eq 0 ]
