#!/bin/bash
# Issuance through the admin API (`make bench`): `api-issuer serve
# --admin-listen`, POST /api/v1/attestations from wrk at 16 connections for a
# fixed time (one client token, no rate limit), then `api-issuer issue --csv`
# of as many holders as the API created, in the same run on the same machine:
# without the PDF (PNG only) and with it (PNG, SVG and PDF). Prints
# attestations per second of each, the API's latency, and the ratio API /
# command line. No figure is asserted: they depend on the machine.
#   tests/bench/bench_issue.sh [SECONDS]   the length of each API run (default 10)
set -eu
cd "$(dirname "$0")/../.."
SECS=${1:-10}
CONNS=16
mkdir -p build
TMP=$(mktemp -d "$PWD/build/bench-issue.XXXXXX") # not /tmp: file creation there is slow on some machines
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export API_PASSPHRASE=bench
B=$(cd "${BIN:-bin}" && pwd) # BIN: the tools' folder (from the repository root), as for tests/cli
LUA=$PWD/tests/bench/issue.lua
cd "$TMP"
if ! "$B/api-issuer" serve --help 2>&1 | grep -q -- '--admin-listen'; then
  echo "skipped: api-issuer serve has no --admin-listen"; exit 0
fi
today=$(date +%F)
from=$(date -d "$today -10 days" +%F); until=$(date -d "$today +60 days" +%F); filed=$(date -d "$today -40 days" +%F)
# holders FILE N: the holder object (holder.json), and N of them as a CSV
holders() {
  python3 - "$1" "$2" "$filed" "$from" "$until" <<'PY'
import json, sys
out, n, filed, start, end = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
holder = {"family_name": "NOM", "given_names": "Prénom", "birth_date": "1990-04-12", "nationality": "SEN",
          "foreign_national_number": "7500000001", "application": "renewal",
          "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": True,
          "filed_on": filed, "valid_from": start, "valid_until": end}
open("holder.json", "w").write(json.dumps(holder, ensure_ascii=False))
cols = list(holder)
rows = [",".join(cols)]
for i in range(n):
    h = dict(holder, family_name=f"NOM{i}", foreign_national_number=f"75{i:08d}")
    rows.append(",".join("true" if v is True else str(v) for v in (h[c] for c in cols)))
open(out, "w").write("\n".join(rows) + "\n")
PY
}
holders /dev/null 0

api_run() { # FORMATS: "created refused seconds p50 p99" of SECS seconds of POSTs at CONNS connections
  local iss="api-$1" pa pf pid
  pa=$(port); pf=$(port)
  "$B/api-issuer" init --dir "$iss" --id FR-75 --name "Préfecture de police" --kdf interactive >/dev/null
  TOKEN=$("$B/api-issuer" clients add --dir "$iss" --name bench --role issue --rate 0 2>/dev/null)
  "$B/api-issuer" serve --dir "$iss" --listen "127.0.0.1:$pf" --admin-listen "127.0.0.1:$pa" --formats "$1" \
    --max-connections-per-address 0 >"$iss.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$pa/api/v1/attestations" && break; sleep 0.1; done
  HOLDER=$TMP/holder.json TOKEN=$TOKEN wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 30s -s "$LUA" "http://127.0.0.1:$pa" \
    >"wrk-$1.out" 2>&1 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local line
  line=$(grep '^created ' "wrk-$1.out" || echo "created 0 refused 0 seconds 1 p50_ms 0 p99_ms 0")
  echo "$line" | awk '{print $2, $4, $6, $8, $10}'
}

cli_run() { # FORMATS N: attestations per second of issue --csv of N holders
  "$B/api-issuer" init --dir "cli-$1" --id FR-75 --name "Préfecture de police" --kdf interactive >/dev/null
  holders "cli-$1.csv" "$2"
  python3 - "$B/api-issuer" "cli-$1" "$1" "$2" <<'PY'
import subprocess, sys, time
tool, iss, formats, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.monotonic()
subprocess.run([tool, "issue", "--dir", iss, "--csv", f"{iss}.csv", "--out", f"{iss}/out", "--formats", formats],
               check=True, stdout=subprocess.DEVNULL)
print(f"{n / (time.monotonic() - t0):.1f}")
PY
}

echo "the API: wrk -t2 -c$CONNS -d${SECS}s -s tests/bench/issue.lua (POST /api/v1/attestations, one token, no"
echo "rate limit); the command line: issue --csv of as many holders as the API created, one process."
echo "Each run on a new issuer folder; attestations/s = created / wall-clock seconds (files written)."
printf '%-24s %9s %12s %12s %14s %8s\n' "files" "holders" "API /s" "p50/p99 ms" "issue --csv /s" "API/CLI"
for formats in png png,svg,pdf; do
  read -r created refused seconds p50 p99 <<<"$(api_run "$formats")"
  api=$(python3 -c "print(f'{$created / $seconds:.1f}')")
  n=$created; [ "$n" -gt 0 ] || n=100
  cli=$(cli_run "$formats" "$n")
  label="$formats (no PDF)"; [ "$formats" = png,svg,pdf ] && label="$formats (PDF)"
  printf '%-24s %9s %12s %12s %14s %8s\n' "$label" "$created" "$api" "$p50/$p99" "$cli" \
    "$(python3 -c "print(f'{$api / $cli:.2f}')")"
  [ "$refused" = 0 ] || echo "   ($refused answers other than 201 in the API run: see wrk-$formats.out)"
done
echo "   reference: the command line in the same run (no target for the API: issue 12 asks for the figure)"
