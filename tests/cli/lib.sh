# Shared helpers of the command-line tests: a temporary folder removed at
# exit, and checks that count. Each test script ends with `finish`, which
# prints "N passed, N failed" (read by tests/run.sh).
set -u
BIN=$(cd "${BIN:-bin}" && pwd)
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/api-cli.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP"
export API_PASSPHRASE=correct-horse-battery
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# expect_rc CODE NAME CMD...: runs CMD (output in $TMP/.stdout, $TMP/.stderr), checks its exit code.
expect_rc() {
  local want=$1 name=$2; shift 2
  "$@" >"$TMP/.stdout" 2>"$TMP/.stderr"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name"; else bad "$name (exit $rc, wanted $want)"; sed 's/^/     | /' "$TMP/.stderr" | head -5; fi
}

# expect_grep PATTERN FILE NAME: FILE contains PATTERN (extended regexp).
expect_grep() {
  if grep -qE -- "$1" "$2"; then ok "$3"; else bad "$3 (no '$1' in $(basename "$2"))"; head -5 "$2" | sed 's/^/     | /'; fi
}

expect_no_grep() {
  if grep -qE -- "$1" "$2"; then bad "$3 ('$1' found in $(basename "$2"))"; else ok "$3"; fi
}

# expect_eq GOT WANT NAME
expect_eq() {
  if [ "$1" = "$2" ]; then ok "$3"; else bad "$3 (got '$1', wanted '$2')"; fi
}

# json_field FILE FIELD: a top-level string field of a JSON object.
# The full QR texts an issue wrote in DIR: OUT/<id>.txt, not the holder's cards OUT/<id>-card.txt.
full_texts() { ls "$1"/*.txt | grep -v -- '-card\.txt$'; }

json_field() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v.get(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

# free_port: a TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start NAME CMD...: runs CMD in the background (log in $TMP/NAME.log), remembers its pid in PID_NAME.
start() {
  local name=$1; shift
  "$@" >"$TMP/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "PID_${name//-/_}" '%s' "$pid"
}

# stop NAME [SIGNAL]: stops the process started under NAME (by its pid, never by name).
stop() {
  local var="PID_${1//-/_}"
  local pid=${!var:-}
  [ -n "$pid" ] || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds; 1 on time-out.
wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
