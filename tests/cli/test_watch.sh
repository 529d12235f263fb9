#!/bin/bash
# Social agencies following attestations on api-verifier serve: a social
# key follows attestations (POST /api/v1/watch), the préfecture extends,
# revokes, suspends, resumes and supersedes them, the service syncs, and
# GET /api/v1/changes tells each change once, in order, with cursors and
# long polling; time brings ending_soon and ended (API_NOW); other
# profiles are refused, keys see only their own watches, the per-key bound
# holds, parked long polls are bounded; and a verifier killed with SIGKILL
# during syncs that carry changes of followed attestations neither loses a
# change nor tells one twice.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +40 days" +%F)
ext_until=$(date -d "$later +1 month" +%F)
filed=$(date -d "$today -40 days" +%F)
past_from=$(date -d "$today -120 days" +%F)
past_until=$(date -d "$today -30 days" +%F)
past_filed=$(date -d "$today -150 days" +%F)

holder_json() { # family from until [filed]
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7512340987", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "${4:-$filed}" "$2" "$3"
}
issue() { # DIR FAMILY FROM UNTIL [FILED]: prints the id
  holder_json "$2" "$3" "$4" "${5:-}" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out "out-$1" --formats png 2>>issue.log | awk 'NR==1 {print $1}'
}
text_of() { cat out-*/"$1".txt; }
req_at() {
  local port=$1 name=$2 method=$3 path=$4; shift 4
  curl -s -o "$name.b" -D "$name.h" -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$port$path"
}
req() { req_at "$PV" "$@"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
# follow NAME KEY TEXT...: POST /api/v1/watch with one payload (or payloads for several); prints the status.
follow_at() {
  local port=$1 name=$2 key=$3; shift 3
  python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps({"payload": a[0]} if len(a) == 1 else {"payloads": a}))' "$@" >"$name.req"
  local hdr=(); [ -n "$key" ] && hdr=(-H "X-API-Key: $key")
  req_at "$port" "$name" POST /api/v1/watch -H 'Content-Type: application/json' "${hdr[@]}" --data-binary @"$name.req"
}
follow() { follow_at "$PV" "$@"; }
expect_problem() {
  local name=$1 status=$2 slug=$3 got=$4 what=$5
  if [ "$got" = "$status" ] && grep -qi '^content-type: application/problem+json' "$name.h" &&
     [ "$(jget "$name.b" 'd["type"]')" = "/problems/$slug" ]; then
    ok "$what: $status $slug"
  else
    bad "$what: got $got $(head -c 200 "$name.b"), wanted $status $slug"
  fi
}
# changes_of PORT KEY SINCE: every change after SINCE, paged by 1000, as lines "watch_id kind effective_until".
changes_of() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request
port, key, since = sys.argv[1:]
while True:
    r = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/changes?since={since}&limit=1000", headers={"X-API-Key": key})
    d = json.load(urllib.request.urlopen(r))
    for c in d["changes"]:
        print(c["watch_id"], c["kind"], c["effective_until"])
    if not d["changes"]:
        break
    since = d["cursor"]
PY
}

# --- one préfecture with a feed, a verifier service syncing every second
P1=$(free_port); PV=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de Paris" --kdf interactive
expect_rc 0 "admitted" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de Paris" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "trust list" "$F" publish --dir fed --out tl.cose
A=$(issue iss EXTENDNAME "$from" "$later")
B=$(issue iss REVOKENAME "$from" "$later")
C=$(issue iss SUSPENDNAME "$from" "$later")
D=$(issue iss SUPERSEDENAME "$from" "$later")
E=$(issue iss EXPIREDNAME "$past_from" "$past_until" "$past_filed")
ids="$A$B$C$D$E"
expect_eq "${#ids}" 120 "five attestations issued"
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 --anonymous-rate 0
fresh() { req health GET /healthz >/dev/null && [ "$(jget health.b 'd["issuers"]["FR-75"]["fresh"]')" = True ]; }
if wait_for 30 fresh; then ok "the service synced the feed"; else bad "the service synced the feed"; tail -5 ver.log; fi
K1=$("$V" keys add --data data --org "CAF 93" --profile social 2>/dev/null)
K2=$("$V" keys add --data data --org "CPAM 75" --profile social 2>/dev/null)
KE=$("$V" keys add --data data --org "Boulangerie" --profile employer 2>/dev/null)

# --- following: 201, then 200 for the same key; other profiles and no key refused
st=$(follow fa "$K1" "$(text_of "$A")")
expect_eq "$st" 201 "a social key follows a valid attestation: 201"
WA=$(jget fa.b 'd["watch_id"]')
expect_eq "${#WA}" 16 "with a watch_id"
expect_eq "$(jget fa.b 'd["report"]["result"]')" valid "and the current report"
st=$(follow fa2 "$K1" "$(text_of "$A")")
expect_eq "$st" 200 "following it again: 200"
expect_eq "$(jget fa2.b 'd["watch_id"]')" "$WA" "the same watch_id"
st=$(follow fa3 "$K2" "$(text_of "$A")")
expect_eq "$st" 201 "another social key follows it too: 201, its own watch"
WA2=$(jget fa3.b 'd["watch_id"]')
[ "$WA2" != "$WA" ] && ok "another watch_id" || bad "another watch_id"
expect_problem fe 403 forbidden "$(follow fe "$KE" "$(text_of "$A")")" "an employer key"
expect_problem fn 401 unauthorized "$(follow fn "" "$(text_of "$A")")" "no key"
expect_problem fw 401 unauthorized "$(follow fw "apik_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$(text_of "$A")")" "an unknown key"
expect_problem fx 422 not-followable "$(follow fx "$K1" "$(text_of "$E")")" "an expired attestation"
expect_eq "$(jget fx.b 'd["report"]["result"]')" expired "the problem carries the report"
expect_problem fm 400 malformed-json "$(req fm POST /api/v1/watch -H 'Content-Type: application/json' -H "X-API-Key: $K1" --data-binary '{"payload": ')" "malformed JSON"
expect_problem fi 400 invalid-request "$(req fi POST /api/v1/watch -H 'Content-Type: application/json' -H "X-API-Key: $K1" --data-binary '{"payload": 3}')" "a payload that is not a string"
expect_problem ft 415 unsupported-media-type "$(req ft POST /api/v1/watch -H 'Content-Type: text/plain' -H "X-API-Key: $K1" --data-binary 'API1:x')" "a text body"
st=$(follow fb "$K1" "$(text_of "$B")" "$(text_of "$C")" "$(text_of "$D")" "not a code")
expect_eq "$st" 201 "payloads: 201 when one at least is new"
expect_eq "$(jget fb.b '[r["status"] for r in d["results"]]')" "[201, 201, 201, 422]" "one result per payload, in order"
WB=$(jget fb.b 'd["results"][0]["watch_id"]'); WC=$(jget fb.b 'd["results"][1]["watch_id"]'); WD=$(jget fb.b 'd["results"][2]["watch_id"]')
expect_eq "$(jget fb.b 'd["results"][3]["watch_id"]')" None "no watch for what is not an attestation"
python3 -c 'import json; print(json.dumps({"payloads": ["x"] * 1001}))' >big.req
expect_problem fbig 413 batch-too-large "$(req fbig POST /api/v1/watch -H 'Content-Type: application/json' -H "X-API-Key: $K1" --data-binary @big.req)" "1,001 payloads"

# --- watches: one, list (paginated), another key's is 404
expect_eq "$(req w1 GET "/api/v1/watch/$WA" -H "X-API-Key: $K1")" 200 "GET /api/v1/watch/{id}"
expect_eq "$(jget w1.b '(d["issuer"], d["status"], d["effective_until"])')" "('FR-75', 'valid', '$later')" "issuer, status, effective end"
expect_no_grep "EXTENDNAME|Awa|1990" w1.b "a watch holds no personal data"
expect_problem w2 404 not-found "$(req w2 GET "/api/v1/watch/$WA" -H "X-API-Key: $K2")" "another key's watch"
expect_problem w3 404 not-found "$(req w3 GET "/api/v1/watch/zz" -H "X-API-Key: $K1")" "a malformed id"
expect_problem w4 403 forbidden "$(req w4 GET "/api/v1/watch" -H "X-API-Key: $KE")" "an employer lists watches"
expect_eq "$(req l1 GET "/api/v1/watch?limit=2" -H "X-API-Key: $K1")" 200 "GET /api/v1/watch?limit=2"
expect_eq "$(jget l1.b '(len(d["watches"]), d["total"])')" "(2, 4)" "two of four watches"
NEXT=$(jget l1.b 'd["next"]')
expect_eq "$(req l2 GET "/api/v1/watch?limit=2&after=$NEXT" -H "X-API-Key: $K1")" 200 "the next page"
expect_eq "$(jget l2.b '[w["watch_id"] for w in d["watches"]] + [d["next"]]')" "['$WC', '$WD', None]" "the rest, and no next page"
expect_problem l3 400 invalid-parameter "$(req l3 GET "/api/v1/watch?limit=0" -H "X-API-Key: $K1")" "limit=0"

# --- the préfecture acts; the service syncs; the changes come in order
expect_eq "$(req c0 GET "/api/v1/changes" -H "X-API-Key: $K1")" 200 "GET /api/v1/changes before any change"
expect_eq "$(jget c0.b '(d["changes"], d["cursor"])')" "([], '0')" "nothing yet, cursor 0"
expect_rc 0 "extend" "$I" extend --dir iss --id "$A" --until "$ext_until"
expect_rc 0 "revoke" "$I" revoke --dir iss --id "$B" --reason fraud
expect_rc 0 "suspend" "$I" suspend --dir iss --id "$C"
expect_rc 0 "supersede" "$I" supersede --dir iss --id "$D" --decision issued
four() { [ "$(changes_of "$PV" "$K1" 0 | wc -l)" -ge 4 ]; }
if wait_for 30 four; then ok "four changes reach the agency"; else bad "four changes reach the agency"; fi
changes_of "$PV" "$K1" 0 >ch1.txt
expect_eq "$(sort ch1.txt | tr '\n' ';')" "$(printf '%s\n' "$WA extended $ext_until" "$WB revoked $later" "$WC suspended $later" "$WD superseded $later" | sort | tr '\n' ';')" "extended (with the new end), revoked, suspended, superseded"
expect_eq "$(req c1 GET "/api/v1/changes?since=0&limit=1" -H "X-API-Key: $K1")" 200 "limit=1"
expect_eq "$(jget c1.b 'len(d["changes"])')" 1 "one change"
expect_grep '"learned_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T' c1.b "learned_at is a UTC time"
CUR1=$(jget c1.b 'd["cursor"]')
expect_eq "$(changes_of "$PV" "$K1" "$CUR1" | wc -l)" 3 "since the cursor: the three others"
expect_eq "$(changes_of "$PV" "$K2" 0 | tr '\n' ';')" "$WA2 extended $ext_until;" "the other key sees only its own watch's change"
expect_no_grep "EXTENDNAME|REVOKENAME|Awa" ch1.txt "changes hold no personal data"

# --- long polling: held until a change arrives; or until the wait ends
CUR=$(jget c1.b 'd["cursor"]'); CUR=$(python3 - "$PV" "$K1" <<'PY'
import json, sys, urllib.request
since = "0"
while True:
    d = json.load(urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/api/v1/changes?since={since}&limit=1000", headers={"X-API-Key": sys.argv[2]})))
    if not d["changes"]: print(since); break
    since = d["cursor"]
PY
)
curl -s -o lp.b -w '%{http_code}' -H "X-API-Key: $K1" "http://127.0.0.1:$PV/api/v1/changes?since=$CUR&wait=60" >lp.st &
lp=$!
sleep 1
expect_rc 0 "resume (while a request waits)" "$I" resume --dir iss --id "$C"
wait "$lp"
expect_eq "$(cat lp.st)" 200 "the waiting request answers"
expect_eq "$(jget lp.b '[(c["watch_id"], c["kind"]) for c in d["changes"]]')" "[('$WC', 'resumed')]" "with the change that arrived (resumed)"
CUR=$(jget lp.b 'd["cursor"]')
expect_eq "$(req lp2 GET "/api/v1/changes?since=$CUR&wait=1" -H "X-API-Key: $K1")" 200 "a wait that ends without a change"
expect_eq "$(jget lp2.b '(d["changes"], d["cursor"])')" "([], '$CUR')" "answers nothing, the cursor kept"
expect_problem lp3 400 invalid-parameter "$(req lp3 GET "/api/v1/changes?wait=61" -H "X-API-Key: $K1")" "wait=61"
expect_problem lp4 400 invalid-parameter "$(req lp4 GET "/api/v1/changes?since=abc" -H "X-API-Key: $K1")" "since=abc"
expect_problem lp5 403 forbidden "$(req lp5 GET "/api/v1/changes" -H "X-API-Key: $KE")" "an employer asks for changes"

# --- time: ending_soon, then ended, once each (api-verifier sync derives them, API_NOW the clock)
soon_at=$(date -d "$later -10 days" +%F)
end_at=$(date -d "$ext_until +2 days" +%F)
API_NOW=${soon_at}T12:00:00Z "$V" sync --root fed/root.pub --data data --trust tl.cose >sync1.out 2>&1
API_NOW=${soon_at}T12:00:00Z "$V" sync --root fed/root.pub --data data --trust tl.cose >sync2.out 2>&1
changes_of "$PV" "$K1" "$CUR" >ch2.txt
expect_eq "$(tr '\n' ';' <ch2.txt)" "$WC ending_soon $later;" "ending_soon 10 days before the end, once (the extended one is not ending)"
CUR2=$(python3 -c 'import sys; print(sys.argv[1])' "$CUR")
API_NOW=${end_at}T12:00:00Z "$V" sync --root fed/root.pub --data data --trust tl.cose >sync3.out 2>&1
API_NOW=${end_at}T12:00:00Z "$V" sync --root fed/root.pub --data data --trust tl.cose >sync4.out 2>&1
changes_of "$PV" "$K1" "$CUR" >ch3.txt
expect_eq "$(sort ch3.txt | tr '\n' ';')" "$(printf '%s\n' "$WC ending_soon $later" "$WC ended $later" "$WA ended $ext_until" | sort | tr '\n' ';')" "ended after the effective end, once each"
expect_eq "$(req w5 GET "/api/v1/watch/$WA" -H "X-API-Key: $K1"; jget w5.b 'd["ended"]')" "200True" "the watch says it ended"

# --- delete
expect_eq "$(req d1 DELETE "/api/v1/watch/$WD" -H "X-API-Key: $K1")" 204 "DELETE /api/v1/watch/{id}: 204"
expect_problem d2 404 not-found "$(req d2 GET "/api/v1/watch/$WD" -H "X-API-Key: $K1")" "deleted"
expect_problem d3 404 not-found "$(req d3 DELETE "/api/v1/watch/$WA" -H "X-API-Key: $K2")" "another key's watch cannot be deleted"
expect_eq "$(req d4 GET "/api/v1/watch/$WA" -H "X-API-Key: $K1")" 200 "and is still there"

# --- retention: 90 days after the end, a revocation or a supersession, watches and changes are purged
purge_at=$(date -d "$ext_until +100 days" +%F)
API_NOW=${purge_at}T12:00:00Z "$V" sync --root fed/root.pub --data data --trust tl.cose >sync5.out 2>&1
expect_eq "$(req p1 GET "/api/v1/watch" -H "X-API-Key: $K1"; jget p1.b '(d["watches"], d["total"])')" "200([], 0)" "every watch purged after its retention"
expect_eq "$(changes_of "$PV" "$K1" 0 | wc -l)" 0 "and the changes learned before it"

# --- the per-key bound: --max-watch 1 gives 429 past one watch
PM=$(free_port)  # taken just before use: other tests on this machine take ports too
start ver2 "$V" serve --root fed/root.pub --data data2 --trust tl.cose --listen "127.0.0.1:$PM" --sync-interval 1 --anonymous-rate 0 --max-watch 1 --threads 8 --max-connections-per-address 0
wait_for 20 curl -sf "http://127.0.0.1:$PM/healthz" -o /dev/null
KM=$("$V" keys add --data data2 --org "France Travail" --profile social 2>/dev/null)
A2=$(issue iss SECONDNAME "$from" "$later"); A3=$(issue iss THIRDNAME "$from" "$later")
expect_eq "$(follow_at "$PM" m1 "$KM" "$(text_of "$A2")")" 201 "--max-watch 1: the first is followed"
expect_problem m2 429 too-many-watches "$(follow_at "$PM" m2 "$KM" "$(text_of "$A3")")" "the second"
expect_eq "$(follow_at "$PM" m3 "$KM" "$(text_of "$A2")")" 200 "the one followed is still answered 200"
expect_eq "$(follow_at "$PM" m4 "$KM" "$(text_of "$A2")" "$(text_of "$A3")"; jget m4.b '[r["status"] for r in d["results"]]')" "200[200, 429]" "payloads: each result says"
# --- parked requests are bounded (a quarter of --threads 8: two); past that, an answer at once
curl -s -o park1.b -H "X-API-Key: $KM" "http://127.0.0.1:$PM/api/v1/changes?wait=60" &
park1=$!
curl -s -o park2.b -H "X-API-Key: $KM" "http://127.0.0.1:$PM/api/v1/changes?wait=60" &
park2=$!
sleep 1
expect_eq "$(curl -s -o park3.b -w '%{http_code}' --max-time 30 -H "X-API-Key: $KM" "http://127.0.0.1:$PM/api/v1/changes?wait=60")" 200 "a third waiting request is answered at once (two are parked)"
expect_eq "$(jget park3.b 'd["changes"]')" "[]" "with nothing new"
running=0; kill -0 "$park1" 2>/dev/null && running=$((running + 1)); kill -0 "$park2" 2>/dev/null && running=$((running + 1))
expect_eq "$running" 2 "while the two parked ones still wait"
expect_rc 0 "suspend the followed one" "$I" suspend --dir iss --id "$A2"
wait "$park1"; wait "$park2"
expect_eq "$(jget park1.b '[c["kind"] for c in d["changes"]]')$(jget park2.b '[c["kind"] for c in d["changes"]]')" "['suspended']['suspended']" "both parked requests answer with the change"
stop ver2

# --- SIGKILL during syncs that carry changes of followed attestations: none lost, none told twice
stop ver
N=3000
soon=$(date -d "$today +7 days" +%F)
expect_rc 0 "a second préfecture" "$I" init --dir big --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
PB=$(free_port)
expect_rc 0 "admitted" "$F" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub big/issuer.pub --feed "http://127.0.0.1:$PB"
expect_rc 0 "trust list 2" "$F" publish --dir fed --out tl.cose
python3 - big.csv "$filed" "$from" "$soon" "$N" <<'PY'
import sys
rows = ["family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"]
for i in range(int(sys.argv[5])):
    rows.append(f"NOM{i},Awa,1990-04-12,SEN,75{i:08d},first,carte de séjour temporaire,true,{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},,")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
"$I" issue --dir big --csv big.csv --out bigout --formats "" >/dev/null 2>&1
expect_rc 0 "published (before renewal)" "$I" publish --dir big
start big0 "$I" serve --dir big --listen "127.0.0.1:$PB" --heartbeat 3600
wait_for 10 curl -sf "http://127.0.0.1:$PB/feed/v1/FR-13/checkpoint" -o /dev/null
PV=$(free_port)
start kbase "$V" serve --root fed/root.pub --data K-base --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 3600 --anonymous-rate 0
wait_for 20 curl -sf "http://127.0.0.1:$PV/healthz" -o /dev/null
KK=$("$V" keys add --data K-base --org "CAF 13" --profile social 2>/dev/null)
python3 - "$PV" "$KK" bigout <<'PY' >follow.out
import json, os, sys, urllib.request
port, key, d = sys.argv[1:]
texts = [open(os.path.join(d, f)).read().strip() for f in sorted(os.listdir(d)) if not f.endswith("-card.txt")]
made = 0
for i in range(0, len(texts), 1000):
    body = json.dumps({"payloads": texts[i:i + 1000]}).encode()
    r = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/watch", data=body, headers={"X-API-Key": key, "Content-Type": "application/json"})
    made += sum(1 for x in json.load(urllib.request.urlopen(r))["results"] if x["status"] == 201)
print(made)
PY
expect_eq "$(cat follow.out)" "$N" "$N attestations followed"
stop kbase
stop big0
expect_rc 0 "renew-pending: $N extensions" "$I" renew-pending --dir big --expiring-within 15d --by 3m
expect_rc 0 "published" "$I" publish --dir big
start big "$I" serve --dir big --listen "127.0.0.1:$PB" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$PB/feed/v1/FR-13/checkpoint" -o /dev/null
cp -a K-base K0
t0=$(date +%s%N)
"$V" sync --root fed/root.pub --data K0 --trust tl.cose >/dev/null 2>&1
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
rm -rf K0
midway=0; rounds=0; scale=100
rm -rf K && cp -a K-base K
while [ "$midway" -lt 8 ] && [ "$rounds" -lt 40 ]; do
  rounds=$((rounds + 1))
  delay_us=$(( full_ms * scale * (5 + RANDOM % 90) / 10 ))
  "$V" sync --root fed/root.pub --data K --trust tl.cose >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
  if kill -KILL "$pid" 2>/dev/null; then midway=$((midway + 1)); elif [ "$scale" -gt 10 ]; then scale=$((scale * 3 / 4)); fi
  wait "$pid" 2>/dev/null
  # every other round starts again from before the renewals, the others resume the killed replica
  if [ $((rounds % 3)) -eq 0 ]; then rm -rf K && cp -a K-base K; fi
done
if [ "$midway" -ge 4 ]; then ok "$midway kills landed in the middle of a sync"; else bad "only $midway of $rounds kills landed mid-sync"; fi
"$V" sync --root fed/root.pub --data K --trust tl.cose >/dev/null 2>&1
PV=$(free_port)
start kfinal "$V" serve --root fed/root.pub --data K --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 3600 --anonymous-rate 0
wait_for 20 curl -sf "http://127.0.0.1:$PV/healthz" -o /dev/null
changes_of "$PV" "$KK" 0 >kill.txt
expect_eq "$(grep -c ' extended ' kill.txt)" "$N" "after the kills: $N extended changes"
expect_eq "$(awk '{print $1}' kill.txt | sort -u | wc -l)" "$N" "one per followed attestation: none lost, none told twice"
stop kfinal
finish
