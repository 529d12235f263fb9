#!/bin/bash
# The holder's card (the reduced code, typ api-card+cwt) from issuance to
# verification: `issue` writes OUT/<id>-card.txt beside the full code and the
# holder link carries the card; the verifier reads either code, says which,
# and leaves out (naming them) the claims a card does not carry; a status
# change reaches both codes of an attestation through a replica synced from
# the issuer's feed; the service reports the card for every profile as
# docs/openapi.yaml says; a CSV batch gets a card per row.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
until=$(date -d "$today +60 days" +%F)
later=$(date -d "$today +120 days" +%F)
filed=$(date -d "$today -40 days" +%F)
PI=$(free_port)

holder() { # family given
  cat <<JSON
{"family_name": "$1", "given_names": "$2", "birth_date": "1990-04-12",
 "nationality": "SEN", "foreign_national_number": "7503123456", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "$filed", "valid_from": "$from", "valid_until": "$until",
 "previous_title": {"number": "7501234567", "expires_on": "$from"}}
JSON
}

# jq_ FILE EXPR: a Python expression over the JSON object d of FILE.
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit the issuer" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PI"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose --expires 6m
VR=(--root fed/root.pub --trust tl.cose)

# --- issuance: the card beside the full code, and the holder link carries it
holder DIALLO Aminata >h1.json
expect_rc 0 "issue with --holder-base and --holder-qr" "$I" issue --dir iss --json h1.json --out out --formats png --holder-base https://verif.example/holder --holder-qr
ID=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
expect_eq "${#ID}" 24 "the attestation id"
expect_grep "^$ID  out/$ID-card.txt  QR version [0-9]+ \(holder's card\)" "$TMP/.stdout" "issue names the card and its QR version"
if [ -s "out/$ID-card.txt" ]; then ok "OUT/<id>-card.txt written"; else bad "OUT/<id>-card.txt written"; fi
expect_eq "$(wc -l <"out/$ID-card.txt")" 1 "the card is one line"
expect_grep '^API1:' "out/$ID-card.txt" "the card is an API1: text"
CARD=$(cat "out/$ID-card.txt"); FULL=$(cat "out/$ID.txt")
if [ "${#CARD}" -lt "${#FULL}" ]; then ok "the card (${#CARD} characters) is shorter than the full code (${#FULL})"; else bad "the card is shorter than the full code"; fi
if [ "${#CARD}" -le 412 ]; then ok "the card fits QR version 12 at level M (412 characters)"; else bad "the card fits QR version 12 at level M (${#CARD} characters)"; fi
expect_eq "$(node -e 'const fs=require("fs"); const t=fs.readFileSync(process.argv[1],"utf8").trim(); const u=fs.readFileSync(process.argv[2],"utf8").trim(); console.log(u === "https://verif.example/holder#" + encodeURIComponent(t))' "out/$ID-card.txt" "out/$ID.url")" true "the holder link carries the card, encoded as encodeURIComponent does"
expect_no_grep "$(node -e 'console.log(encodeURIComponent(process.argv[1]).slice(5, 60))' "$FULL")" "out/$ID.url" "and not the full code"
expect_eq "$(zbarimg --raw -q "out/$ID-holder.png" 2>/dev/null)" "$(cat "out/$ID.url")" "zbarimg reads the link's QR code"
expect_rc 0 "list" "$I" list --dir iss --format json
expect_eq "$(grep -o "$ID" "$TMP/.stdout" | wc -l)" 1 "the registry holds one attestation for both codes"

# --- verification of the card without a replica
expect_rc 0 "the card verifies (--payload)" "$V" verify "${VR[@]}" --payload "$CARD" --json
cp "$TMP/.stdout" card.json
expect_eq "$(jq_ card.json 'd["result"]')" valid "result valid"
expect_eq "$(jq_ card.json 'd["presentation"]')" reduced "presentation: reduced"
expect_eq "$(jq_ card.json 'd["attestation_id"]')" "$ID" "the same attestation id as the full code"
expect_eq "$(jq_ card.json 'sorted(d["holder"])')" "['birth_date', 'family_name', 'given_names']" "the holder: names and birth date only"
expect_eq "$(jq_ card.json '"application" in d or "issued_at" in d')" False "no application, no issued_at"
expect_eq "$(jq_ card.json 'd["not_presented"]')" "['issued_at', 'holder.nationality', 'holder.foreign_national_number', 'application']" "not_presented names them"
expect_eq "$(jq_ card.json 'd["rights"]["work"]')" yes "the right to work"
expect_eq "$(jq_ card.json 'd["explanation"]["fr"]["presentation"][:40]')" "Code réduit de la carte du titulaire : i" "the French explanation says it"
expect_eq "$(jq_ card.json 'd["explanation"]["en"]["presentation"][:31]')" "Reduced code of the holder's ca" "the English one too"
expect_no_grep '7503123456|SEN|7501234567|""' card.json "nothing of the full code, no empty value"
expect_rc 0 "the full code verifies" "$V" verify "${VR[@]}" --payload "$FULL" --json
cp "$TMP/.stdout" full.json
expect_eq "$(jq_ full.json 'd["presentation"]')" full "presentation: full"
expect_eq "$(jq_ full.json '"not_presented" in d')" False "the full code has no not_presented"
expect_eq "$(jq_ card.json 'd["validity"]') $(jq_ card.json 'd["issuer"]')" "$(jq_ full.json 'd["validity"]') $(jq_ full.json 'd["issuer"]')" "the same validity and issuer"
expect_rc 0 "the card's text report" "$V" verify "${VR[@]}" --payload "$CARD"
expect_grep "Code réduit de la carte du titulaire" "$TMP/.stdout" "says so in French"
expect_grep "Reduced code of the holder's card" "$TMP/.stdout" "and in English"
expect_no_grep "7503123456|Nationalit" "$TMP/.stdout" "and prints no nationality or number"
printf '%s\n' "$CARD" >card-in.txt
"$V" verify "${VR[@]}" - <card-in.txt >"$TMP/.stdout" 2>&1
expect_eq "$?" 0 "the card from standard input"
expect_rc 1 "the card after its end date" "$V" verify "${VR[@]}" --payload "$CARD" --at "$later" --json
expect_grep '"result":[[:space:]]*"expired"' "$TMP/.stdout" "expired, as the full code"
T2="${CARD:0:60}$( [ "${CARD:60:1}" = A ] && echo B || echo A )${CARD:61}"
expect_rc 1 "a changed character" "$V" verify "${VR[@]}" --payload "$T2" --json
expect_grep '"result":[[:space:]]*"(malformed|invalid_signature)"' "$TMP/.stdout" "is malformed or invalid_signature"
expect_no_grep '"holder"' "$TMP/.stdout" "and echoes no holder"

# --- status through a replica: a revocation reaches both codes
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1
if wait_for 10 curl -sf "http://127.0.0.1:$PI/feed/v1/FR-75/checkpoint" -o /dev/null; then ok "the issuer serves its feed"; else bad "the issuer serves its feed"; fi
VD=(--root fed/root.pub --data data)
expect_rc 0 "sync" "$V" sync "${VD[@]}" --trust tl.cose
for kind in card full; do
  code=$CARD; [ $kind = full ] && code=$FULL
  expect_rc 0 "$kind: valid with status" "$V" verify "${VD[@]}" --payload "$code" --json
  expect_grep '"status_checked":[[:space:]]*true' "$TMP/.stdout" "$kind: status checked"
done
# --- the service: the card for every profile, against the OpenAPI schemas
K_SOCIAL=$("$V" keys add --data data --org "CAF" --profile social 2>/dev/null)
K_EMPLOYER=$("$V" keys add --data data --org "Employeur" --profile employer 2>/dev/null)
K_BANK=$("$V" keys add --data data --org "Banque" --profile bank 2>/dev/null)
PV=$(free_port)
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1
if wait_for 15 curl -sf "http://127.0.0.1:$PV/healthz" -o /dev/null; then ok "the service answers"; else bad "the service answers"; fi
printf '%s' "$CARD" >card.txt
for prof in anonymous bank employer social; do
  key=(); case $prof in bank) key=(-H "X-API-Key: $K_BANK");; employer) key=(-H "X-API-Key: $K_EMPLOYER");; social) key=(-H "X-API-Key: $K_SOCIAL");; esac
  curl -s "${key[@]}" -H 'Content-Type: text/plain' --data-binary @card.txt "http://127.0.0.1:$PV/api/v1/verify" >"svc-$prof.json"
done
python3 - "$ROOT_DIR" <<'PY' >svc.out
import json, sys
sys.path.insert(0, sys.argv[1] + "/tests/cli")
import openapi_check as oc
doc = oc.Document(sys.argv[1] + "/docs/openapi.yaml")
want = {"anonymous": ("ReportAnonymous", ["issued_at"]), "bank": ("ReportIdentity", ["issued_at"]),
        "employer": ("ReportEmployer", ["issued_at"]),
        "social": ("ReportFull", ["issued_at", "holder.nationality", "holder.foreign_national_number", "application"])}
for prof, (schema, absent) in want.items():
    r = json.load(open("svc-%s.json" % prof))
    err = oc.schema_errors(doc.schema(schema), r)
    print("%s %s %s %s %s" % (prof, r.get("result"), r.get("presentation"), r.get("not_presented") == absent,
                             "schema-ok" if not err else "schema: " + err))
PY
for prof in anonymous bank employer social; do
  expect_grep "^$prof valid reduced True schema-ok$" svc.out "the service, profile $prof: the card is valid, reduced, not_presented as documented, and its report fits the OpenAPI schema"
done
expect_no_grep '7503123456|"nationality"|""' svc-social.json "the social profile gets no number, no nationality, no empty value from a card"
stop ver

expect_rc 0 "extend" "$I" extend --dir iss --id "$ID" --until "$later"
expect_rc 0 "publish the extension" "$I" publish --dir iss
expect_rc 0 "sync" "$V" sync "${VD[@]}" --trust tl.cose
after=$(date -d "$until +10 days" +%F)
for kind in card full; do
  code=$CARD; [ $kind = full ] && code=$FULL
  expect_rc 0 "$kind: valid after its printed end, extended" "$V" verify "${VD[@]}" --payload "$code" --at "$after" --max-staleness 400d --json
  expect_grep '"extended":[[:space:]]*true' "$TMP/.stdout" "$kind: extended: true"
done
expect_rc 0 "revoke" "$I" revoke --dir iss --id "$ID" --reason fraud
expect_rc 0 "publish" "$I" publish --dir iss
expect_rc 0 "sync" "$V" sync "${VD[@]}" --trust tl.cose
for kind in card full; do
  code=$CARD; [ $kind = full ] && code=$FULL
  expect_rc 1 "$kind: revoked" "$V" verify "${VD[@]}" --payload "$code" --json
  expect_grep '"result":[[:space:]]*"revoked"' "$TMP/.stdout" "$kind: result revoked"
done
expect_grep '"presentation":[[:space:]]*"full"' "$TMP/.stdout" "the full code's report says full"
stop iss

# --- a CSV batch: a card per row, each verifying
cat >batch.csv <<CSV
family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on
MARTIN,Jean-Pierre,1985-02-03,HTI,1234567890,first,carte de séjour temporaire salarié,true,$filed,$from,$until,,
NGUYEN THI,Minh Khai,1992,VNM,2345678901,change,carte de séjour temporaire vie privée et familiale,previous,$filed,$from,$until,,
KONE,Awa,1979-11-30,CIV,3456789012,first,carte de séjour temporaire étudiant,false,$filed,$from,$until,,
CSV
expect_rc 0 "issue a CSV batch" "$I" issue --dir iss --csv batch.csv --out outb --formats png
expect_eq "$(ls outb/*-card.txt | wc -l)" 3 "three cards written"
good=0; works=""
for f in outb/*-card.txt; do
  "$V" verify "${VR[@]}" --payload "$(cat "$f")" --json >v.json 2>/dev/null
  [ "$(jq_ v.json 'd["result"] + d["presentation"]')" = validreduced ] && good=$((good + 1))
  works="$works $(jq_ v.json 'd["holder"]["family_name"].replace(" ", "_") + ":" + d["rights"]["work"]')"
done
expect_eq "$good" 3 "every card verifies as a reduced code"
expect_eq "$(echo $works | tr ' ' '\n' | sort | tr '\n' ' ')" "KONE:no MARTIN:yes NGUYEN_THI:previous_conditions " "each with its holder's right to work"
finish
