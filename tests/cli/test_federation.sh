#!/bin/bash
# The federation with real processes on loopback: one root, three issuers
# serving their feeds, two verifiers (the second syncing only from the first,
# as a mirror). Status changes must reach both verifiers; attacks must be
# detected; a verifier killed in the middle of a sync must lose nothing.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
soon=$(date -d "$today +5 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)

holder_json() { # family until
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$2"
}

# issue ISS NAME UNTIL: issues one attestation and prints its id.
issue() {
  holder_json "$2" "$3" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out "out-$1" --formats png | awk 'NR==1 {print $1}'
}

# verdict DATA ID [extra args]: the verdict of attestation ID against the replica in DATA.
verdict() {
  local data=$1 id=$2; shift 2
  "$V" verify --root fed/root.pub --data "$data" --payload "$(cat out-*/"$id".txt)" --json "$@" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["result"], r.get("validity",{}).get("effective_until",""), r.get("validity",{}).get("extended",""), r["status_checked"])'
}

# expect_verdict DATA ID WANT NAME [extra]: waits up to 15 s for the verdict's first word to be WANT.
expect_verdict() {
  local data=$1 id=$2 want=$3 name=$4; shift 4
  if wait_for 15 bash -c '[ "$(verdict "$0" "$1" "${@:3}" | cut -d" " -f1)" = "$2" ]' "$data" "$id" "$want" "$@"; then
    ok "$name"
  else
    bad "$name (got '$(verdict "$data" "$id" "$@")', wanted $want)"
  fi
}
export -f verdict
export V

# --- a federation of three issuers, each serving its feed
P1=$(free_port); P2=$(free_port); P3=$(free_port); PA=$(free_port); PB=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
n=0
for id in FR-75 FR-13 FR-69; do
  n=$((n + 1)); port_var="P$n"
  expect_rc 0 "issuer $id init" "$I" init --dir "iss$n" --id "$id" --name "Préfecture $id" --kdf interactive
  expect_rc 0 "admit $id" "$F" add-issuer --dir fed --id "$id" --name "Préfecture $id" --pub "iss$n/issuer.pub" --feed "http://127.0.0.1:${!port_var}"
done
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose

A1=$(issue iss1 REVOKEME "$later"); A2=$(issue iss2 SUSPENDME "$later"); A3=$(issue iss3 SUPERSEDEME "$later")
A4=$(issue iss1 EXTENDME "$soon"); A5=$(issue iss2 UNTOUCHED "$later"); A6=$(issue iss3 WITHHELD "$later")
expect_eq "${#A1}${#A2}${#A3}${#A4}${#A5}${#A6}" "242424242424" "six attestations issued"

start iss1 "$I" serve --dir iss1 --listen "127.0.0.1:$P1" --heartbeat 1
start iss2 "$I" serve --dir iss2 --listen "127.0.0.1:$P2" --heartbeat 1
start iss3 "$I" serve --dir iss3 --listen "127.0.0.1:$P3" --heartbeat 1
for p in $P1 $P2 $P3; do
  wait_for 10 curl -sf "http://127.0.0.1:$p/feed/v1/" -o /dev/null -w '' || wait_for 10 bash -c "curl -s http://127.0.0.1:$p/ >/dev/null"
done
if wait_for 10 curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/checkpoint" -o cp1.cose; then ok "issuer FR-75 serves its checkpoint"; else bad "issuer FR-75 serves its checkpoint"; fi
curl -s -D hdr.txt "http://127.0.0.1:$P1/feed/v1/FR-75/segments/5" -o seg.json
expect_grep "^HTTP/1.1 404" hdr.txt "a segment that does not exist is a 404"
expect_grep "application/problem\+json" hdr.txt "as problem+json"

# --- two verifiers: B syncs only from A
start verA "$V" serve --root fed/root.pub --data dataA --trust tl.cose --listen "127.0.0.1:$PA" --sync-interval 1
if wait_for 15 curl -sf "http://127.0.0.1:$PA/trust/v1/trust-list.cose" -o tlA.cose; then ok "verifier A serves the trust list"; else bad "verifier A serves the trust list"; fi
expect_eq "$(cmp -s tl.cose tlA.cose && echo same)" same "byte for byte"
start verB "$V" serve --root fed/root.pub --data dataB --trust-url "http://127.0.0.1:$PA/trust/v1/trust-list.cose" \
  --from "http://127.0.0.1:$PA" --mirrors-only --listen "127.0.0.1:$PB" --sync-interval 1
expect_verdict dataA "$A5" valid "A: valid with status"
expect_verdict dataB "$A5" valid "B (through A): valid with status"
expect_eq "$(verdict dataB "$A5" | cut -d' ' -f4)" True "status_checked is true with a replica"
if wait_for 10 curl -sf "http://127.0.0.1:$PB/feed/v1/FR-13/checkpoint" -o cpB.cose; then ok "B re-serves FR-13's checkpoint"; else bad "B re-serves FR-13's checkpoint"; fi

# --- status changes reach both verifiers
expect_rc 0 "revoke" "$I" revoke --dir iss1 --id "$A1" --reason fraud
expect_rc 2 "revoking twice is refused" "$I" revoke --dir iss1 --id "$A1" --reason fraud
expect_verdict dataA "$A1" revoked "A: revoked"
expect_verdict dataB "$A1" revoked "B: revoked"
expect_rc 0 "suspend" "$I" suspend --dir iss2 --id "$A2"
expect_verdict dataA "$A2" suspended "A: suspended"
expect_verdict dataB "$A2" suspended "B: suspended"
expect_rc 0 "resume" "$I" resume --dir iss2 --id "$A2"
expect_verdict dataB "$A2" valid "B: valid again after resume"
expect_rc 0 "supersede" "$I" supersede --dir iss3 --id "$A3" --decision issued
expect_verdict dataA "$A3" superseded "A: superseded"
expect_verdict dataB "$A3" superseded "B: superseded"
expect_rc 2 "a superseded attestation cannot be resumed" "$I" resume --dir iss3 --id "$A3"
new_end=$(date -d "$soon +2 months" +%F)
expect_rc 0 "extend" "$I" extend --dir iss1 --id "$A4" --until "$new_end"
expect_rc 2 "an extension over three months is refused" "$I" extend --dir iss1 --id "$A4" --until "$(date -d "$new_end +4 months" +%F)"
after_print=$(date -d "$soon +3 days" +%F)
# Checking days ahead with --at: the status held now would be stale then, hence --max-staleness 30d.
expect_verdict dataA "$A4" valid "A: valid after the printed end (extended)" --at "$after_print" --max-staleness 30d
expect_verdict dataB "$A4" valid "B: valid after the printed end (extended)" --at "$after_print" --max-staleness 30d
expect_eq "$(verdict dataB "$A4" --at "$after_print" --max-staleness 30d | cut -d' ' -f2-3)" "$new_end True" "B shows the new end date, extended"
"$V" verify --root fed/root.pub --trust tl.cose --payload "$(cat out-iss1/"$A4".txt)" --at "$after_print" --json >noreplica.json 2>/dev/null
expect_eq "$(json_field noreplica.json result)" expired "without a replica the printed end applies"

# --- renew-pending extends exactly the right attestations
R1=$(issue iss2 RENEWSOON "$soon"); R2=$(issue iss2 RENEWFAR "$later"); R3=$(issue iss2 RENEWREVOKED "$soon")
"$I" revoke --dir iss2 --id "$R3" --reason error >/dev/null
expect_rc 0 "renew-pending" "$I" renew-pending --dir iss2 --expiring-within 15d --by 3m
expect_grep "^$R1 " "$TMP/.stdout" "the attestation ending soon is renewed"
expect_no_grep "$R2" "$TMP/.stdout" "the one ending later is not"
expect_no_grep "$R3" "$TMP/.stdout" "the revoked one is not"
expect_grep "renewed 1$" "$TMP/.stdout" "exactly one renewed"
expect_rc 0 "a second run renews nothing more" "$I" renew-pending --dir iss2 --expiring-within 15d --by 3m
expect_grep "renewed 0$" "$TMP/.stdout" "renew-pending is idempotent within the window"
expect_verdict dataB "$R1" valid "B: renewed attestation valid after its printed end" --at "$(date -d "$soon +10 days" +%F)" --max-staleness 30d
expect_rc 2 "renew-pending refuses more than three months" "$I" renew-pending --dir iss2 --expiring-within 15d --by 4m
expect_rc 0 "list" "$I" list --dir iss2 --status revoked
expect_grep "^$R3 +revoked" "$TMP/.stdout" "list --status revoked shows it"
expect_no_grep "SUSPENDME|Awa|7503123456" "$TMP/.stdout" "list shows no personal data"

# --- a verifier with no network keeps answering from its replica
stop verB
expect_verdict dataB "$A1" revoked "B offline: still answers revoked from its replica"

# --- withheld feed: FR-69 stops; with a short max staleness its answers become status_unknown
stop iss3
sleep 6
expect_verdict dataA "$A6" status_unknown "withheld feed: status_unknown after --max-staleness" --max-staleness 4s
expect_verdict dataA "$A3" superseded "a final status stays final when the feed is withheld" --max-staleness 4s
expect_verdict dataA "$A5" valid "other issuers are unaffected" --max-staleness 4s

# --- trust list rollback and compromised key, through sync
expect_rc 0 "compromise FR-75's key" "$F" compromise --dir fed --kid "$("$F" list --dir fed | awk '$1 == "FR-75" {print $2}')"
expect_rc 0 "publish" "$F" publish --dir fed --out tl2.cose
expect_rc 1 "sync with the new list (FR-69 is down)" "$V" sync --root fed/root.pub --data dataA --trust tl2.cose
expect_verdict dataA "$A5" valid "FR-13 still valid"
expect_verdict dataA "$A1" untrusted_issuer "compromised key: untrusted_issuer"
expect_rc 1 "an older trust list is refused (rollback)" "$V" sync --root fed/root.pub --data dataA --trust tl.cose
expect_grep "REFUSED" "$TMP/.stdout" "the rollback is reported"
expect_verdict dataA "$A1" untrusted_issuer "the replica keeps the newer list"

finish
