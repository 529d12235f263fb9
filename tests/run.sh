#!/bin/bash
# The whole test suite, as `make test` runs it:
#   1. the release build and the ASan/UBSan build of the tools and unit tests
#   2. every unit test (cmocka), in both builds
#   3. the command-line integration tests (tests/cli/*.sh), in both builds
#   4. the web pages' tests (library, and headless Chromium)
#   5. every libFuzzer target for a short time (FUZZ_SECONDS, default 10)
# then the time each part took, and a last line "N passed, N failed". Exit
# status 0 only when nothing failed.
#
#   tests/run.sh               everything
#   tests/run.sh --unit-only   unit tests of the release build only
#
# What runs here must finish well within 45 minutes on a fresh 2-core
# machine, and no test asserts how fast the machine is (a figure of speed is
# a benchmark). Long runs have their own targets: `make soak` (SOAK=1: the
# long variants a test has, e.g. more rounds or more data), `make fuzz`
# (FUZZ_SECONDS per target, default 300), `make bench` (figures beside
# their references). A test with a long variant runs its short one unless
# SOAK=1.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export API_SOURCE_DIR="$PWD"
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/api-tests.XXXXXX")
trap 'rm -rf "$LOG_DIR"' EXIT
passed=0
failed=0
failures=()
times=()
part_start=$SECONDS
run_start=$SECONDS

# part_done NAME: the time since the previous part ended, kept for the summary.
part_done() {
  times+=("$(printf '%-22s %5d s' "$1" $((SECONDS - part_start)))")
  part_start=$SECONDS
}

print_times() {
  echo
  echo "time per part:"
  printf '  %s\n' "${times[@]}"
  printf '  %-22s %5d s\n' "total" $((SECONDS - run_start))
}

record() { # name passed failed
  passed=$((passed + $2))
  failed=$((failed + $3))
  if [ "$3" -gt 0 ]; then failures+=("$1 ($3)"); fi
  printf '  %-44s %4d passed, %d failed\n' "$1" "$2" "$3"
}

run_unit() { # build-dir label
  local dir=$1 label=$2 t name out p f rc
  for t in "$dir"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out="$LOG_DIR/$label-$name.log"
    ( cd "$LOG_DIR" && "$OLDPWD/$t" ) >"$out" 2>&1
    rc=$?
    p=$(grep -aoE '^\[  PASSED  \] [0-9]+' "$out" | awk '{s+=$NF} END {print s+0}')
    f=$(grep -aoE '^\[  FAILED  \] [0-9]+' "$out" | awk '{s+=$NF} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
    if [ "$f" -gt 0 ]; then sed 's/^/      /' "$out" | grep -aE 'FAIL|ERROR|error|Sanitizer|runtime error|Assertion' | head -20; fi
    record "$label $name" "$p" "$f"
  done
}

run_cli() { # bin-dir label [names to skip]
  local bin=$1 label=$2 skip=" ${3:-} " s name out p f rc
  for s in tests/cli/test_*.sh; do
    name=$(basename "$s" .sh)
    case "$skip" in *" $name "*) continue ;; esac
    out="$LOG_DIR/$label-$name.log"
    BIN="$bin" bash "$s" >"$out" 2>&1
    rc=$?
    read -r p f < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1 | awk '{print $1, $3}')
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -gt 0 ]; then grep -aE '^FAIL' "$out" | head -20 | sed 's/^/      /'; tail -5 "$out" | sed 's/^/      /'; fi
    record "$label $name" "$p" "$f"
  done
}

echo "== layers (make check-layers)"
if python3 scripts/check-layers.py >"$LOG_DIR/layers.log" 2>&1; then
  record "check-layers" 1 0
else
  sed 's/^/      /' "$LOG_DIR/layers.log" | head -20
  record "check-layers" 0 1
fi

part_done "check-layers"

echo "== lint (make lint: cppcheck, clang-format)"
if scripts/lint.sh >"$LOG_DIR/lint.log" 2>&1; then
  record "lint" 1 0
else
  grep -vE '^\s' "$LOG_DIR/lint.log" | head -20 | sed 's/^/      /'
  record "lint" 0 1
fi
part_done "lint"

echo "== build (release)"
make --no-print-directory -j"$JOBS" tests-build >"$LOG_DIR/build.log" 2>&1 || { tail -30 "$LOG_DIR/build.log"; echo "0 passed, 1 failed"; exit 1; }
part_done "build (release)"
echo "== unit tests (release)"
run_unit build/release release
part_done "unit (release)"

if [ "${1:-}" = "--unit-only" ]; then
  print_times
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]; exit
fi

echo "== command-line tests (release)"
run_cli bin release
part_done "cli (release)"

echo "== build (ASan/UBSan)"
make --no-print-directory -j"$JOBS" asan >"$LOG_DIR/asan.log" 2>&1 || { tail -30 "$LOG_DIR/asan.log"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
part_done "build (ASan/UBSan)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== unit tests (ASan/UBSan)"
run_unit build/asan asan
part_done "unit (ASan/UBSan)"
echo "== command-line tests (ASan/UBSan)"
# The HTTP contract (OpenAPI), the nginx deployments (one service, three
# replicas under load, the issuer admin API's mutual TLS) and the Debian
# packages (which build their own programs) are checked once, in the release
# build; test_service drives the same handlers under the sanitizers.
run_cli build/asan/bin asan "test_openapi test_tls test_cluster test_deb test_issuer_mtls"
part_done "cli (ASan/UBSan)"

if [ -x tests/web/run.sh ]; then
  echo "== web pages (unit tests and headless Chromium)"
  tests/web/run.sh >"$LOG_DIR/web.log" 2>&1
  rc=$?
  read -r p f < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$LOG_DIR/web.log" | tail -1 | awk '{print $1, $3}')
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -gt 0 ]; then grep -aE 'FAIL|not ok|Error' "$LOG_DIR/web.log" | head -20 | sed 's/^/      /'; fi
  record "web" "$p" "$f"
  part_done "web"
fi

echo "== fuzzing (${FUZZ_SECONDS}s per target)"
if make --no-print-directory fuzz-build >"$LOG_DIR/fuzz-build.log" 2>&1; then
  tests/fuzz/run.sh "$FUZZ_SECONDS" >"$LOG_DIR/fuzz.log" 2>&1
  sed 's/^/  /' "$LOG_DIR/fuzz.log" | grep -vE '^  [0-9]+ passed, [0-9]+ failed$'
  read -r p f < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$LOG_DIR/fuzz.log" | tail -1 | awk '{print $1, $3}')
  record "fuzz (short)" "${p:-0}" "${f:-1}"
else
  tail -20 "$LOG_DIR/fuzz-build.log"
  record "fuzz build" 0 1
fi
part_done "fuzz (build and run)"

print_times
echo
if [ "${#failures[@]}" -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
