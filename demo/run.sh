#!/bin/bash
# The demo federation: a root, two préfectures, a few attestations written as
# PNG files, and their verification, printing each step. Everything lives in
# demo/out/ (recreated on each run). Run it with `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
OUT=$PWD/demo/out
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
# Demo keys only: a real deployment uses a secret passphrase and --kdf moderate (the default).
export API_PASSPHRASE=demo-only-passphrase
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# The demo listens on these loopback ports: a process left on one (another demo still running) would answer
# in its place, so say so now rather than fail later with a puzzling message.
for port in 8013 8075 8076 8080; do
  if ! python3 -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
    echo "demo: 127.0.0.1:$port is in use (another demo still running?): stop that process, then run make demo again" >&2
    exit 1
  fi
done
background() { # LOG CMD...: runs CMD in the background, logging to demo/out/LOG
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  PIDS+=("$!")
}
wait_url() { for _ in $(seq 1 50); do curl -sf "$1" -o /dev/null && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
id_of() { # FAMILY-NAME: the id of that holder's API, read back from the signed QR texts
  local f
  for f in apis/*.txt; do
    [ "${f%-card.txt}" = "$f" ] || continue # the holder's card: the same attestation
    if { "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat "$f")" --json || true; } | grep -q "\"family_name\":.*\"$1\""; then
      basename "$f" .txt
      return 0
    fi
  done
  return 1
}
verdict() { # ID [extra args]: one line: verdict, holder, end of validity, status as of
  { "$BIN/api-verifier" verify --root fed/root.pub --data verifier-data --payload "$(cat "apis/$1.txt")" --json "${@:2}" || true; } |
    python3 -c 'import json,sys; r=json.load(sys.stdin); v=r.get("validity",{}); print(r["result"], "-", r.get("holder",{}).get("family_name",""), "- valid until", v.get("effective_until","?"), "(extended)" if v.get("extended") else "", "- status as of", r.get("status_as_of"))'
}
run() { printf '$ %s\n' "$*"; "$@"; }

today=$(date +%F)
from=$(date -d "$today -20 days" +%F)
until=$(date -d "$from +3 months -1 day" +%F)
filed=$(date -d "$from -30 days" +%F)

step "1. The ministry creates the federation root key"
run "$BIN/api-federation" init --dir fed --kdf interactive

step "2. Two préfectures create their signing keys"
run "$BIN/api-issuer" init --dir fr-75 --id FR-75 --name "Préfecture de police" --kdf interactive --verify-base http://localhost:8080/check/
# FR-13 keeps its key in a security module when SoftHSM2 is installed (a PKCS#11 token
# made in demo/out/; a préfecture uses its HSM vendor's module the same way: docs/deploy/hsm.md).
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -r "$SOFTHSM_MODULE" ]; then
  mkdir -p tokens
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$OUT" >softhsm2.conf
  export SOFTHSM2_CONF=$OUT/softhsm2.conf
  export API_PKCS11_PIN=123456 # demo only: a real deployment reads it from --pin-file or a systemd credential
  run softhsm2-util --init-token --free --label fr-13 --pin "$API_PKCS11_PIN" --so-pin 654321
  run "$BIN/api-issuer" init --dir fr-13 --id FR-13 --name "Préfecture des Bouches-du-Rhône" --verify-base http://localhost:8080/check/ \
    --pkcs11-module "$SOFTHSM_MODULE" --token-label fr-13
  run "$BIN/api-issuer" info --dir fr-13 | grep '^key:'
  echo "(no fr-13/issuer.key: the key was made in the token and cannot leave it; issue, publish and serve sign there)"
else
  echo "(SoftHSM2 is not installed: FR-13's key is a file too; scripts/deps.sh install demo adds it)"
  run "$BIN/api-issuer" init --dir fr-13 --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive --verify-base http://localhost:8080/check/
fi

step "3. The ministry admits both keys and signs the trust list"
run "$BIN/api-federation" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub fr-75/issuer.pub --feed http://127.0.0.1:8075
run "$BIN/api-federation" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub fr-13/issuer.pub --feed http://127.0.0.1:8013
run "$BIN/api-federation" publish --dir fed --out trust-list.cose --expires 6m

step "4. The Préfecture de police issues an API for a renewal (from JSON)"
cat >diallo.json <<JSON
{"family_name": "DIALLO", "given_names": "Aminata", "birth_date": "1990-04-12",
 "nationality": "SEN", "foreign_national_number": "7503123456", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "$filed", "valid_from": "$from", "valid_until": "$until",
 "previous_title": {"number": "7501234567", "expires_on": "$from"}}
JSON
run "$BIN/api-issuer" issue --dir fr-75 --json diallo.json --out apis --holder-base http://localhost:8080/holder/ | tee -a issued.log

step "5. The Préfecture des Bouches-du-Rhône issues a batch (from CSV)"
cat >batch.csv <<CSV
family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on
MARTIN,Jean-Pierre,1985-02-03,HTI,1234567890,first,carte de séjour temporaire salarié,true,$filed,$from,$until,,
NGUYEN THI,Minh Khai,1992,VNM,2345678901,change,carte de séjour temporaire vie privée et familiale,previous,$filed,$from,$until,,
KONE,Awa,1979-11-30,CIV,3456789012,first,carte de séjour temporaire étudiant,false,$filed,$from,$until,,
CSV
run "$BIN/api-issuer" issue --dir fr-13 --csv batch.csv --out apis --holder-base http://localhost:8080/holder/ --pdf-batch batch-fr-13.pdf | tee -a issued.log

step "6. The QR codes, as PNG files"
ls -l apis/*.png

step "6a. The attestations as documents: one A4 page in French each (apis/<id>.pdf), and the batch in one file to print"
for pdf in apis/*.pdf batch-fr-13.pdf; do
  size="$(( ($(stat -c %s "$pdf") + 1023) / 1024 )) KB"
  if command -v pdftotext >/dev/null && command -v pdfinfo >/dev/null; then
    pages=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
    pdftotext -layout "$pdf" - 2>/dev/null | python3 -c '
import re, sys
t = sys.stdin.read()
def field(label):
    m = re.findall(r"^\s*" + label + r"\s{2,}(.+)$", t, re.M)
    return [v.strip() for v in m]
names = [f"{a} {b}" for a, b in zip(field("Nom"), field("Prénoms"))]
valid = re.findall(r"Valable du (.+?) au (.+?)$", t, re.M)
first = f"{names[0]}, valable du {valid[0][0]} au {valid[0][1]}" if names and valid else "?"
pages = sys.argv[2] + (" page" if sys.argv[2] == "1" else " pages")
print(f"{sys.argv[1]}  {pages} A4, {sys.argv[3]}: " + (first if len(names) == 1 else f"{len(names)} holders in row order: " + "; ".join(names)))' "$pdf" "$pages" "$size"
  else
    echo "$pdf  $size (install poppler-utils for a summary)"
  fi
done

step "6b. Each holder's card: a reduced code for the phone (names, birth date, right to work)"
echo "Beside each full code, apis/<id>-card.txt: the same attestation, signed without the foreign-national"
echo "number, nationality or application; the holder link (apis/<id>.url) carries it. QR versions at level M:"
for f in apis/*-card.txt; do
  id=$(basename "$f" -card.txt)
  name=$("$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat "$f")" --json 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); h=r.get("holder",{}); print(h.get("family_name","?"), "(" + r.get("presentation","?") + " code: " + r["result"] + ")")' || true)
  full_v=$(awk -v f="apis/$id.txt" '$2 == f {print $5}' issued.log)
  card_v=$(awk -v f="apis/$id-card.txt" '$2 == f {print $5}' issued.log)
  printf '  %-32s full code: version %s, %s characters; card: version %s, %s characters\n' "$name" "$full_v" \
    "$(tr -d '\n' <"apis/$id.txt" | wc -c)" "$card_v" "$(tr -d '\n' <"$f" | wc -c)"
done

first=$(ls apis/*.txt | grep -v -- '-card\.txt$' | head -1)
step "7. A bank checks the first API from its QR text"
run "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat "$first")"

step "8. Every API checked from its PNG image (zbar reads the QR code)"
for png in apis/*.png; do
  printf '%s  ' "$(basename "$png")"
  "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --image "$png" --json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); h=r.get("holder",{}); print(r["result"], "-", h.get("family_name",""), "-", "work:", r.get("rights",{}).get("work","?"), "- until", r.get("rights",{}).get("stay_until","?"))'
done

step "8b. Every API checked from its PDF attestation, as the préfecture e-mails it (a confined renderer draws it)"
for pdf in apis/*.pdf; do
  printf '%s  ' "$(basename "$pdf")"
  { "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --file "$pdf" --json || true; } |
    python3 -c 'import json,sys; r=json.load(sys.stdin); h=r.get("holder",{}); print(r["result"], "-", h.get("family_name",""), "-", r.get("presentation","?"), "code (its holder link on the page: the same attestation, reported once)")'
done
if [ -s batch-fr-13.pdf ]; then
  echo "batch-fr-13.pdf, one file of several attestations: each one reported with its page"
  { "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --file batch-fr-13.pdf --json || true; } |
    python3 -c 'import json,sys; r=json.load(sys.stdin); [print("  page", a["page"], a["result"], "-", a.get("holder",{}).get("family_name","")) for a in (r if isinstance(r, list) else [dict(r, page=1)])]'
fi

step "9. A forged code: one character changed"
text=$(cat "$first")
forged="${text:0:100}$( [ "${text:100:1}" = A ] && echo B || echo A )${text:101}"
"$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$forged" | head -4 || true

step "10. The same API checked after its end date"
"$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$text" --at "$(date -d "$until +1 day" +%F)" | head -4 || true

step "11. The préfectures publish their status feeds; a verifier replicates them"
run "$BIN/api-issuer" publish --dir fr-75
# With its admin listener (the issuance API, step 14) on loopback: nginx with mutual TLS in front of it in a
# real deployment (docs/deploy/issuer-admin.md).
background fr-75-feed.log "$BIN/api-issuer" serve --dir fr-75 --listen 127.0.0.1:8075 --heartbeat 2 \
  --admin-listen 127.0.0.1:8076 --holder-base http://localhost:8080/holder/
background fr-13-feed.log "$BIN/api-issuer" serve --dir fr-13 --listen 127.0.0.1:8013 --heartbeat 2
wait_url http://127.0.0.1:8075/feed/v1/FR-75/checkpoint
wait_url http://127.0.0.1:8013/feed/v1/FR-13/checkpoint
run "$BIN/api-verifier" sync --root fed/root.pub --data verifier-data --trust trust-list.cose
diallo=$(id_of DIALLO)
printf 'DIALLO: '; verdict "$diallo"

step "12. The Préfecture de police revokes DIALLO's API; the verifier learns it at its next sync"
run "$BIN/api-issuer" revoke --dir fr-75 --id "$diallo" --reason error
sleep 3
run "$BIN/api-verifier" sync --root fed/root.pub --data verifier-data --trust trust-list.cose
printf 'DIALLO: '; verdict "$diallo"

step "13. The Préfecture des Bouches-du-Rhône extends MARTIN's API: the printed code stays valid"
martin=$(id_of MARTIN)
new_end=$(date -d "$until +2 months" +%F)
run "$BIN/api-issuer" extend --dir fr-13 --id "$martin" --until "$new_end"
sleep 3
run "$BIN/api-verifier" sync --root fed/root.pub --data verifier-data --trust trust-list.cose
after=$(date -d "$until +10 days" +%F)
printf 'MARTIN on %s, without the replica: ' "$after"
{ "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat "apis/$martin.txt")" --at "$after" --json || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'
printf 'MARTIN on %s, with the replica:    ' "$after"; verdict "$martin" --at "$after" --max-staleness 400d

step "14. The Préfecture de police's case-management system issues through the API, with its token"
printf '$ %s\n' "$BIN/api-issuer clients add --dir fr-75 --name \"ANEF (démonstration)\" --role issue"
ANEF_TOKEN=$("$BIN/api-issuer" clients add --dir fr-75 --name "ANEF (démonstration)" --role issue)
echo "$ANEF_TOKEN"
run "$BIN/api-issuer" clients list --dir fr-75
cat >ndiaye.json <<JSON
{"family_name": "NDIAYE", "given_names": "Fatou", "birth_date": "1994-07-21",
 "nationality": "SEN", "foreign_national_number": "7504567890", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "$filed", "valid_from": "$from", "valid_until": "$until"}
JSON
echo "\$ curl -s -H 'Authorization: Bearer $ANEF_TOKEN' -H 'Content-Type: application/json' \\"
echo "    -H 'Idempotency-Key: demo-ndiaye-1' --data-binary @ndiaye.json http://127.0.0.1:8076/api/v1/attestations"
curl -s -H "Authorization: Bearer $ANEF_TOKEN" -H 'Content-Type: application/json' \
  -H 'Idempotency-Key: demo-ndiaye-1' --data-binary @ndiaye.json http://127.0.0.1:8076/api/v1/attestations >ndiaye-created.json
python3 - ndiaye-created.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if "id" not in r:
    print("  the API answered:", r)
    sys.exit(0)
url = r.get("holder_url") or ""
print(f"  201 Created: id {r['id']}, a QR text of {len(r.get('qr_text', ''))} characters,",
      f"holder link {url[:50]}..." if len(url) > 50 else f"holder link {url}")
files = r.get("files") or {}
print("  files:", ", ".join(f"{k} {v}" for k, v in (files.items() if isinstance(files, dict) else enumerate(files))))
open("ndiaye-api.txt", "w").write(r.get("qr_text", ""))
PY
if [ -s ndiaye-api.txt ]; then
  printf 'NDIAYE, issued through the API: '
  { "$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat ndiaye-api.txt)" --json || true; } |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["result"], "-", r.get("holder",{}).get("family_name",""))'
fi
printf 'Without a token: '
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary @ndiaye.json http://127.0.0.1:8076/api/v1/attestations

step "Where the files are"
echo "Files are in demo/out/: the federation (fed/), the issuers (fr-75/, fr-13/),"
echo "the trust list (trust-list.cose) and the attestations (apis/<id>.txt, .png, .svg)."
echo "Show a code in the terminal:  bin/api-issuer show --file $(echo "$first" | sed "s#^#demo/out/#") --terminal"

step "15. The verification service: the systems of a CAF or a bank, and the web pages, call it"
WEB_DIST=$(dirname "$BIN")/web/dist
web=()
[ -f "$WEB_DIST/index.html" ] && web=(--web-root "$WEB_DIST")
KEY=$("$BIN/api-verifier" keys add --data verifier-data --org "CAF de démonstration" --profile social 2>/dev/null)
run "$BIN/api-verifier" keys list --data verifier-data
background service.log "$BIN/api-verifier" serve --root fed/root.pub --data verifier-data --trust trust-list.cose \
  --listen 127.0.0.1:8080 --sync-interval 5 --access-log service-access.log --receipt-org "Vérificateur de démonstration" "${web[@]}"
SERVICE_PID=${PIDS[-1]}
if ! wait_url http://127.0.0.1:8080/healthz; then
  echo "The service did not start (is port 8080 taken?):" >&2
  tail -3 service.log >&2
  exit 1
fi
summary() { python3 -c 'import json,sys; r=json.load(sys.stdin); h=r.get("holder",{}); print(" ", r["result"], "-", h.get("family_name",""), h.get("given_names",""), "- stay until", r.get("rights",{}).get("stay_until","?"), "- holder fields:", ", ".join(sorted(h)))'; }
printf 'Anonymous caller (verdict, names and validity only):\n'
curl -s -H 'Content-Type: text/plain' --data-binary @"apis/$martin.txt" http://127.0.0.1:8080/api/v1/verify | summary
printf 'With the CAF'"'"'s API key (profile social: every claim):\n'
curl -s -H "X-API-Key: $KEY" -H 'Content-Type: text/plain' --data-binary @"apis/$martin.txt" http://127.0.0.1:8080/api/v1/verify | summary
printf 'From the PNG image:\n'
curl -s -H 'Content-Type: image/png' --data-binary @"apis/$martin.png" http://127.0.0.1:8080/api/v1/verify | summary
if [ -s "apis/$martin.pdf" ]; then
  printf 'From the PDF attachment:\n'
  curl -s -H 'Content-Type: application/pdf' --data-binary @"apis/$martin.pdf" http://127.0.0.1:8080/api/v1/verify | summary
fi

step "15a. The CAF follows KONE's API; the préfecture extends it; the CAF learns it without KONE coming back"
kone=$(id_of KONE)
python3 -c 'import json,sys; print(json.dumps({"payload": open(sys.argv[1]).read().strip()}))' "apis/$kone.txt" >follow.json
printf 'POST /api/v1/watch (the CAF'"'"'s key; the service keeps no name, only the issuer, the status index,\n'
printf 'a keyed hash of the attestation id and the dates):\n'
curl -s -H "X-API-Key: $KEY" -H 'Content-Type: application/json' --data-binary @follow.json \
  http://127.0.0.1:8080/api/v1/watch |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("  watch_id", r["watch_id"], "-", r["report"]["result"], "- valid until", r["report"]["validity"]["effective_until"])'
kone_end=$(date -d "$until +3 months" +%F)
run "$BIN/api-issuer" extend --dir fr-13 --id "$kone" --until "$kone_end"
printf 'GET /api/v1/changes?wait=30 (held until the service syncs the extension):\n'
curl -s -H "X-API-Key: $KEY" "http://127.0.0.1:8080/api/v1/changes?since=0&wait=30" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); [print("  watch", c["watch_id"], c["kind"], "until", c["effective_until"], "- learned at", c["learned_at"]) for c in d["changes"]]; print("  next cursor:", d["cursor"])'

step "15b. An employer checks the right to work and keeps a signed receipt as proof"
EMPLOYER=$("$BIN/api-verifier" keys add --data verifier-data --org "Boulangerie de démonstration" --profile employer 2>/dev/null)
curl -s -H "X-API-Key: $EMPLOYER" -H 'Content-Type: text/plain' --data-binary @"apis/$martin.txt" \
  "http://127.0.0.1:8080/api/v1/verify?receipt=true&explain=false" |
  python3 -c 'import json,sys; r=json.load(sys.stdin); open("receipt.txt", "w").write(r["receipt"]); print(" ", r["result"], "- work:", r["rights"]["work"], "- receipt:", len(r["receipt"]), "characters, in receipt.txt")'
curl -s http://127.0.0.1:8080/api/v1/receipt-keys -o receipt-keys.json
echo "Anyone can check it later against the service's published keys (/api/v1/receipt-keys):"
run "$BIN/api-verifier" receipt check --keys receipt-keys.json --file receipt.txt
echo "For the employer's file, the receipt as a one-page PDF, its code on the page (POST /api/v1/receipt.pdf):"
curl -s -o proof.pdf -H 'Content-Type: text/plain' --data-binary @receipt.txt http://127.0.0.1:8080/api/v1/receipt.pdf
printf '  proof.pdf: %s page, %s bytes\n' "$(pdfinfo proof.pdf 2>/dev/null | awk '/^Pages:/ {print $2}')" "$(stat -c %s proof.pdf)"
run "$BIN/api-verifier" receipt check --keys receipt-keys.json --file proof.pdf
echo
echo "The service answers on http://localhost:8080 (health: /healthz, metrics: /metrics,"
echo "offline bundle: /api/v1/bundle${web:+, web pages: /check}). Verify a demo attestation:"
echo
echo "  curl -s -H 'Content-Type: text/plain' --data-binary @demo/out/apis/$martin.txt http://localhost:8080/api/v1/verify"
echo
echo "Add  -H 'X-API-Key: $KEY'  to be the demo CAF (demo key only)."
if [ ${#web[@]} -gt 0 ]; then
  echo
  echo "The checker, for employers, banks and landlords:  http://localhost:8080/check/"
  echo "Each holder's card on a phone (the link the préfecture gives, carrying the holder's reduced code"
  echo "in the '#' part, which never reaches a server):"
  for u in apis/*.url; do
    name=$("$BIN/api-verifier" verify --root fed/root.pub --trust trust-list.cose --payload "$(cat "${u%.url}.txt")" --json 2>/dev/null |
      python3 -c 'import json,sys; h=json.load(sys.stdin).get("holder",{}); print(h.get("family_name","?"))' || true)
    printf '  %-11s %s\n' "$name" "$(cat "$u")"
  done
fi
echo "Its access log (no personal data) is demo/out/service-access.log."
if [ -t 0 ] && [ -t 1 ] && [ "${DEMO_NO_WAIT:-0}" != 1 ]; then
  echo "Press Ctrl-C to stop it."
  wait "$SERVICE_PID" || true
else
  echo "(DEMO_NO_WAIT=1 or not on a terminal: the service is stopped now.)"
fi
