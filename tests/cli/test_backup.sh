#!/bin/bash
# An issuer backed up while it serves, "lost", and restored from the backup
# with what it published since taken back from the verifiers that mirror
# its feed: nothing published is lost, no status index is used twice, the
# new feed epoch is a fork until the federation records it, and everything
# verifies again once it does. Also: damaged, truncated and misplaced
# restores are refused with a clear message.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)

holder_json() { # family
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$later"
}

# issue NAME: issues one attestation of FR-75 and prints its id.
issue() {
  holder_json "$1" >"h-$1.json"
  "$I" issue --dir iss --json "h-$1.json" --out out --formats png | awk 'NR==1 {print $1}'
}

# verdict DATA ID: the verdict of attestation ID against the replica in DATA.
verdict() {
  "$V" verify --root fed/root.pub --data "$1" --payload "$(cat out/"$2".txt)" --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'
}
export -f verdict
export V

# expect_verdict DATA ID WANT NAME: waits up to 20 s for the verdict WANT.
expect_verdict() {
  if wait_for 20 bash -c '[ "$(verdict "$0" "$1")" = "$2" ]' "$1" "$2" "$3"; then ok "$4"; else bad "$4 (got '$(verdict "$1" "$2")', wanted $3)"; fi
}

PI=$(free_port); PA=$(free_port); PB=$(free_port); PX=$(free_port); PM=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PI"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose

A1=$(issue REVOKEDAFTER); A2=$(issue STAYSVALID); A3=$(issue REVOKEDBEFORE)
"$I" revoke --dir iss --id "$A3" --reason error >/dev/null
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1
start verA "$V" serve --root fed/root.pub --data dataA --trust tl.cose --listen "127.0.0.1:$PA" --sync-interval 1
wait_for 15 curl -sf "http://127.0.0.1:$PA/trust/v1/trust-list.cose" -o /dev/null
start verB "$V" serve --root fed/root.pub --data dataB --trust-url "http://127.0.0.1:$PA/trust/v1/trust-list.cose" \
  --from "http://127.0.0.1:$PA" --mirrors-only --listen "127.0.0.1:$PB" --sync-interval 1
expect_verdict dataA "$A3" revoked "A: revoked before the backup"
expect_verdict dataB "$A2" valid "B (through A): valid"

# --- a hot backup while serve publishes and the commands write
( for n in $(seq 1 12); do issue "BUSY$n" >/dev/null; done ) &
busy=$!
expect_rc 0 "backup while serve runs and the registry is written" "$I" backup --dir iss --out backup.api
expect_grep "^backup of FR-75 written to backup.api" "$TMP/.stdout" "backup says what it wrote"
wait "$busy"
expect_eq "$(stat -c %a backup.api)" 600 "the backup file is 0600"
expect_eq "$(ls | grep -c '^backup.api.')" 0 "no temporary file is left"
expect_rc 0 "the hot backup restores" "$I" restore --from backup.api --dir check
expect_rc 0 "its registry reads" "$I" list --dir check
n_check=$(grep -c . "$TMP/.stdout")
if [ "$n_check" -ge 3 ] && [ "$n_check" -le 15 ]; then ok "a consistent registry ($n_check attestations)"; else bad "a consistent registry ($n_check attestations)"; fi
expect_eq "$(cmp -s iss/issuer.key check/issuer.key && echo same)" same "the key file is restored as it was on disk (encrypted)"
expect_no_grep "correct-horse" backup.api "the backup holds no passphrase"
expect_grep "\"id\"" backup.api "the configuration is in the backup"
rm -rf check

# --- after the backup: published changes, and attestations the backup never saw
expect_rc 0 "revoke after the backup" "$I" revoke --dir iss --id "$A1" --reason fraud
A4=$(issue ISSUEDAFTER); A5=$(issue NEVERCHANGED)
expect_rc 0 "suspend one issued after the backup" "$I" suspend --dir iss --id "$A4"
expect_verdict dataA "$A1" revoked "A: revoked after the backup"
expect_verdict dataB "$A1" revoked "B: revoked after the backup"
expect_verdict dataB "$A4" suspended "B: suspended after the backup"

# --- the machine is lost
stop iss
rm -rf iss

# --- refusals: damaged, truncated, not a backup, a folder in use, an unreachable source only
size=$(stat -c %s backup.api)
head -c $((size - 100)) backup.api >truncated.api
expect_rc 2 "a truncated backup is refused" "$I" restore --from truncated.api --dir iss
expect_grep "damaged or truncated" "$TMP/.stderr" "it says the file is damaged or truncated"
[ ! -e iss ] && ok "nothing is left behind" || bad "nothing is left behind"
cp backup.api damaged.api
printf '\x55' | dd of=damaged.api bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_rc 2 "a damaged backup is refused" "$I" restore --from damaged.api --dir iss
expect_grep "checksum does not match|damaged or truncated" "$TMP/.stderr" "it says the file is damaged"
[ ! -e iss ] && ok "nothing is left behind after a damaged file" || bad "nothing is left behind after a damaged file"
echo "hello" >notabackup.api
expect_rc 2 "a file that is not a backup is refused" "$I" restore --from notabackup.api --dir iss
expect_grep "not a backup" "$TMP/.stderr" "it says so"
mkdir busy; echo x >busy/something
expect_rc 4 "restore over a non-empty folder is refused" "$I" restore --from backup.api --dir busy
expect_grep "not empty" "$TMP/.stderr" "it says the folder is not empty"
expect_eq "$(ls busy)" something "the folder is untouched"
expect_rc 4 "restore with only unreachable sources is refused" "$I" restore --from backup.api --dir iss --recover-from "http://127.0.0.1:$PX"
expect_grep "no --recover-from source" "$TMP/.stderr" "it says no source gave the feed"
[ ! -e iss ] && ok "nothing is left behind after a failed recovery" || bad "nothing is left behind after a failed recovery"

# --- the restore: recovered from the verifiers
expect_rc 0 "restore with recovery from the verifiers" "$I" restore --from backup.api --dir iss \
  --recover-from "http://127.0.0.1:$PX" --recover-from "http://127.0.0.1:$PA" --recover-from "http://127.0.0.1:$PB"
cp "$TMP/.stdout" restore.out
expect_grep "^new feed epoch 1$" restore.out "restore prints the new feed epoch"
expect_grep "^recovered from http://127.0.0.1:$PA: epoch 0" restore.out "the feed was taken from verifier A"
expect_grep "127.0.0.1:$PX: not used" "$TMP/.stderr" "the unreachable source is named"
expect_grep "1 indices of attestations issued after the backup kept" restore.out "the suspended attestation issued after the backup is kept"
expect_eq "$(python3 -c 'import json; print(json.load(open("iss/issuer.json"))["epoch"])')" 1 "issuer.json holds the new epoch"
expect_rc 0 "list the revoked" "$I" list --dir iss --status revoked
expect_grep "^$A1" "$TMP/.stdout" "the revocation published after the backup is in the registry"
expect_grep "^$A3" "$TMP/.stdout" "the revocation before the backup too"
read -r before after < <(sed -n 's/^status indices: the allocator moved from \([0-9]*\) to \([0-9]*\)$/\1 \2/p' restore.out)
if [ -n "$before" ] && [ "$after" -ge $((before + 10000)) ]; then ok "the index allocator moved past what was published ($before -> $after)"; else bad "the index allocator moved ($before -> $after)"; fi
expect_rc 4 "a second restore into the restored folder is refused" "$I" restore --from backup.api --dir iss

# --- the new epoch without the federation: a fork, and the verifiers keep what they hold
MANAGE=$("$I" clients add --dir iss --name "gestion des titres" --role manage --rate 0 2>/dev/null)
start iss2 "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1 --admin-listen "127.0.0.1:$PM"
wait_for 10 curl -sf "http://127.0.0.1:$PI/feed/v1/FR-75/checkpoint" -o /dev/null
expect_rc 0 "a fresh trust list, the epoch not recorded" "$F" publish --dir fed --out tl1.cose
"$V" sync --root fed/root.pub --data dataA --trust tl1.cose >sync1.out 2>&1
expect_grep "FORK detected for FR-75" sync1.out "a restore without the federation's new epoch is detected as a fork"
expect_verdict dataA "$A1" revoked "A keeps the revocation meanwhile"
expect_verdict dataA "$A4" suspended "A keeps the suspension meanwhile"

# --- the federation records the epoch: every verifier takes the new feed
expect_rc 0 "set-epoch" "$F" set-epoch --dir fed --id FR-75 --epoch 1
expect_grep "FR-75: feed epoch 1" "$TMP/.stdout" "set-epoch says what it recorded"
expect_rc 2 "set-epoch never goes back" "$F" set-epoch --dir fed --id FR-75 --epoch 1
expect_rc 2 "set-epoch of an unknown issuer" "$F" set-epoch --dir fed --id FR-99 --epoch 3
expect_rc 0 "publish the trust list with the new epoch" "$F" publish --dir fed --out tl2.cose
"$V" sync --root fed/root.pub --data dataA --trust tl2.cose >sync2.out 2>&1
expect_grep "FR-75: http://127.0.0.1:$PI -> seq 0" sync2.out "A takes the new epoch's feed from the issuer"
for d in dataA dataB; do
  expect_verdict "$d" "$A1" revoked "$d: the revocation published after the backup stays revoked"
  expect_verdict "$d" "$A3" revoked "$d: the revocation before the backup stays revoked"
  expect_verdict "$d" "$A4" suspended "$d: the suspension of an attestation issued after the backup stays"
  expect_verdict "$d" "$A2" valid "$d: the valid one stays valid"
  expect_verdict "$d" "$A5" valid "$d: the one issued after the backup, never changed, stays valid"
done
A6=$(issue ISSUEDRESTORED)
expect_verdict dataA "$A6" valid "an attestation issued after the restore verifies"
expect_rc 0 "revoke it" "$I" revoke --dir iss --id "$A6" --reason error
expect_verdict dataB "$A6" revoked "B: its revocation arrives"
expect_verdict dataB "$A5" valid "B: no index was used twice (the one issued after the backup is still valid)"

# --- attestations issued after the backup: given back to the registry from their QR texts
expect_rc 2 "before adopt, the one issued after the backup cannot be changed by id" "$I" resume --dir iss --id "$A4"
expect_grep "no attestation with that id" "$TMP/.stderr" "it says the id is not in the registry"
expect_grep "api-issuer adopt --dir iss" restore.out "restore says how to give them back"
expect_rc 0 "adopt the suspended one" "$I" adopt --dir iss --file "out/$A4.txt"
expect_grep "^$A4  given back: suspended until $later, as the published feed said" "$TMP/.stdout" "it takes the status the feed published"
expect_rc 0 "adopt it again" "$I" adopt --dir iss --file "out/$A4.txt"
expect_grep "^$A4  already in the registry" "$TMP/.stdout" "a second adopt changes nothing"
cat "out/$A4.txt" "out/$A2.txt" >two.txt
printf '\n' >>two.txt
expect_rc 0 "adopt from a file of two texts (the one just given back, one from the backup)" "$I" adopt --dir iss --file two.txt
expect_grep "^$A4  already in the registry" "$TMP/.stdout" "the one given back is not given twice"
expect_grep "^$A2  already in the registry" "$TMP/.stdout" "the one from the backup was already there"
# the case system gives back the never-changed one through the issuance API, from the qr_text it kept
python3 -c 'import json, sys; print(json.dumps({"qr_text": open(sys.argv[1]).read().strip()}))' "out/$A5.txt" >adopt.json
code=$(curl -s -o adopt.out -w '%{http_code}' -H "Authorization: Bearer $MANAGE" -H 'Content-Type: application/json' \
  --data-binary @adopt.json "http://127.0.0.1:$PM/api/v1/attestations/adopt")
expect_eq "$code $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("id"), d.get("given_back"), d.get("status"))' adopt.out 2>/dev/null)" \
  "200 $A5 never-changed valid" "POST /api/v1/attestations/adopt gives the never-changed one back, valid"
expect_rc 0 "resume the adopted one by id" "$I" resume --dir iss --id "$A4"
expect_verdict dataA "$A4" valid "A: its resumption arrives"
expect_rc 0 "extend the other by id" "$I" extend --dir iss --id "$A5" --until "$(date -d "$later +20 days" +%F)"
expect_rc 0 "revoke it by id" "$I" revoke --dir iss --id "$A5" --reason withdrawn
expect_verdict dataB "$A5" revoked "B: its revocation arrives"
expect_rc 0 "list shows the adopted ones" "$I" list --dir iss --status revoked
expect_grep "^$A5" "$TMP/.stdout" "the adopted one is listed revoked"
A7=$(issue AFTERADOPT)
expect_verdict dataA "$A7" valid "an attestation issued after the adoptions verifies (its index was free)"
expect_verdict dataA "$A4" valid "and the adopted one keeps its own"
# refused: another issuer's, a damaged text, a card, an empty file; with one good line: exit 1
expect_rc 0 "another issuer" "$I" init --dir other --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
holder_json OTHER >h-OTHER.json
"$I" issue --dir other --json h-OTHER.json --out out-other --formats png >other.out
AO=$(awk 'NR==1 {print $1}' other.out)
expect_rc 2 "adopt another issuer's attestation" "$I" adopt --dir iss --file "out-other/$AO.txt"
expect_grep "not signed by a key of this issuer" "$TMP/.stderr" "it says whose it is not"
python3 -c 'import sys; t=open(sys.argv[1]).read().strip(); i=len(t)//2; print(t[:i] + ("A" if t[i] != "A" else "B") + t[i+1:])' "out/$A6.txt" >damaged.txt
expect_rc 2 "adopt a damaged text" "$I" adopt --dir iss --file damaged.txt
expect_grep "line 1" "$TMP/.stderr" "it names the line"
expect_rc 2 "adopt a holder's card" "$I" adopt --dir iss --file "out/$A6-card.txt"
expect_grep "holder's card" "$TMP/.stderr" "it says a card cannot be given back"
: >empty.txt
expect_rc 2 "adopt an empty file" "$I" adopt --dir iss --file empty.txt
cat damaged.txt "out/$A6.txt" >mixed.txt
expect_rc 1 "one damaged line beside a good one" "$I" adopt --dir iss --file mixed.txt
expect_grep "given back or already held 1, refused 1" "$TMP/.stdout" "it counts both"
expect_rc 0 "adopt reads standard input" bash -c '"$0" adopt --dir iss --file - <"out/$1.txt"' "$I" "$A6"

finish
