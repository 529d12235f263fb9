#!/bin/bash
# The issuance API of `api-issuer serve --admin-listen` (docs/issuer-openapi.yaml):
# every route with clients of each role (401, 403, 404, 405, 409, 422, 429),
# idempotency (a retry gets the first answer, another body under the same key
# is 422, nothing issued twice, and a retry after serve was killed mid-answer
# is told so rather than issuing again), a batch with bad rows, the files served and
# then deleted, the feed listener without any admin route, the audit log
# (lines without holder data, reopened on SIGHUP); then 32 parallel clients
# issue 320 attestations: ids, status indices and feed events unique, and
# every attestation verified by a verifier synced from the served feed.
source "$(dirname "$0")/lib.sh"
I="$BIN/api-issuer"; V="$BIN/api-verifier"; F="$BIN/api-federation"

today=$(date +%F)
from=$(date -d "$today -5 days" +%F)
until=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
later=$(date -d "$today +100 days" +%F)

holder() { # FAMILY -> a holder object
  printf '{"family_name": "%s", "given_names": "Awa Marie", "birth_date": "1990-04", "nationality": "SEN", "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$until"
}

expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
R=$("$I" clients add --dir iss --name lecteur --role read 2>/dev/null)
W=$("$I" clients add --dir iss --name anef-emission --role issue 2>/dev/null)
M=$("$I" clients add --dir iss --name anef-gestion --role manage --rate 0 2>/dev/null)
S=$("$I" clients add --dir iss --name lent --role read --rate 1 2>/dev/null)
P=$("$I" clients add --dir iss --name anef-lots --role issue --rate 0 2>/dev/null)
expect_eq "$(printf '%s\n' "$R" "$W" "$M" "$S" "$P" | grep -c '^apit_')" 5 "five clients made"

PF=$(free_port); PA=$(free_port)
start srv "$I" serve --dir iss --listen "127.0.0.1:$PF" --admin-listen "127.0.0.1:$PA" --heartbeat 1 --max-connections-per-address 0 \
  --audit-log audit.log --keep-files 4s --holder-base https://verif.example/holder
up() { curl -s -o /dev/null "http://127.0.0.1:$PA/api/v1/attestations"; }
if wait_for 30 up; then ok "serve answers on the admin listener"; else bad "serve answers on the admin listener"; tail -5 "$TMP/srv.log"; finish; exit 1; fi

A="http://127.0.0.1:$PA/api/v1"
# call TOKEN METHOD PATH [BODY] [EXTRA CURL ARGS...]: body in out.json, headers in out.h; prints the status.
call() {
  local tok=$1 m=$2 p=$3 body=${4:-}; shift 4 2>/dev/null || shift $#
  local args=(-s -o out.json -D out.h -w '%{http_code}' -X "$m")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl "${args[@]}" "$@" "$A$p"
}
field() { python3 -c 'import json,sys; v=json.load(open("out.json"))
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v.get(k)
print(v if not isinstance(v,bool) else str(v).lower())' "$1" 2>/dev/null; }

# --- authentication and roles
expect_eq "$(call "" GET /attestations)" 401 "no token: 401"
expect_grep '^WWW-Authenticate: Bearer' out.h "401 says WWW-Authenticate: Bearer"
expect_grep '^Content-Type: application/problem\+json' out.h "401 is a problem"
expect_eq "$(call apit_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET /attestations)" 401 "unknown token: 401"
expect_eq "$(call "$R" POST /attestations "$(holder LECTEUR)")" 403 "read may not issue: 403"
expect_eq "$(call "$W" GET /attestations)" 200 "issue may read"

# --- issue one
code=$(call "$W" POST /attestations "$(holder DUPONT)")
expect_eq "$code" 201 "POST /attestations: 201"
ID=$(field id)
expect_eq "${#ID}" 24 "the id has 24 hex characters"
expect_grep '"qr_text":"API1:' out.json "the answer has the QR text"
expect_grep '"card_text":"' out.json "and the holder's card"
expect_grep '"holder_url":"https://verif.example/holder#' out.json "and the holder link"
expect_grep "\"pdf\":\"/api/v1/attestations/$ID.pdf\"" out.json "and the links to its files"

expect_eq "$(call "$R" GET "/attestations/$ID.pdf")" 200 "the PDF is served"
expect_eq "$(head -c 5 out.json)" "%PDF-" "and is a PDF"
expect_grep '^Content-Type: application/pdf' out.h "as application/pdf"
expect_eq "$(call "$R" GET "/attestations/$ID.png")" 200 "the PNG is served"
expect_eq "$(call "$R" GET "/attestations/$ID.svg")" 200 "the SVG is served"
expect_grep '^Cache-Control: no-store' out.h "files are not cached"

# --- bad bodies
expect_eq "$(call "$W" POST /attestations '{"family_name": "X"}')" 422 "a holder object without its fields: 422"
expect_grep 'given_names|birth_date|nationality' out.json "the problem names the field"
expect_eq "$(call "$W" POST /attestations '{"family_name": ')" 422 "malformed JSON: 422"
expect_eq "$(call "$W" POST /attestations "$(holder X | sed 's/1990-04/1990-13-45/')")" 422 "a bad birth date: 422"
big=$(python3 -c 'print("{\"family_name\": \"" + "A" * 70000 + "\"}")')
expect_eq "$(call "$W" POST /attestations "$big")" 413 "a body over the limit: 413"

# --- reading
expect_eq "$(call "$R" GET "/attestations/$ID")" 200 "GET /attestations/{id}"
expect_eq "$(field status)" valid "its status is valid"
expect_no_grep 'DUPONT|Awa|7503123456' out.json "no personal data in the attestation's state"
expect_eq "$(call "$R" GET /attestations/000000000000000000000000)" 404 "an unknown id: 404"
expect_eq "$(call "$R" GET /attestations/nothex)" 404 "not an id: 404"

# --- status changes: roles, rules, messages
expect_eq "$(call "$W" POST "/attestations/$ID/suspend" '{}')" 403 "issue may not suspend: 403"
expect_eq "$(call "$M" POST "/attestations/$ID/suspend" '{}')" 200 "suspend"
expect_eq "$(field status)" suspended "suspended"
expect_eq "$(call "$M" POST "/attestations/$ID/resume" '{}')" 200 "resume"
expect_eq "$(call "$M" POST "/attestations/$ID/extend" "{\"until\": \"$later\"}")" 200 "extend"
expect_eq "$(field extended)" true "extended"
expect_eq "$(call "$M" POST "/attestations/$ID/extend" '{"until": "2026-02-30"}')" 422 "extend to a bad date: 422"
expect_eq "$(call "$M" POST "/attestations/$ID/revoke" '{"reason": "because"}')" 422 "revoke with a bad reason: 422"
expect_grep 'error, fraud or withdrawn' out.json "the problem says which reasons"
expect_eq "$(call "$M" POST "/attestations/$ID/revoke" '{"reason": "fraud"}')" 200 "revoke"
expect_eq "$(call "$M" POST "/attestations/$ID/resume" '{}')" 409 "resume a revoked one: 409"
expect_grep '^Content-Type: application/problem\+json' out.h "409 is a problem"
expect_eq "$(call "$M" POST /attestations/000000000000000000000000/suspend '{}')" 404 "change an unknown id: 404"
expect_eq "$(call "$R" GET "/attestations/$ID")" 200 "GET after the changes"
expect_eq "$(python3 -c 'import json; print(len(json.load(open("out.json"))["history"]))')" 4 "its history has four changes"
expect_eq "$(call "$M" GET "/attestations/$ID/revoke")" 405 "GET on a change: 405"
expect_grep '^Allow: POST' out.h "405 says Allow: POST"

# --- supersede, replaces
ID2=$( call "$W" POST /attestations "$(holder MARTIN)" >/dev/null; field id )
code=$(call "$W" POST /attestations "$(holder MARTIN | sed "s/^{/{\"replaces\": \"$ID2\", /")")
expect_eq "$code" 201 "issue with replaces"
expect_eq "$(field replaced)" "$ID2" "the answer names the replaced one"
call "$R" GET "/attestations/$ID2" >/dev/null
expect_eq "$(field status)" superseded "the replaced one is superseded"
ID3=$(field id)
ID4=$( call "$W" POST /attestations "$(holder BERNARD)" >/dev/null; field id )
expect_eq "$(call "$M" POST "/attestations/$ID4/supersede" '{"decision": "issued"}')" 200 "supersede"

# --- idempotency
body=$(holder IDEM)
c1=$(call "$W" POST /attestations "$body" -H 'Idempotency-Key: k-1'); cp out.json idem1.json
c2=$(call "$W" POST /attestations "$body" -H 'Idempotency-Key: k-1'); cp out.json idem2.json
expect_eq "$c1 $c2" "201 201" "a retry with the same key: the same status"
if cmp -s idem1.json idem2.json; then ok "and the same body"; else bad "and the same body"; fi
expect_eq "$(call "$W" POST /attestations "$(holder AUTRE)" -H 'Idempotency-Key: k-1')" 422 "another body with the same key: 422"
expect_eq "$(call "$M" POST /attestations "$body" -H 'Idempotency-Key: k-1')" 201 "the same key of another client is another request"
n_before=$("$I" list --dir iss 2>/dev/null | wc -l)
kids=()
for k in 1 2 3 4; do
  curl -s -o /dev/null -H "Authorization: Bearer $W" -H 'Idempotency-Key: k-par' --data-binary "$(holder PAR)" "$A/attestations" & kids+=($!)
done
wait "${kids[@]}"
n_after=$("$I" list --dir iss 2>/dev/null | wc -l)
expect_eq "$((n_after - n_before))" 1 "four concurrent requests with one key issue once"
expect_no_grep 'IDEM|Awa Marie' <(cat iss/idempotency/* 2>/dev/null | tr -d '\0') "the kept answers are encrypted"
expect_eq "$(stat -c %a iss/idempotency/secret.key)" 600 "the idempotency key is 0600"

# --- batch
batch="[$(holder UN), {\"family_name\": \"DEUX\"}, $(holder TROIS), 42]"
expect_eq "$(call "$W" POST /attestations/batch "$batch")" 200 "a batch: 200"
expect_eq "$(field created) $(field rejected)" "2 2" "two created, two rejected"
expect_eq "$(field results.0.status) $(field results.1.status) $(field results.2.status) $(field results.3.status)" "201 422 201 422" "one result per object, in order"
expect_grep '"error":"given_names' out.json "a rejected object's error names the field"
over=$(python3 -c 'print("[" + ",".join(["{}"] * 1001) + "]")')
expect_eq "$(call "$W" POST /attestations/batch "$over")" 422 "a batch of 1001: 422"

# --- list, pagination, renew-pending
expect_eq "$(call "$R" GET '/attestations?limit=2')" 200 "the list, two a page"
cur=$(field next_cursor); n=2; pages=1
while [ "$cur" != None ] && [ "$pages" -lt 100 ]; do
  call "$R" GET "/attestations?limit=2&cursor=$cur" >/dev/null
  n=$((n + $(python3 -c 'import json; print(len(json.load(open("out.json"))["attestations"]))'))); cur=$(field next_cursor); pages=$((pages + 1))
done
expect_eq "$n" "$("$I" list --dir iss 2>/dev/null | wc -l)" "the pages hold every attestation once"
expect_eq "$(call "$R" GET '/attestations?status=revoked')" 200 "the list by status"
expect_eq "$(field attestations.0.id)" "$ID" "the revoked one"
expect_eq "$(call "$R" GET '/attestations?status=lost')" 400 "a bad status: 400"
expect_eq "$(call "$R" GET '/attestations?limit=5000')" 400 "a limit over 1000: 400"
expect_eq "$(call "$W" POST /renew-pending '{}')" 403 "issue may not renew: 403"
expect_eq "$(call "$M" POST /renew-pending '{"expiring_within": "90d", "by": "1m"}')" 200 "renew-pending"
expect_eq "$(call "$M" POST /renew-pending '{"by": "4m"}')" 422 "renew by more than three months: 422"

# --- rate limit
call "$S" GET /attestations >/dev/null; call "$S" GET /attestations >/dev/null
expect_eq "$(call "$S" GET /attestations)" 429 "over its rate: 429"
expect_grep '^Retry-After: [0-9]' out.h "429 says Retry-After"

# --- the feed listener has no admin route
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $M" "http://127.0.0.1:$PF/api/v1/attestations")
expect_eq "$code" 404 "the feed listener: /api/v1/attestations is 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $M" --data-binary "$(holder X)" "http://127.0.0.1:$PF/api/v1/attestations")
[ "$code" = 404 ] || [ "$code" = 405 ] && ok "nor can one POST there ($code)" || bad "nor can one POST there ($code)"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PF/feed/v1/FR-75/checkpoint")" 200 "the feed is there"

# --- files expire
if wait_for 30 test ! -e "iss/files/$ID.pdf"; then ok "the files are deleted after --keep-files"; else bad "the files are deleted after --keep-files"; fi
expect_eq "$(call "$R" GET "/attestations/$ID.pdf")" 404 "and no longer served"

# --- audit log
expect_grep '"client":"anef-emission","action":"issue","id":"[0-9a-f]{24}","status":201' audit.log "the audit log has the issue"
expect_grep '"client":"anef-gestion","action":"revoke","id":"'"$ID"'","status":200' audit.log "and the revocation"
expect_grep '"client":"-","action":"list","id":"-","status":401' audit.log "and the refused request"
expect_no_grep 'DUPONT|MARTIN|Awa|7503123456|API1:|apit_' audit.log "no holder data nor token in the audit log"
mv audit.log audit.log.1
kill -HUP "$PID_srv"
call "$R" GET "/attestations/$ID" >/dev/null
if wait_for 10 test -s audit.log; then ok "SIGHUP: a new audit log"; else bad "SIGHUP: a new audit log"; fi
expect_no_grep 'DUPONT|MARTIN|Awa|7503123456' "$TMP/srv.log" "serve logged no holder data"

# --- a retry after a crash: serve killed while it answers a batch with an Idempotency-Key
python3 -c 'import sys; print("[" + ",".join([sys.argv[1]] * 300) + "]")' "$(holder CRASH)" >crash.json
curl -s -o /dev/null -H "Authorization: Bearer $P" -H 'Idempotency-Key: crash-1' --data-binary @crash.json "$A/attestations/batch" &
crash_pid=$!
wait_for 30 test -n "$(ls iss/idempotency | grep -E '^[0-9a-f]{64}$')"
sleep 0.5
stop srv KILL; kill "$crash_pid" 2>/dev/null; wait "$crash_pid" 2>/dev/null
n_crash=$("$I" list --dir iss 2>/dev/null | wc -l)
start srv "$I" serve --dir iss --listen "127.0.0.1:$PF" --admin-listen "127.0.0.1:$PA" --heartbeat 1 --max-connections-per-address 0 \
  --audit-log audit.log --keep-files 4s --holder-base https://verif.example/holder
if wait_for 30 up; then ok "serve started again after being killed"; else bad "serve started again after being killed"; fi
code=$(curl -s -o crash.out -w '%{http_code}' -H "Authorization: Bearer $P" -H 'Idempotency-Key: crash-1' --data-binary @crash.json "$A/attestations/batch")
case "$code" in
  409) expect_grep 'idempotency-interrupted' crash.out "the retry after the crash: 409, its outcome unknown" ;;
  200) expect_eq "$(python3 -c 'import json; print(json.load(open("crash.out"))["created"])')" 300 "the retry after the crash: the batch had finished, its answer again" ;;
  *) bad "the retry after the crash: 409 or the first answer (got $code)" ;;
esac
expect_eq "$("$I" list --dir iss 2>/dev/null | wc -l)" "$n_crash" "the retry issued nothing"

# --- 32 parallel clients, 10 attestations each
mkdir par; kids=()
for c in $(seq 1 32); do
  ( for k in $(seq 1 10); do
      curl -s -o "par/$c-$k.json" -w '%{http_code}\n' -H "Authorization: Bearer $P" -H 'Content-Type: application/json' \
        --data-binary "$(holder "PARALLELE")" "$A/attestations"
    done >"par/$c.codes" ) & kids+=($!)
done
wait "${kids[@]}"
expect_eq "$(cat par/*.codes | grep -c '^201$')" 320 "32 clients issued 320 attestations"
python3 - par >par.ids <<'PY'
import json, os, sys
for f in sorted(os.listdir(sys.argv[1])):
    if f.endswith(".json"):
        v = json.load(open(os.path.join(sys.argv[1], f))); print(v["id"]); open(os.path.join(sys.argv[1], v["id"] + ".txt"), "w").write(v["qr_text"])
PY
expect_eq "$(sort -u par.ids | wc -l)" 320 "320 distinct ids"
"$I" list --dir iss --format json >list.json 2>/dev/null
expect_eq "$(python3 -c 'import json; l=json.load(open("list.json")); print(len(l) == len({e["index"] for e in l}))')" True "every status index is unique"
kids=()
for c in $(seq 1 32); do
  ( for id in $(sed -n "$(( (c - 1) * 10 + 1 )),$(( c * 10 ))p" par.ids); do
      curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $M" --data-binary '{}' "$A/attestations/$id/suspend"
    done >"par/$c.susp" ) & kids+=($!)
done
wait "${kids[@]}"
expect_eq "$(cat par/*.susp | grep -c '^200$')" 320 "32 clients suspended them"

seqs=$(python3 - "$A" "$M" par.ids <<'PY'
import json, sys, urllib.request
base, tok, ids = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
seqs = []
for i in ids:
    req = urllib.request.Request(base + "/attestations/" + i, headers={"Authorization": "Bearer " + tok})
    seqs += [h["seq"] for h in json.load(urllib.request.urlopen(req))["history"]]
print(len(seqs), len(set(seqs)))
PY
)
expect_eq "$seqs" "320 320" "320 feed events, each with its own sequence number"
# the verifier: a federation, a trust list, a replica synced from the served feed
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PF"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
result() { "$V" verify --root fed/root.pub --data rep --payload "$(cat "par/$1.txt")" --json 2>/dev/null |
  sed -n 's/^[[:space:]]*"result":[[:space:]]*"\([a-z_]*\)".*/\1/p'; }
# every attestation suspended, as the replica says once it synced the feed's events (published each heartbeat)
all_suspended() {
  "$V" sync --root fed/root.pub --data rep --trust tl.cose >/dev/null 2>&1 || return 1
  bad_n=0
  for id in $(cat par.ids); do [ "$(result "$id")" = suspended ] || bad_n=$((bad_n + 1)); done
  [ "$bad_n" -eq 0 ]
}
bad_n=-1
if wait_for 120 all_suspended; then ok "the replica synced the feed"; else bad "the replica synced the feed"; fi
expect_eq "$bad_n" 0 "every attestation verifies, suspended, with the synced replica"

stop srv
expect_no_grep "Sanitizer|runtime error" "$TMP/srv.log" "no sanitizer report from serve"
finish
