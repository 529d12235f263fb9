#!/bin/bash
# The web pages' tests, as tests/run.sh runs them:
#   1. `cd web && npm test` (the verification library's unit tests), when present
#   2. the browser tests tests/web/*.test.mjs (node's test runner), which drive
#      Debian's Chromium (/usr/bin/chromium) with playwright-core against a
#      federation of real processes (bin/api-federation, api-issuer, api-verifier)
# and a last line "N passed, N failed"; exit status 0 only when nothing failed.
#
#   tests/web/run.sh                 everything
#   tests/web/run.sh check offline   only tests/web/check.test.mjs and offline.test.mjs
# Screenshots go to $SCREENSHOT_DIR (default: a new temporary folder, printed).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
passed=0
failed=0
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/api-web-tests.XXXXXX")
trap 'rm -rf "$LOG_DIR"' EXIT
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/api-web-screenshots.XXXXXX")}

# count LOG: passed and failed tests of a node test-runner log (TAP or spec reporter),
# or of a plain "N passed, N failed" line.
count() {
  local p f
  p=$(grep -aE '^(# |ℹ )pass [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$')
  f=$(grep -aE '^(# |ℹ )fail [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$')
  if [ -z "$p" ]; then
    read -r p f < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1 | awk '{print $1, $3}')
  fi
  echo "${p:-0} ${f:-0}"
}

fail_setup() {
  echo "$1"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}

[ -f web/package.json ] || fail_setup "web/package.json is missing"
for tool in api-federation api-issuer api-verifier; do
  [ -x "${BIN:-bin}/$tool" ] || fail_setup "${BIN:-bin}/$tool is missing: run make first"
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail_setup "Chromium is missing (apt-get install chromium)"
command -v ffmpeg >/dev/null || fail_setup "ffmpeg is missing (apt-get install ffmpeg)"

echo "== web: dependencies and build"
( cd web && { { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; } ||
    npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build ) >"$LOG_DIR/build.log" 2>&1 ||
  { tail -30 "$LOG_DIR/build.log"; fail_setup "the web build failed"; }
tail -3 "$LOG_DIR/build.log"

if node -e 'process.exit(require("./web/package.json").scripts?.test ? 0 : 1)'; then
  echo "== web: npm test (the verification library)"
  ( cd web && npm test ) >"$LOG_DIR/unit.log" 2>&1
  rc=$?
  read -r p f < <(count "$LOG_DIR/unit.log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then grep -aE '^not ok|✖|Error' "$LOG_DIR/unit.log" | head -30 | sed 's/^/   /'; fi
  echo "   npm test: $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
fi

files=()
if [ "$#" -gt 0 ]; then
  for n in "$@"; do files+=("tests/web/$n.test.mjs"); done
else
  files=(tests/web/*.test.mjs)
fi
echo "== web: browser tests (${files[*]})"
# One file at a time (each starts a federation and a browser).
conc=()
if node --help 2>/dev/null | grep -q -- --test-concurrency; then conc=(--test-concurrency=1); fi
node --test --test-reporter=spec "${conc[@]}" "${files[@]}" 2>&1 | tee "$LOG_DIR/browser.log"
rc=${PIPESTATUS[0]}
read -r p f < <(count "$LOG_DIR/browser.log")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
passed=$((passed + p)); failed=$((failed + f))
echo "screenshots: $SCREENSHOT_DIR"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
