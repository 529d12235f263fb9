#!/bin/bash
# Hostile HTTP against the two real servers (api-issuer serve, api-verifier
# serve), with real processes on loopback: deep JSON, slow and half-sent
# requests, one address holding many connections, a stalling mirror,
# header injection and open redirects, memory bounded before parsing, the
# security headers of every answer, ambiguous framing (request smuggling),
# WebDAV and CORS leftovers, absolute-form targets and ranges. After each
# group a normal verification must still be answered, and at the end both
# servers must still run, with the attacks counted in /metrics.
#
# The attacks themselves are tests/cli/hostile_http.py (a raw-socket
# client): it prints "ok NAME" or "FAIL NAME (details)" per check, counted
# here. Client addresses 127.0.0.2 ... are loopback too (Linux).
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"
HH="$ROOT_DIR/tests/cli/hostile_http.py"
T0=$(date +%s%N)

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)

# runpy NAME ARGS...: runs hostile_http.py, counts its ok/FAIL lines; a crash of the client is a failure.
runpy() {
  local name=$1; shift
  local t=$(date +%s%N)
  python3 "$HH" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  local rc=$? line
  echo "     | group ${*: -1}: $(( ($(date +%s%N) - t) / 1000000 )) ms"
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "${line#ok }" ;;
      "FAIL "*) bad "${line#FAIL }" ;;
      *) echo "     | $line" ;;
    esac
  done <"$TMP/$name.out"
  if [ "$rc" -ne 0 ]; then
    bad "hostile_http.py $name ended with status $rc"
    tail -15 "$TMP/$name.err" | sed 's/^/     | /'
  fi
}

# --- a federation: one issuer FR-75 with its feed, one valid attestation
PI=$(free_port); PV=$(free_port); PC=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer FR-75 init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "FR-75 admitted with its feed" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" \
  --pub iss/issuer.pub --feed "http://127.0.0.1:$PI"
expect_rc 0 "trust list published" "$F" publish --dir fed --out tl.cose
printf '{"family_name": "HOSTILE", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$filed" "$from" "$later" >holder.json
VALID=$("$I" issue --dir iss --json holder.json --out out --formats png 2>issue.log | awk 'NR==1 {print $1}')
if [ -s "out/$VALID.txt" ]; then ok "one attestation issued"; else bad "one attestation issued"; cat issue.log; fi

# --- the servers: the issuer, the verifier (web pages when built), a second verifier with a CORS origin
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1 --threads 16 --request-timeout 2 \
  --max-connections-per-address 8
if wait_for 20 curl -sf "http://127.0.0.1:$PI/feed/v1/FR-75/checkpoint" -o /dev/null; then
  ok "the issuer serves its feed"
else
  bad "the issuer serves its feed"; tail -5 "$TMP/iss.log" | sed 's/^/     | /'
fi
WEB=""
if [ -f "$ROOT_DIR/web/dist/index.html" ]; then WEB="$ROOT_DIR/web/dist"; fi
web_args=(); [ -n "$WEB" ] && web_args=(--web-root "$WEB")
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 60 \
  --threads 32 --request-timeout 2 --max-connections-per-address 8 --anonymous-rate 0 "${web_args[@]}" \
  --access-log access.log
start cors "$V" serve --root fed/root.pub --data data2 --trust tl.cose --listen "127.0.0.1:$PC" --sync-interval 60 \
  --threads 16 --request-timeout 2 --anonymous-rate 0 --cors-origin https://caf.example --access-log access2.log
fresh() { # PORT: the service holds fresh status of FR-75
  curl -sf "http://127.0.0.1:$1/healthz" 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["issuers"]["FR-75"]["fresh"] else 1)'
}
if wait_for 40 fresh "$PV"; then ok "the verifier synced FR-75"; else bad "the verifier synced FR-75"; tail -5 "$TMP/ver.log" | sed 's/^/     | /'; fi
if wait_for 40 fresh "$PC"; then ok "the CORS verifier synced FR-75"; else bad "the CORS verifier synced FR-75"; tail -5 "$TMP/cors.log" | sed 's/^/     | /'; fi

# --- the callers' keys: one without a rate limit, one with the default rate
K0=$("$V" keys add --data data --org "CAF 93" --profile social --rate 0 2>/dev/null)
KD=$("$V" keys add --data data --org "France Travail" --profile social 2>/dev/null)
if [[ "$K0" =~ ^apik_ ]] && [[ "$KD" =~ ^apik_ ]]; then ok "two API keys made (rate 0, default rate)"; else bad "two API keys made"; fi
[ -n "$WEB" ] || echo "note: web/dist is not built: the web pages' checks are skipped"

python3 - config.json <<EOF
import json, sys
json.dump({
  "verifier": $PV, "issuer": $PI, "cors": $PC,
  "verifier_pid": $PID_ver, "issuer_pid": $PID_iss, "cors_pid": $PID_cors,
  "text": open("out/$VALID.txt").read().strip(),
  "key_unlimited": "$K0", "key_default": "$KD",
  "web_root": "$WEB", "tmp": "$TMP",
  "sync": ["$V", "sync", "--root", "fed/root.pub", "--trust", "tl.cose", "--timeout", "2"],
}, open(sys.argv[1], "w"))
EOF

# --- the attacks, group by group (each ends with a verification that must still be answered)
runpy g1 config.json deep-json
runpy g2 config.json deadlines
runpy g2b config.json limits
runpy g2c config.json mirror
runpy g3 config.json redirects
runpy g4 config.json memory
runpy g5 config.json headers
runpy g6 config.json framing
runpy g7 config.json misc
runpy g8 config.json metrics

# --- the servers still run, and said nothing of a sanitizer
for n in iss ver cors; do
  var="PID_$n"
  if kill -0 "${!var}" 2>/dev/null; then ok "the $n server is still running"; else bad "the $n server died"; tail -20 "$TMP/$n.log" | sed 's/^/     | /'; fi
done
for n in iss ver cors; do
  expect_no_grep "Sanitizer|runtime error|LeakSanitizer" "$TMP/$n.log" "no sanitizer report from the $n server"
done
stop cors; stop ver; stop iss
for n in iss ver cors; do
  expect_no_grep "Sanitizer|runtime error|LeakSanitizer" "$TMP/$n.log" "no sanitizer report from the $n server after it stopped"
done
echo "     | run time: $(( ($(date +%s%N) - T0) / 1000000 )) ms"
finish
