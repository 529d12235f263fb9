#!/bin/bash
# Runs every libFuzzer target built in build/fuzz/ (make fuzz-build) for
# SECONDS each, over a copy of its seed corpus tests/fuzz/corpus/<name>/ in a
# temporary folder, so that runs never grow the committed corpus.
#
#   tests/fuzz/run.sh SECONDS
#
# One line per target (name, inputs run, result), then "N passed, N failed".
# A crash, a sanitizer report, a leak, a timeout or running out of memory is
# a failure; its reproducer is kept in build/fuzz/artifacts/<name>/ and the
# end of the log is shown. Exit status 1 when any target failed.
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-60}
case "$SECONDS_EACH" in
  '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh SECONDS" >&2; exit 2 ;;
esac
RSS_MB=${FUZZ_RSS_MB:-2048}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/api-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
found=0
for bin in build/fuzz/fuzz_*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  found=$((found + 1))
  target=$(basename "$bin")
  name=${target#fuzz_}
  corpus="$WORK/$name/corpus"
  artifacts="$WORK/$name/artifacts"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "tests/fuzz/corpus/$name" ]; then cp -R "tests/fuzz/corpus/$name/." "$corpus/"; fi
  log="$WORK/$name/log"
  "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  [ -n "$runs" ] || runs=$(grep -aoE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
  runs=${runs:-0}
  if [ "$rc" -eq 0 ]; then
    result="ok"
    passed=$((passed + 1))
  else
    kind=$(grep -aoE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [A-Za-z-]+|runtime error|deadly signal|out-of-memory|timeout' "$log" | head -1)
    result="FAILED (${kind:-exit $rc})"
    failed=$((failed + 1))
    keep="build/fuzz/artifacts/$name"
    mkdir -p "$keep"
    cp -R "$artifacts/." "$keep/" 2>/dev/null
    cp "$log" "$keep/log"
  fi
  printf '%-16s %12s runs  %s\n' "$target" "$runs" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -aE 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$log" | head -15 | sed 's/^/    /'
    echo "    reproducer and log kept in build/fuzz/artifacts/$name/"
  fi
done

if [ "$found" -eq 0 ]; then
  echo "no fuzz target in build/fuzz/ (run: make fuzz-build)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
