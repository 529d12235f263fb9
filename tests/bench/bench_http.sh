#!/bin/bash
# The verification service under load (`make bench`): wrk from Debian on the
# same machine, POST /api/v1/verify with an API key over 10,000 distinct valid
# attestations, beside two reference handlers on the same CivetWeb settings
# (bench_httpref: a trivial handler, and one crypto_sign_verify_detached per
# request), all measured in this run. Prints verifications per second at 64
# connections (the full answer, and the compact ones of ?lang=fr and
# ?explain=false), p50/p99 latency at 16, both ratios, errors, the time of one
# verification while 200 idle or half-sent connections are open beside the
# same with none (tests/cli/test_service.sh checks only that it is answered),
# and the service's RSS after a 60-second run.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
mkdir -p build
TMP=$(mktemp -d "$PWD/build/bench-http.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export API_PASSPHRASE=bench
cd "$TMP"
B=$OLDPWD/${BIN:-bin}   # BIN: the tools' folder from the repository root, as for tests/cli
PI=$(port); PV=$(port); PR=$(port)
"$B/api-federation" init --dir fed --kdf interactive >/dev/null
"$B/api-issuer" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive >/dev/null
"$B/api-federation" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PI" >/dev/null
"$B/api-federation" publish --dir fed --out tl.cose >/dev/null
today=$(date +%F)
python3 - batch.csv "$(date -d "$today -30 days" +%F)" "$(date -d "$today -10 days" +%F)" "$(date -d "$today +60 days" +%F)" <<'PY'
import sys
rows = ["family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"]
for i in range(10000):
    rows.append(f"NOM{i},Prénom,1990-04-12,SEN,75{i:08d},renewal,carte de séjour pluriannuelle salarié,true,{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},7501234567,{sys.argv[3]}")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
"$B/api-issuer" issue --dir iss --csv batch.csv --out out --formats "" >/dev/null
# The full codes only, as relying parties post them (a holder's card, OUT/<id>-card.txt, is shown at a
# counter): every payload is a full code of about 560 characters, as the figures below say.
ls out/*.txt | grep -v -- '-card\.txt$' | xargs cat >payloads.txt
"$B/api-issuer" revoke --dir iss --id "$(ls out | head -1 | cut -c1-24)" --reason error >/dev/null
"$B/api-issuer" publish --dir iss >/dev/null
"$B/api-issuer" serve --dir iss --listen "127.0.0.1:$PI" >/dev/null 2>&1 & PIDS+=("$!")
sleep 1
"$B/api-verifier" sync --root fed/root.pub --data data --trust tl.cose >/dev/null
KEY=$("$B/api-verifier" keys add --data data --org "Bench" --profile social --rate 0 2>/dev/null | head -1)
"$B/api-verifier" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" \
  --access-log /dev/null --sync-interval 60 --max-connections-per-address 0 >/dev/null 2>&1 & SVC=$!; PIDS+=("$SVC")
"$OLDPWD/$BUILD/bench/bench_httpref" "127.0.0.1:$PR" & PIDS+=("$!")
for p in $PV $PR; do for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.2; done; done
export PAYLOADS="$TMP/payloads.txt" API_KEY="$KEY"
LUA=$OLDPWD/tests/bench/verify.lua
echo "payloads: $(wc -l <payloads.txt) distinct valid attestations; API key of profile social"

rate() { # URL CONNECTIONS: requests per second, and errors
  wrk -t2 -c"$2" -d"${SECONDS_PER_RUN}s" --latency -s "$LUA" "$1" >"$TMP/wrk.out" 2>&1
  python3 - "$TMP/wrk.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", t, re.M))
print(f"{float(rps.group(1)) if rps else 0:.0f} {errs + (int(non2xx.group(1)) if non2xx else 0)} {lat.get('50','?')} {lat.get('99','?')}")
PY
}
curl -s -X POST -H 'Content-Type: application/json' -H "X-API-Key: $KEY" \
  -d "{\"payload\": \"$(sed -n 2p payloads.txt)\"}" "http://127.0.0.1:$PV/api/v1/verify" | grep -q '"result":[[:space:]]*"valid"' ||
  { echo "bench_http: the service does not answer valid" >&2; exit 1; }

# Alternating rounds, so that a busy machine slows the three handlers alike.
ROUNDS=${BENCH_HTTP_ROUNDS:-5}
SECONDS_PER_RUN=${BENCH_HTTP_ROUND_SECONDS:-2}
declare -A sum err
for t in svc fr cmp triv one; do sum[$t]=0; err[$t]=0; done
for r in $(seq "$ROUNDS"); do
  for t in svc fr cmp triv one; do
    case $t in svc) url="http://127.0.0.1:$PV/api/v1/verify" ;; fr) url="http://127.0.0.1:$PV/api/v1/verify?lang=fr" ;;
      cmp) url="http://127.0.0.1:$PV/api/v1/verify?explain=false" ;; triv) url="http://127.0.0.1:$PR/trivial" ;; one) url="http://127.0.0.1:$PR/verify1" ;; esac
    read -r rps e _ _ < <(rate "$url" 64)
    sum[$t]=$(( ${sum[$t]} + rps )); err[$t]=$(( ${err[$t]} + e ))
  done
done
v64=$(( ${sum[svc]} / ROUNDS )); f64=$(( ${sum[fr]} / ROUNDS )); c64=$(( ${sum[cmp]} / ROUNDS )); t64=$(( ${sum[triv]} / ROUNDS )); s64=$(( ${sum[one]} / ROUNDS ))
ve64=${err[svc]}; te64=${err[triv]}; se64=${err[one]}
SECONDS_PER_RUN=5
read -r _ _ p50 p99 < <(rate "http://127.0.0.1:$PV/api/v1/verify" 16)
read -r _ _ tp50 tp99 < <(rate "http://127.0.0.1:$PR/verify1" 16)
echo "wrk -t2 -c64, $ROUNDS alternating rounds of ${BENCH_HTTP_ROUND_SECONDS:-2} s each, POST with a 560-character QR text:"
printf '  POST /api/v1/verify (real service):      %6s /s  errors %s\n' "$v64" "$ve64"
printf '  the same, ?lang=fr (one language):        %6s /s  errors %s\n' "$f64" "${err[fr]}"
printf '  the same, ?explain=false (compact):       %6s /s  errors %s\n' "$c64" "${err[cmp]}"
printf '  reference, trivial handler:              %6s /s  errors %s\n' "$t64" "$te64"
printf '  reference, one crypto_sign_verify:       %6s /s  errors %s\n' "$s64" "$se64"
python3 -c "import sys; v,t,s,f,c=map(float,sys.argv[1:]); print(f'  ratio to the single-verify handler: {v/s:.2f} (target 0.7 or more); to the trivial handler: {v/t:.2f}'); print(f'  compact answers to the single-verify handler: explain=false {c/s:.2f} (target 0.85 or more), lang=fr {f/s:.2f}')" "$v64" "$t64" "$s64" "$f64" "$c64"
echo "wrk -t2 -c16 -d5s --latency: POST /api/v1/verify p50 $p50, p99 $p99 (target p99 under 5 ms); single-verify handler p50 $tp50, p99 $tp99"
python3 - "$PV" "$KEY" "$(sed -n 3p payloads.txt)" <<'PY'
import socket, statistics, sys, time
port, key, text = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
def one():  # one verification on a new connection: its time, from connect to the end of the answer
    t = time.monotonic()
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    c.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nX-API-Key: %s\r\n"
              b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (key, len(text), text))
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk: break
        data += chunk
    c.close()
    if not data.startswith(b"HTTP/1.1 200 ") or b'"result":"valid"' not in data:
        sys.exit("bench_http: a verification was not answered 200 valid")
    return time.monotonic() - t
reference = statistics.median(one() for _ in range(20))
held = []
for i in range(200):  # as tests/cli/test_service.sh: idle, headers half sent, body half sent
    s = socket.create_connection(("127.0.0.1", port))
    if i % 3 == 1:
        s.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Ty")
    elif i % 3 == 2:
        s.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\nAPI1:NC")
    held.append(s)
time.sleep(0.3)
slow = statistics.median(one() for _ in range(20))
for s in held: s.close()
print(f"one verification (new connection, median of 20) while 200 idle or half-sent connections are open: "
      f"{slow * 1000:.1f} ms; reference, none open (same run): {reference * 1000:.1f} ms")
PY
wrk -t2 -c64 -d60s -s "$LUA" "http://127.0.0.1:$PV/api/v1/verify" >"$TMP/wrk60.out" 2>&1
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SVC/status")
echo "after a 60-second run at 64 connections: service RSS $((rss / 1024)) MB (target under 64 MB); $(grep -E 'Requests/sec' "$TMP/wrk60.out" | tr -s ' ')"
