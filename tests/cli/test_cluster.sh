#!/bin/bash
# Several verifiers, one address: docs/deploy/nginx-cluster.conf itself (its
# addresses, ports, paths and certificate replaced, its per-address limits
# raised for the load) in front of three `api-verifier serve` replicas that
# sync from an issuer and from each other (--from), with one set of API
# keys (keys export / keys import). Checked:
#   - keys: one made on replica 1 works on 2 and 3 after an import, while
#     they run; its revocation reaches them the same way; one receipt key
#     (--receipt-key), whose receipts check whichever replica made them;
#     SIGHUP reopens the
#     access log, reads the keys again, and reads the configuration file
#     again (stale-after changes at once; a bad file is reported, kept out);
#   - sticky routing: every watch/changes request of one API key reaches
#     one replica (nginx's access log names the replica);
#   - drain: a request in progress when SIGTERM arrives gets its answer,
#     while a new connection is refused; the process then exits 0;
#   - faults under a steady load of verifications through nginx (wrk, 64
#     connections, tests/cli/cluster.lua): replica 1 killed with SIGKILL
#     and restarted, replica 2 stopped with SIGTERM, the issuer's feed cut
#     and a revocation published meanwhile, the feed back, then cut again
#     while replica 2 restarts and takes the revocation from the other
#     replicas. Must hold: no failed request (every answer 200 with a
#     verdict); the revocation visible on every replica once it can be
#     reached (the delays printed); /healthz of a stale replica says so
#     (503, a "stale" problem naming the issuer); the replicas' memory
#     (VmRSS) printed at the start and the end of the load.
# SOAK=1 (make soak): the load lasts 10 minutes, the memory is sampled
# every minute and its growth after warm-up must stay within a generous
# bound. Runs once, in the release pass (tests/run.sh skips it under ASan).
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WRK=$(command -v wrk || echo /usr/bin/wrk)
CONF_SRC="$ROOT_DIR/docs/deploy/nginx-cluster.conf"
LUA="$ROOT_DIR/tests/cli/cluster.lua"
HOST=verif.example.fr
if [ "${SOAK:-0}" = 1 ]; then LOAD_SECONDS=${CLUSTER_SECONDS:-600}; else LOAD_SECONDS=${CLUSTER_SECONDS:-90}; fi
DELAY_MS=${CLUSTER_DELAY_MS:-40}   # each of the 64 connections waits this long between its requests

if [ ! -x "$NGINX" ]; then bad "nginx is installed (nginx-light, in TEST_PKGS)"; finish; exit; fi
if [ ! -x "$WRK" ]; then bad "wrk is installed (in TEST_PKGS)"; finish; exit; fi

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
issue() { # FAMILY: prints the id
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$later" >"h-$1.json"
  "$I" issue --dir iss --json "h-$1.json" --out out --formats png 2>>issue.log | awk 'NR==1 {print $1}'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
pid_of() { local v="PID_$1"; echo "${!v:-0}"; }

PI=$(free_port); P1=$(free_port); P2=$(free_port); P3=$(free_port); PS=$(free_port); PH=$(free_port)
PORT_r1=$P1; PORT_r2=$P2; PORT_r3=$P3

# --- a federation of one issuer, six attestations (one to be revoked under load)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PI"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
ids=()
for n in UN DEUX TROIS QUATRE CINQ CIBLE; do ids+=("$(issue $n)"); done
TARGET=${ids[5]}
expect_eq "$(for i in "${ids[@]}"; do echo "${#i}"; done | sort -u)" 24 "six attestations issued"
for i in "${ids[@]}"; do cat "out/$i.txt"; echo; done >payloads.txt
python3 -c 'import json,sys; print(json.dumps({"payload": open(sys.argv[1]).read().strip()}))' "out/$TARGET.txt" >target.json
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1

# --- one set of API keys: made on replica 1, exported, imported into 2 and 3
KEY=$("$V" keys add --data r1 --org "Banque de charge" --profile bank --rate 0 2>/dev/null)
expect_rc 0 "keys export" "$V" keys export --data r1 --out keys.json
expect_eq "$(stat -c %a keys.json)" 600 "the export is written 0600"
expect_no_grep "${KEY#apik_}" keys.json "the export holds no key, only hashes"
expect_rc 0 "keys import into replica 2" "$V" keys import --data r2 --from keys.json
expect_grep '1 added' .stdout "one key added"
expect_rc 0 "keys import into replica 3" "$V" keys import --data r3 --from keys.json
expect_rc 0 "importing the same file again changes nothing" "$V" keys import --data r3 --from keys.json
expect_grep '0 added, 0 revoked, 0 updated, 1 unchanged' .stdout "nothing added twice"
"$V" keys add --data other --org Autre --profile bank >/dev/null 2>&1
expect_rc 4 "a store with keys of another salt refuses the import (exit 4)" "$V" keys import --data other --from keys.json
echo '{"format": "api-verifier-keys", "version": 1}' >bad-keys.json
expect_rc 2 "a file that is not an export is refused (exit 2)" "$V" keys import --data r2 --from bad-keys.json

# one receipt key for the three replicas (encrypted with API_PASSPHRASE, which they read too)
mkdir -p shared
expect_rc 0 "one receipt key for the cluster (receipt rotate-key)" "$V" receipt rotate-key --receipt-key shared/receipt.key \
  --receipt-org "Vérificateurs en grappe"

# start_replica N: replica N on its port, syncing from the issuer and the two other replicas.
start_replica() {
  local n=$1 p m=()
  for p in 1 2 3; do [ "$p" = "$n" ] || { local v="PORT_r$p"; m+=(--from "http://127.0.0.1:${!v}"); }; done
  local port="PORT_r$n"
  if [ -f "r$n.log" ]; then cat "r$n.log" >>"r$n.earlier.log"; fi
  [ -f "r$n.conf" ] || printf '# what SIGHUP reads again\nsync-interval = 1\nstale-after = 8s\n' >"r$n.conf"
  start "r$n" "$V" serve --config "r$n.conf" --root fed/root.pub --data "r$n" --trust tl.cose \
    --listen "127.0.0.1:${!port}" --trusted-proxy 127.0.0.1 --access-log "$TMP/r$n/access.log" \
    --receipt-key "$TMP/shared/receipt.key" "${m[@]}"
}
# fresh PORT: the replica holds FR-75's status and it is fresh
fresh() { curl -sf "http://127.0.0.1:$1/healthz" 2>/dev/null | grep -q '"fresh":[[:space:]]*true'; }
# verdict PORT: the verdict of the target attestation on that replica
verdict() {
  curl -s --max-time 10 -H "X-API-Key: $KEY" -H 'Content-Type: application/json' --data-binary @target.json \
    "http://127.0.0.1:$1/api/v1/verify" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("result"))' 2>/dev/null
}
revoked_on() { [ "$(verdict "$1")" = revoked ]; }
for n in 1 2 3; do start_replica $n; done
for p in $P1 $P2 $P3; do
  if wait_for 60 fresh "$p"; then ok "replica on $p synced (healthz fresh)"; else bad "replica on $p synced"; fi
done
for p in $P1 $P2 $P3; do expect_eq "$(verdict "$p")" valid "the shared key works on the replica on $p"; done

# a key made on replica 1 while they run: imported into 2 and 3 while they run, then revoked the same way
KEY2=$("$V" keys add --data r1 --org "Agence" --profile employer 2>/dev/null)
code2() { curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY2" "http://127.0.0.1:$1/api/v1/trust-list"; }
expect_eq "$(code2 "$P2")" 401 "a key made on replica 1 is not known on replica 2 before the import"
"$V" keys export --data r1 --out keys2.json 2>/dev/null
"$V" keys import --data r2 --from keys2.json >/dev/null && "$V" keys import --data r3 --from keys2.json >/dev/null
expect_eq "$(code2 "$P1") $(code2 "$P2") $(code2 "$P3")" "200 200 200" "after the import, the new key works on the three running replicas"
"$V" keys revoke --data r1 --id "${KEY2:5:8}" >/dev/null
"$V" keys export --data r1 --out keys3.json 2>/dev/null
"$V" keys import --data r2 --from keys3.json >.stdout && "$V" keys import --data r3 --from keys3.json >/dev/null
expect_grep '1 revoked' .stdout "the import carries the revocation"
expect_eq "$(code2 "$P1") $(code2 "$P2") $(code2 "$P3")" "401 401 401" "the revoked key is refused by the three replicas"
rm -f keys.json keys2.json keys3.json

# SIGHUP: the access log reopened (after a rotation) and the keys read again
mv r3/access.log r3/access.log.1
kill -HUP "$(pid_of r3)"
wait_for 10 grep -q 'SIGHUP: access log reopened, API keys read again' r3.log
curl -s -o /dev/null "http://127.0.0.1:$P3/healthz"
if wait_for 10 test -s r3/access.log; then ok "SIGHUP: the access log is reopened at its path"; else bad "SIGHUP: the access log is reopened at its path"; fi
expect_eq "$(kill -0 "$(pid_of r3)" 2>/dev/null && echo running)" running "SIGHUP does not stop the replica"
# SIGHUP reads the configuration file again: stale-after changes at once; a bad file is reported and kept out
# Syncing every 3 s, the data held are older than 1 s between syncs whatever the phase of the issuer's
# heartbeat (with both at 1 s, an idle machine may sync just after each heartbeat and never look stale).
printf 'sync-interval = 3\nstale-after = 1s\n' >r3.conf
kill -HUP "$(pid_of r3)"
if wait_for 10 grep -q 'configuration read again: sync-interval 3 s, stale-after 1 s' r3.log; then
  ok "SIGHUP: the configuration file read again"
else
  bad "SIGHUP: the configuration file read again"; tail -3 r3.log
fi
stale1() { curl -s "http://127.0.0.1:$P3/healthz" | grep -q '"stale_after_seconds":1,'; }
if wait_for 30 stale1; then ok "SIGHUP: the new stale-after is in force (/healthz)"; else bad "SIGHUP: the new stale-after is in force"; fi
printf 'sync-interval = 1\nstale-after = soon\n' >r3.conf
kill -HUP "$(pid_of r3)"
if wait_for 10 grep -q 'configuration is kept as it was: r3.conf:2: stale-after' r3.log; then
  ok "SIGHUP: a bad configuration file is reported (file and line), the settings kept"
else
  bad "SIGHUP: a bad configuration file is reported"; tail -3 r3.log
fi
printf '# what SIGHUP reads again\nsync-interval = 1\nstale-after = 8s\n' >r3.conf
kill -HUP "$(pid_of r3)"
wait_for 10 grep -q 'stale-after 8 s' r3.log
expect_eq "$(kill -0 "$(pid_of r3)" 2>/dev/null && echo running)" running "the replica runs on after the bad file"

# --- nginx with docs/deploy/nginx-cluster.conf
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$HOST" \
  -addext "subjectAltName=DNS:$HOST" -keyout key.pem -out cert.pem >openssl.log 2>&1; then
  ok "self-signed certificate made"
else
  bad "self-signed certificate made"; cat openssl.log
fi
make_conf() {
  local out=$1 name=ngx
  mkdir -p "$TMP/$name"
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  sed -e "s|^user .*;|$user_line|" \
      -e '/listen \[::\]/d' \
      -e "s|^\(\s*\)listen 80;|\1listen 127.0.0.1:$PH;|" \
      -e "s|^\(\s*\)listen 443 ssl http2;|\1listen 127.0.0.1:$PS ssl http2;|" \
      -e "s|server 192.0.2.11:8080 |server 127.0.0.1:$P1 |" \
      -e "s|server 192.0.2.12:8080 |server 127.0.0.1:$P2 |" \
      -e "s|server 192.0.2.13:8080 |server 127.0.0.1:$P3 |" \
      -e "s|/etc/letsencrypt/live/$HOST/fullchain.pem|$TMP/cert.pem|" \
      -e "s|/etc/letsencrypt/live/$HOST/privkey.pem|$TMP/key.pem|" \
      -e "s|/var/cache/nginx/api-verifier|$TMP/$name/cache|" \
      -e "s|/var/log/nginx/api-verifier.access.log|$TMP/$name/access.log|" \
      -e "s|/var/log/nginx/api-verifier.error.log|$TMP/$name/error.log|" \
      -e '/ssl_stapling/d' \
      -e "s|^\(\s*\)worker_processes auto;|\1worker_processes 1;|" \
      -e "s|^\(\s*\)worker_connections 4096;|\1worker_connections 1024;|" \
      -e "s|limit_conn api_conn_per_addr 32;|limit_conn api_conn_per_addr 512;|" \
      -e "s|rate=50r/s;|rate=100000r/s;|" \
      -e "s|^http {|http {\n    client_body_temp_path $TMP/$name/body;\n    proxy_temp_path $TMP/$name/proxy;\n    fastcgi_temp_path $TMP/$name/fastcgi;\n    uwsgi_temp_path $TMP/$name/uwsgi;\n    scgi_temp_path $TMP/$name/scgi;|" \
      "$CONF_SRC" >"$out"
  local want
  for want in "listen 127.0.0.1:$PH;" "listen 127.0.0.1:$PS ssl http2;" "server 127.0.0.1:$P1 max_fails" \
    "server 127.0.0.1:$P2 max_fails" "server 127.0.0.1:$P3 max_fails" "hash \$http_x_api_key consistent" \
    "non_idempotent" "$TMP/cert.pem" "$TMP/$name/access.log" "api_conn_per_addr 512" "rate=100000r/s" \
    "client_body_temp_path"; do
    grep -qF -- "$want" "$out" || { echo "make_conf: '$want' not in $out"; return 1; }
  done
  [ "$(grep -c "server 127.0.0.1:$P1 max_fails" "$out")" = 2 ] || { echo "make_conf: both upstreams name the replicas"; return 1; }
  if grep -v '^\s*#' "$out" | grep -qE '/etc/|/var/|listen (80|443)|192\.0\.2\.'; then
    echo "make_conf: a system path, port or address is left:"; grep -v '^\s*#' "$out" | grep -E '/etc/|/var/|listen (80|443)|192\.0\.2\.'; return 1
  fi
}
expect_rc 0 "nginx-cluster.conf adapted to this test (addresses, ports, paths, certificate)" make_conf nginx.conf
expect_rc 0 "nginx -t accepts it" "$NGINX" -t -p "$TMP/ngx/" -c "$TMP/nginx.conf" -g "pid $TMP/ngx/nginx.pid; error_log stderr;"
start nginx "$NGINX" -p "$TMP/ngx/" -c "$TMP/nginx.conf" -g "daemon off; pid $TMP/ngx/nginx.pid; error_log stderr;"
C=(curl -s --cacert cert.pem --resolve "$HOST:$PS:127.0.0.1" --max-time 30)
URL="https://$HOST:$PS"
if wait_for 10 "${C[@]}" -f "$URL/healthz" -o /dev/null; then ok "HTTPS through nginx to the replicas"; else bad "HTTPS through nginx to the replicas"; tail -5 nginx.log; fi
code=$("${C[@]}" -o v.json -w '%{http_code}' -H "X-API-Key: $KEY" -H 'Content-Type: application/json' --data-binary @target.json "$URL/api/v1/verify")
expect_eq "$code $(json_field v.json result)" "200 valid" "a verification through nginx"

# --- the shared receipt key: the same keys document on every replica, and receipts made by any check against it
for p in $P1 $P2 $P3; do curl -s "http://127.0.0.1:$p/api/v1/receipt-keys" -o "rk-$p.json"; done
if cmp -s "rk-$P1.json" "rk-$P2.json" && cmp -s "rk-$P1.json" "rk-$P3.json" && [ -s "rk-$P1.json" ]; then
  ok "the three replicas publish the same receipt keys"
else
  bad "the three replicas publish the same receipt keys"; head -c 300 "rk-$P1.json"
fi
"${C[@]}" -o rk-nginx.json "$URL/api/v1/receipt-keys"
rok=0
for i in 1 2 3 4 5 6; do
  "${C[@]}" -o "rv-$i.json" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' --data-binary @target.json \
    "$URL/api/v1/verify?receipt=true"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["receipt"])' "rv-$i.json" >"receipt-$i.txt" 2>/dev/null
  "$V" receipt check --keys rk-nginx.json --file "receipt-$i.txt" >/dev/null 2>&1 && rok=$((rok + 1))
done
expect_eq "$rok" 6 "six receipts made through nginx (by the three replicas in turn) check against the one keys document"
expect_eq "$(ls r1 r2 r3 | grep -c receipt)" 0 "no replica made a receipt key of its own"

# --- sticky routing: every watch/changes request of one key goes to one replica
KEY_A=$("$V" keys add --data r1 --org "CAF 93" --profile social --rate 0 2>/dev/null)
KEY_B=$("$V" keys add --data r1 --org "CAF 13" --profile social --rate 0 2>/dev/null)
"$V" keys export --data r1 --out keys4.json 2>/dev/null
"$V" keys import --data r2 --from keys4.json >/dev/null; "$V" keys import --data r3 --from keys4.json >/dev/null
rm -f keys4.json
sticky() { # KEY LABEL
  local before; before=$(wc -l <ngx/access.log)
  for _ in $(seq 8); do
    "${C[@]}" -o /dev/null -H "X-API-Key: $1" "$URL/api/v1/changes?since=0"
    "${C[@]}" -o /dev/null -H "X-API-Key: $1" "$URL/api/v1/watch"
  done
  sleep 0.5
  tail -n +"$((before + 1))" ngx/access.log | sed -n 's/.* upstream=\([0-9.:]*\) .*/\1/p' | sort -u >"sticky-$2.txt"
  expect_eq "$(wc -l <"sticky-$2.txt")" 1 "sticky routing: the 16 watch and changes requests of key $2 reach one replica"
}
sticky "$KEY_A" A
sticky "$KEY_B" B
# without a sticky route, requests are spread: the verifications above and these reach several replicas
before=$(wc -l <ngx/access.log)
for _ in $(seq 9); do "${C[@]}" -o /dev/null "$URL/api/v1/trust-list"; done
sleep 0.5
expect_eq "$(tail -n +"$((before + 1))" ngx/access.log | sed -n 's/.* upstream=\([0-9.:]*\) .*/\1/p' | sort -u | wc -l)" 3 \
  "other requests are spread over the three replicas"
# what watch/changes do when the key's replica is down: told by the follow test below when the routes exist
watch_code=$("${C[@]}" -o watch.json -w '%{http_code}' -H "X-API-Key: $KEY_A" -H 'Content-Type: application/json' \
  --data-binary @target.json "$URL/api/v1/watch")
if [ "$watch_code" = 201 ] || [ "$watch_code" = 200 ]; then
  # the follow lives on the key's replica: its changes are read there, whichever request comes
  wid=$(json_field watch.json watch_id)
  for _ in 1 2 3 4; do
    c=$("${C[@]}" -o wget.json -w '%{http_code}' -H "X-API-Key: $KEY_A" "$URL/api/v1/watch/$wid")
    [ "$c" = 200 ] || break
  done
  expect_eq "$c" 200 "a follow made through nginx is found again through nginx (same replica)"
else
  echo "note: POST /api/v1/watch answered $watch_code: no follow to check here"
fi

# --- SIGTERM drains: a request in progress is answered, a new connection refused, exit 0
cat >drain.py <<'EOF'
import json, os, signal, socket, subprocess, sys, time
port, pid, body = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "rb").read()
key = os.environ["KEY"]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
head = ("POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\n\r\n" % (key, len(body))).encode()
s.sendall(head + body[:10])           # the request is in progress: its body is not all there
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
refused = False
for _ in range(50):                   # the port refuses new connections within a moment
    try:
        t = socket.create_connection(("127.0.0.1", port), timeout=2); t.close()
    except ConnectionRefusedError:
        refused = True; break
    time.sleep(0.05)
time.sleep(0.5)
s.sendall(body[10:])                  # the rest of the body, after SIGTERM
data = b""
while True:
    c = s.recv(65536)
    if not c: break
    data += c
head, _, rest = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode() if head else "-"
try: result = json.loads(rest).get("result")
except Exception: result = None
close = b"connection: close" in head.lower()
print(status, result, "refused" if refused else "accepted", "close" if close else "keep")
EOF
out=$(KEY=$KEY python3 drain.py "$P3" "$(pid_of r3)" target.json 2>&1)
expect_eq "$out" "200 valid refused close" "SIGTERM: the request in progress answered (200 with a verdict, Connection: close), new connections refused"
wait "$(pid_of r3)" 2>/dev/null; rc=$?
expect_eq "$rc $(grep -c 'stopped' r3.log)" "0 1" "SIGTERM: the replica stops once drained, exit 0"
start_replica 3
if wait_for 60 fresh "$P3"; then ok "replica 3 back and fresh"; else bad "replica 3 back and fresh"; fi

# --- the load, and the faults under it
echo "load: $LOAD_SECONDS s, 64 connections, $DELAY_MS ms between the requests of a connection"
export PAYLOADS=$TMP/payloads.txt API_KEY=$KEY DELAY_MS
start wrk "$WRK" -t2 -c64 -d"${LOAD_SECONDS}s" --timeout 30s -s "$LUA" "https://127.0.0.1:$PS/api/v1/verify"
t_load=$(now_ms)
sleep 3
declare -A rss_start rss_last

# 1. replica 1 killed (SIGKILL) and restarted
{ kill -KILL "$(pid_of r1)"; wait "$(pid_of r1)"; } 2>/dev/null
sleep 2
start_replica 1
if wait_for 60 fresh "$P1"; then ok "replica 1 restarted after SIGKILL, fresh"; else bad "replica 1 restarted after SIGKILL"; tail -5 r1.log; fi
# 2. replica 2 stopped (SIGTERM): it drains while nginx sends the new requests elsewhere
t0=$(now_ms); stop r2; echo "replica 2 drained and stopped in $(( $(now_ms) - t0 )) ms"
# 3. the issuer's feed cut, and a revocation published meanwhile
stop iss
"$I" revoke --dir iss --id "$TARGET" --reason fraud >/dev/null 2>>issue.log
"$I" publish --dir iss >/dev/null 2>>issue.log
expect_eq "$(verdict "$P1")" valid "while the feed is cut, the revocation is not known yet"
stale_on() { [ "$(curl -s -o stale.json -w '%{http_code}' "http://127.0.0.1:$1/healthz")" = 503 ] && grep -q '"stale_issuers"' stale.json; }
if wait_for 60 stale_on "$P1"; then
  ok "a stale replica says so: /healthz 503"
  expect_eq "$(json_field stale.json type)" /problems/stale "  as a stale problem"
  expect_grep '"stale_issuers":\["FR-75"\]' stale.json "  naming the issuer whose feed is cut"
else
  bad "a stale replica says so: /healthz 503"; cat stale.json
fi
# 4. the feed back: the revocation reaches replicas 1 and 3
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1
t_back=$(now_ms)
for n in 1 3; do
  p="PORT_r$n"
  if wait_for 120 revoked_on "${!p}"; then
    ok "the revocation reaches replica $n"
    echo "  replica $n: revoked $(( $(now_ms) - t_back )) ms after the feed came back"
  else
    bad "the revocation reaches replica $n"
  fi
done
if wait_for 60 fresh "$P1"; then ok "replica 1 fresh again: /healthz 200"; else bad "replica 1 fresh again"; fi
# 5. the feed cut again; replica 2 restarts and takes the revocation from the other replicas
stop iss
t_r2=$(now_ms)
start_replica 2
if wait_for 120 revoked_on "$P2"; then
  ok "replica 2, restarted while the feed is cut, takes the revocation from the others (--from)"
  echo "  replica 2: revoked $(( $(now_ms) - t_r2 )) ms after its restart, from a mirror"
else
  bad "replica 2 takes the revocation from the others"; tail -5 r2.log
fi
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1
for p in $P1 $P2 $P3; do wait_for 60 fresh "$p"; done
# 6. the replica that holds a social agency's follow stopped: another answers, without that follow; back after
if [ -n "${wid:-}" ]; then
  wport=$(sed 's/.*://' sticky-A.txt); wn=0
  for n in 1 2 3; do p="PORT_r$n"; [ "${!p}" = "$wport" ] && wn=$n; done
  stop "r$wn"
  c_down=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY_A" "$URL/api/v1/watch/$wid")
  start_replica "$wn"
  wait_for 60 fresh "$wport"
  c_up=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY_A" "$URL/api/v1/watch/$wid")
  expect_eq "$c_down $c_up" "404 200" "the follow's replica down: another replica answers 404 for it; back up: 200 again"
fi
t_faults=$(( $(now_ms) - t_load ))
echo "faults done $t_faults ms into the load"
sleep 10 # warm-up of the replicas restarted last
for n in 1 2 3; do rss_start[r$n]=$(rss_kb "$(pid_of r$n)"); done
t_warm=$(now_ms)

# the rest of the load: the memory sampled every minute (SOAK) or once at the end
while kill -0 "$PID_wrk" 2>/dev/null; do
  sleep 5
  if [ $(( ($(now_ms) - t_warm) / 1000 % 60 )) -lt 5 ] && [ "${SOAK:-0}" = 1 ]; then
    echo "  rss at $(( ($(now_ms) - t_load) / 1000 )) s: r1 $(rss_kb "$(pid_of r1)") kB, r2 $(rss_kb "$(pid_of r2)") kB, r3 $(rss_kb "$(pid_of r3)") kB"
  fi
  for n in 1 2 3; do v=$(rss_kb "$(pid_of r$n)"); [ "$v" -gt 0 ] && rss_last[r$n]=$v; done
done
wait "$PID_wrk" 2>/dev/null
line=$(grep '^cluster-load ' wrk.log)
echo "$line"
read -r _ _ requests _ errors _ non200 _ noverdict _ statuses <<<"$line"
echo "figures: requests ${requests:-?}, errors ${errors:-?}, non-200 ${non200:-?}, without a verdict ${noverdict:-?}, over $LOAD_SECONDS s"
if [ "${requests:-0}" -gt 0 ]; then ok "the load ran (${requests} requests)"; else bad "the load ran"; tail -5 wrk.log; fi
expect_eq "${errors:-x} ${non200:-x} ${noverdict:-x}" "0 0 0" "no failed client request: every answer 200 with a verdict"
[ "${statuses:--}" = - ] || echo "  unexpected statuses: $statuses"
grep -E 'upstream_status=[0-9]+, ' ngx/access.log | wc -l | sed 's/^/  requests nginx retried on another replica: /'
for n in 1 2 3; do
  echo "  rss r$n: ${rss_start[r$n]:-0} kB after warm-up, ${rss_last[r$n]:-0} kB at the end"
done
if [ "${SOAK:-0}" = 1 ]; then
  for n in 1 2 3; do
    s=${rss_start[r$n]:-0}; e=${rss_last[r$n]:-0}
    # generous: half again, plus 16 MiB (caches fill after warm-up)
    if [ "$s" -gt 0 ] && [ "$e" -le $((s + s / 2 + 16384)) ]; then ok "soak: replica $n's memory stays flat ($s -> $e kB)"
    else bad "soak: replica $n's memory stays flat ($s -> $e kB)"; fi
  done
fi
for p in $P1 $P2 $P3; do expect_eq "$(verdict "$p")" revoked "after the load, replica on $p says revoked"; done
code=$("${C[@]}" -o v.json -w '%{http_code}' -H "X-API-Key: $KEY" -H 'Content-Type: application/json' --data-binary @target.json "$URL/api/v1/verify")
expect_eq "$code $(json_field v.json result)" "200 revoked" "through nginx, the revocation is seen"
expect_no_grep "$KEY|${KEY_A:-none}|API1:" ngx/access.log "nginx's log holds no API key and no QR text"
for n in 1 2 3; do stop "r$n"; done
cat r1.log r2.log r3.log r*.earlier.log >replicas.log 2>/dev/null
expect_no_grep 'Sanitizer|runtime error' replicas.log "no sanitizer report from the replicas"
finish
