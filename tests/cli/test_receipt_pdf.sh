#!/bin/bash
# The proof of verification as a page (POST /api/v1/receipt.pdf), with real
# processes on loopback: an employer's and an anonymous receipt drawn as
# one-page PDFs that independent tools read (pdfinfo, pdftotext, and
# zbarimg for the receipt's code, which `receipt check` accepts from the
# PDF itself); what a profile did not see is not printed; only the
# service's own receipts are drawn (a changed one, another verifier's, an
# attestation's code are refused); bad requests get their problem; the
# service does not log the names.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
ORG="Vérificateur de démonstration"

req() { # NAME METHOD PATH [curl args]: NAME.h, NAME.b; prints the status
  local name=$1 method=$2 path=$3; shift 3
  curl -s -o "$name.b" -D "$name.h" -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$PV$path"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
receipt_of() { # NAME TEXT [curl args]: the receipt of a verification, in NAME.txt
  local name=$1 text=$2; shift 2
  python3 -c 'import json,sys; print(json.dumps({"payload": sys.argv[1]}))' "$text" >"$name.req"
  req "$name" POST "/api/v1/verify?receipt=true" -H 'Content-Type: application/json' --data-binary @"$name.req" "$@" >/dev/null
  jget "$name.b" 'd["receipt"]' >"$name.txt"
}

P1=$(free_port); PV=$(free_port); PO=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
printf '{"family_name": "N’DIAYE", "given_names": "Fatou Bintou", "birth_date": "1988-02-03", "nationality": "SEN",
 "foreign_national_number": "7512340987", "application": "first", "title_requested": "carte de séjour temporaire salarié",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$filed" "$from" "$later" >h.json
ID=$("$I" issue --dir iss --json h.json --out out --formats svg 2>issue.log | awk 'NR==1 {print $1}')
expect_eq "${#ID}" 24 "one attestation issued"
TEXT=$(cat "out/$ID.txt")
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 \
  --access-log access.log --anonymous-rate 0 --receipt-org "$ORG"
fresh() { req health GET /healthz >/dev/null && [ "$(jget health.b 'd["issuers"]["FR-75"]["fresh"]')" = True ]; }
if wait_for 30 fresh; then ok "the service synced the feed"; else bad "the service synced the feed"; fi
K_EMPLOYER=$("$V" keys add --data data --org "Boulangerie Dupont" --profile employer 2>/dev/null)

# --- an employer's proof
receipt_of emp "$TEXT" -H "X-API-Key: $K_EMPLOYER"
expect_grep '^APR1:' emp.txt "the employer's verification gives a receipt"
got=$(req pdf POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-binary @emp.txt)
expect_eq "$got" 200 "POST /api/v1/receipt.pdf with the receipt's text"
expect_grep '^[Cc]ontent-[Tt]ype: application/pdf' pdf.h "it is a PDF"
expect_grep "^[Cc]ontent-[Dd]isposition: attachment; filename=\"preuve-verification-$(TZ=Europe/Paris date +%F).pdf\"" pdf.h \
  "to be saved, named after the day of the check"
expect_grep '^[Cc]ache-[Cc]ontrol: no-store' pdf.h "and not kept by caches"
mv pdf.b emp.pdf
expect_eq "$(pdfinfo emp.pdf 2>/dev/null | awk '/^Pages:/ {print $2}')" 1 "one page (pdfinfo)"
expect_grep '^Page size: +595.* x 841.* pts \(A4\)' <(pdfinfo emp.pdf 2>/dev/null) "A4"
expect_grep '^Tagged: +yes' <(pdfinfo emp.pdf 2>/dev/null) "tagged for screen readers"
pdftotext -enc UTF-8 emp.pdf emp.txt.out 2>/dev/null
tr -s ' \n' ' ' <emp.txt.out >emp.flat
expect_grep 'Preuve de vérification' emp.flat "the title (pdftotext)"
expect_grep 'N’DIAYE Fatou Bintou' emp.flat "the holder's names"
expect_grep 'Boulangerie Dupont' emp.flat "who asked"
expect_grep "$ORG" emp.flat "which verifier checked"
expect_grep 'Droit au travail' emp.flat "an employer's proof states the right to work"
expect_grep "Ce n'est pas une autorisation délivrée par la préfecture|Ce n’est pas une autorisation délivrée par la préfecture" emp.flat \
  "it says it is not an authorisation of the préfecture"
expect_grep 'It is not an authorisation issued by the' emp.flat "in English too"
expect_no_grep '7512340987' emp.flat "no foreign-national number (not in a receipt)"
pdftoppm -r 150 -png -singlefile emp.pdf emp >/dev/null 2>&1
expect_eq "$(zbarimg -q --raw emp.png 2>/dev/null)" "$(cat emp.txt)" "zbarimg reads the receipt's code back from the page"
curl -s -o keys.json "http://127.0.0.1:$PV/api/v1/receipt-keys"
expect_rc 0 "receipt check reads the PDF and accepts it against the published keys" \
  "$V" receipt check --file emp.pdf --keys keys.json

# --- an anonymous proof: what the profile did not see is not printed
receipt_of anon "$TEXT"
got=$(req anonpdf POST /api/v1/receipt.pdf -H 'Content-Type: application/json' \
  --data-binary "{\"receipt\": \"$(cat anon.txt)\"}")
expect_eq "$got" 200 "the JSON form {\"receipt\": ...} works too"
pdftotext -enc UTF-8 anonpdf.b - 2>/dev/null | tr -s ' \n' ' ' >anon.flat
expect_grep 'Sans clé d.accès' anon.flat "an anonymous proof says no key was used"
expect_no_grep 'Droit au travail' anon.flat "and leaves out the right to work, which anonymous callers do not see"
expect_no_grep 'Attestation n°' anon.flat "and the attestation id"

# --- only this service's own receipts
python3 - emp.txt bad.txt <<'PY'
import sys
t = open(sys.argv[1]).read().strip()
i = len(t) // 2
c = "A" if t[i] != "A" else "B"
open(sys.argv[2], "w").write(t[:i] + c + t[i + 1:])
PY
got=$(req bad POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-binary @bad.txt)
expect_eq "$got $(jget bad.b 'd["type"]')" "422 /problems/invalid-receipt" "a changed receipt is refused"
# Another verifier (its own data folder, its own receipt key) signs a receipt: refused here.
start other "$V" serve --root fed/root.pub --data data-other --trust tl.cose --listen "127.0.0.1:$PO" --sync-interval 1 \
  --access-log /dev/null --anonymous-rate 0 --receipt-org "Autre vérificateur"
ofresh() { curl -sf "http://127.0.0.1:$PO/healthz" >/dev/null; }
wait_for 30 ofresh
python3 -c 'import json,sys; print(json.dumps({"payload": sys.argv[1]}))' "$TEXT" >o.req
curl -s -X POST -H 'Content-Type: application/json' --data-binary @o.req "http://127.0.0.1:$PO/api/v1/verify?receipt=true" >o.b
jget o.b 'd["receipt"]' >other.txt
expect_grep '^APR1:' other.txt "the other verifier gives its own receipt"
got=$(req ot POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-binary @other.txt)
expect_eq "$got $(jget ot.b 'd["type"]')" "422 /problems/invalid-receipt" "another verifier's receipt is not drawn here"
expect_grep 'unknown_key' ot.b "the problem says why (unknown_key)"
got=$(req att POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-raw "$TEXT")
expect_eq "$got $(jget att.b 'd["type"]')" "422 /problems/invalid-receipt" "an attestation's code is not a receipt"

# --- bad requests
got=$(req get GET /api/v1/receipt.pdf)
expect_eq "$got" 405 "GET is not allowed: names must not travel in URLs"
expect_grep '^[Aa]llow: POST' get.h "Allow: POST"
got=$(req img POST /api/v1/receipt.pdf -H 'Content-Type: image/png' --data-binary @emp.png)
expect_eq "$got $(jget img.b 'd["type"]')" "415 /problems/unsupported-media-type" "an image is not a receipt's text"
got=$(req nomember POST /api/v1/receipt.pdf -H 'Content-Type: application/json' --data-binary '{"payload": "APR1:"}')
expect_eq "$got $(jget nomember.b 'd["type"]')" "400 /problems/invalid-request" "JSON without the receipt member"
got=$(req notjson POST /api/v1/receipt.pdf -H 'Content-Type: application/json' --data-binary '{"receipt": ')
expect_eq "$got $(jget notjson.b 'd["type"]')" "400 /problems/malformed-json" "JSON that does not parse"
head -c 300000 /dev/zero | tr '\0' 'A' >big.txt
got=$(req big POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-binary @big.txt)
expect_eq "$got $(jget big.b 'd["type"]')" "413 /problems/body-too-large" "a body over the limit"
got=$(req empty POST /api/v1/receipt.pdf -H 'Content-Type: text/plain' --data-binary '')
expect_eq "$got $(jget empty.b 'd["type"]')" "422 /problems/invalid-receipt" "an empty body"

# --- what the service keeps: nothing of the page
expect_no_grep 'DIAYE|Fatou' access.log "the access log holds no name"
expect_no_grep 'DIAYE|Fatou' ver.log "nor does the service's log"
got=$(req metrics GET /metrics)
expect_grep 'route="receipt_pdf"' metrics.b "the pages are counted in /metrics"
finish
