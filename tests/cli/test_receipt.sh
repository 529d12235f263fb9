#!/bin/bash
# Verification receipts, with real processes on loopback: a préfecture
# serving its feed, the verifier service giving receipts to each profile
# (only the fields the profile sees), its published receipt keys, `receipt
# check` against a keys document (file, URL, standard input) and against
# the trust list once the federation lists the verifier's key (and retires
# it), changed receipts refused, a key rotation that keeps old receipts
# checkable, one shared key for two replicas, and the key file at rest:
# mode 0600, encrypted with a passphrase, plain without one.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
ORG="Vérificateur de test"

issue() { # DIR FAMILY: one attestation with the right to work, prints its id
  printf '{"family_name": "%s", "given_names": "Mariama", "birth_date": "1987-06-05", "nationality": "GIN",
 "foreign_national_number": "7512340987", "application": "first", "title_requested": "carte de séjour temporaire salarié",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$2" "$filed" "$from" "$later" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out "out-$1" --formats svg 2>>issue.log | awk 'NR==1 {print $1}'
}
text_of() { cat out-*/"$1".txt; }
req_at() { # PORT NAME METHOD PATH [curl args]: NAME.h, NAME.b; prints the status
  local port=$1 name=$2 method=$3 path=$4; shift 4
  curl -s -o "$name.b" -D "$name.h" -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$port$path"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
payload_json() { python3 -c 'import json,sys; print(json.dumps({"payload": sys.argv[1]}))' "$1"; }
# verify_at PORT NAME TEXT QUERY [curl args]: POST {"payload": TEXT} to /api/v1/verify?QUERY
verify_at() {
  local port=$1 name=$2 text=$3 query=$4; shift 4
  payload_json "$text" >"$name.req"
  req_at "$port" "$name" POST "/api/v1/verify$query" -H 'Content-Type: application/json' --data-binary @"$name.req" "$@"
}
# check_json NAME ARGS...: receipt check --json; its output in NAME.json, prints the exit code
check_json() {
  local name=$1; shift
  "$V" receipt check --json "$@" >"$name.json" 2>"$name.err"
  echo $?
}

# --- a federation with one préfecture and its feed
P1=$(free_port); PV=$(free_port); PW=$(free_port); PA=$(free_port); PB=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
VALID=$(issue iss DIALLO)
OTHER=$(issue iss KEITA)
expect_eq "${#VALID}${#OTHER}" 2424 "two attestations issued"
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1

# --- the service: its receipt key made at the first start, encrypted (API_PASSPHRASE is set)
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 \
  --access-log access.log --anonymous-rate 0 --receipt-org "$ORG"
fresh() { req_at "$PV" health GET /healthz >/dev/null && [ "$(jget health.b 'd["issuers"]["FR-75"]["fresh"]')" = True ]; }
if wait_for 30 fresh; then ok "the service synced the feed"; else bad "the service synced the feed"; tail -5 ver.log | sed 's/^/     | /'; fi
expect_eq "$(stat -c %a data/receipt-key)" 600 "the receipt key file is mode 0600"
expect_eq "$(head -c 8 data/receipt-key)" "APIKEY1" "with a passphrase, the receipt key is encrypted (key-file format)"
expect_eq "$(grep -c . data/receipt-key.pub)" 1 "its public key is written beside it (one base64url line)"
expect_grep "receipts signed as \"$ORG\" with key [0-9a-f]{16}" ver.log "serve says which key signs receipts"
KID=$(grep -oE 'with key [0-9a-f]{16}' ver.log | head -1 | cut -d' ' -f3)

K_EMPLOYER=$("$V" keys add --data data --org "Boulangerie Dupont" --profile employer 2>/dev/null)
K_LANDLORD=$("$V" keys add --data data --org "Bailleur social 93" --profile landlord 2>/dev/null)
K_SOCIAL=$("$V" keys add --data data --org "CAF 93" --profile social 2>/dev/null)
K_BANK=$("$V" keys add --data data --org "Banque du Coin" --profile bank 2>/dev/null)

# --- the published keys, no API key needed
got=$(req_at "$PV" keys GET /api/v1/receipt-keys)
expect_eq "$got" 200 "GET /api/v1/receipt-keys without an API key"
cp keys.b keys.json
expect_eq "$(jget keys.json 'd["verifier"]')" "$ORG" "the document names the verifier"
expect_eq "$(jget keys.json '[k["kid"] for k in d["keys"]]')" "['$KID']" "one key, the one serve signs with"
expect_eq "$(jget keys.json 'd["keys"][0]["retired_at"]')" None "it is current (retired_at null)"
expect_eq "$(jget keys.json 'd["keys"][0]["public_key"]')" "$(cat data/receipt-key.pub)" "its public key is the .pub file's"
expect_grep '^[Ee][Tt]ag: "' keys.h "the document has an ETag"

# --- receipts, profile by profile: only what the report shows
T=$(text_of "$VALID")
declare -A KEYOF=([employer]=$K_EMPLOYER [landlord]=$K_LANDLORD [social]=$K_SOCIAL [bank]=$K_BANK [anonymous]=)
for p in employer landlord social bank anonymous; do
  hdr=(); [ -n "${KEYOF[$p]}" ] && hdr=(-H "X-API-Key: ${KEYOF[$p]}")
  got=$(verify_at "$PV" "v-$p" "$T" "?receipt=true" "${hdr[@]}")
  expect_eq "$got $(jget "v-$p.b" 'd["result"]')" "200 valid" "$p: verify?receipt=true answers the report"
  jget "v-$p.b" 'd["receipt"]' >"r-$p.txt"
  expect_grep '^APR1:[0-9A-Z $%*+./:-]+$' "r-$p.txt" "$p: the report holds a receipt (APR1: and Base45)"
  rc=$(check_json "c-$p" --keys keys.json --file "r-$p.txt")
  expect_eq "$rc $(jget "c-$p.json" 'd["check"]')" "0 valid" "$p: receipt check says it is authentic"
  expect_eq "$(jget "c-$p.json" 'd["profile"]')" "$p" "$p: the receipt names the profile"
  # every member of the receipt is in the report, with the same value
  same=$(python3 - "v-$p.b" "c-$p.json" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1])); rec = json.load(open(sys.argv[2]))
pairs = [("result", rep.get("result")), ("reason", rep.get("reason")), ("checked_at", rep.get("checked_at")),
         ("status_as_of", rep.get("status_as_of")), ("attestation_id", rep.get("attestation_id")),
         ("issuer", rep.get("issuer")), ("work", rep.get("rights", {}).get("work")),
         ("effective_until", rep.get("validity", {}).get("effective_until")),
         ("extended", rep.get("validity", {}).get("extended"))]
bad = [k for k, v in pairs if rec.get(k) != v]
h = rep.get("holder")
if (rec.get("holder") or None) != ({"family_name": h["family_name"], "given_names": h["given_names"]} if h else None): bad.append("holder")
print(" ".join(bad) or "same")
EOF
)
  expect_eq "$same" same "$p: the receipt holds exactly the report's values (names, dates, verdict, issuer)"
done
expect_eq "$(jget c-employer.json '(d["org"], d["work"], d["attestation_id"])')" "('Boulangerie Dupont', 'yes', '$VALID')" \
  "employer: organisation, right to work and attestation id"
expect_eq "$(jget c-social.json '"work" in d and "attestation_id" in d')" True "social: right to work and attestation id"
expect_eq "$(jget c-landlord.json '"work" in d')" False "landlord: no right to work (the profile does not show it)"
expect_eq "$(jget c-bank.json '"work" in d')" False "bank: no right to work"
expect_eq "$(jget c-landlord.json '"attestation_id" in d')" True "landlord: the attestation id"
expect_eq "$(jget c-anonymous.json '(d["org"], "work" in d, "attestation_id" in d)')" "('anonymous', False, False)" \
  "anonymous: no organisation, no right to work, no attestation id"
expect_eq "$(jget c-anonymous.json 'd["holder"]["family_name"]')" DIALLO "anonymous: the names, as the report shows them"
expect_no_grep 'birth|1987|7512340987|GIN' c-social.json "no receipt holds the birth date, nationality or foreign-national number"

# without receipt=true nothing changes; a bad value is refused
got=$(verify_at "$PV" plain "$T" "" -H "X-API-Key: $K_EMPLOYER")
expect_eq "$got $(jget plain.b '"receipt" in d')" "200 False" "without receipt=true the report has no receipt"
got=$(verify_at "$PV" plain2 "$T" "?receipt=false")
expect_eq "$got $(jget plain2.b '"receipt" in d')" "200 False" "receipt=false: no receipt"
got=$(verify_at "$PV" badq "$T" "?receipt=yes")
expect_eq "$got $(jget badq.b 'd["type"]')" "400 /problems/invalid-parameter" "receipt=yes: 400 invalid-parameter"
got=$(verify_at "$PV" compact "$T" "?receipt=true&explain=false" -H "X-API-Key: $K_EMPLOYER")
expect_eq "$got $(jget compact.b '"receipt" in d and "explanation" not in d')" "200 True" "a compact answer holds its receipt too"

# a receipt of a code that is no attestation: only the verdict
got=$(verify_at "$PV" junk "API1:NOT BASE45" "?receipt=true")
jget junk.b 'd["receipt"]' >r-junk.txt
rc=$(check_json c-junk --keys keys.json --file r-junk.txt)
expect_eq "$rc $(jget c-junk.json '(d["result"], d["reason"], "holder" in d, "issuer" in d)')" "0 ('malformed', 'base45', False, False)" \
  "a malformed code's receipt says malformed, base45, and nothing else"

# the batch: one receipt per report
python3 -c 'import json,sys; print(json.dumps({"payloads": sys.argv[1:]}))' "$T" "$(text_of "$OTHER")" >batch.req
got=$(req_at "$PV" batch POST "/api/v1/verify/batch?receipt=true" -H "X-API-Key: $K_EMPLOYER" -H 'Content-Type: application/json' --data-binary @batch.req)
expect_eq "$got $(jget batch.b 'len([r for r in d["results"] if r["receipt"].startswith("APR1:")])')" "200 2" "batch?receipt=true: a receipt in each report"
jget batch.b 'd["results"][1]["receipt"]' >r-batch.txt
rc=$(check_json c-batch --keys keys.json --file r-batch.txt)
expect_eq "$rc $(jget c-batch.json 'd["holder"]["family_name"]')" "0 KEITA" "the second report's receipt is the second attestation's"

# --- receipt check: text output, a URL, standard input
expect_rc 0 "receipt check --keys FILE" "$V" receipt check --keys keys.json --file r-employer.txt
cp "$TMP/.stdout" check.txt
expect_grep "^Reçu de vérification / Verification receipt: valid" check.txt "it says the receipt is valid"
expect_grep "n'est pas une autorisation délivrée par la préfecture" check.txt "in French: not an authorisation issued by the préfecture"
expect_grep "It is not an authorisation issued by the préfecture" check.txt "in English: the same"
expect_grep "Signé par : $ORG \(clé $KID\)" check.txt "who signed, with which key"
expect_grep "Pour : Boulangerie Dupont \(profil : employeur\)" check.txt "for whom, with which profile"
expect_grep "Titulaire : DIALLO Mariama" check.txt "the holder's names"
expect_grep "^\[EN\]" check.txt "then in English"
expect_rc 0 "receipt check --keys URL (the service's /api/v1/receipt-keys)" "$V" receipt check --keys "http://127.0.0.1:$PV/api/v1/receipt-keys" --file r-employer.txt
expect_rc 0 "receipt check - (standard input)" sh -c "'$V' receipt check --keys keys.json - <r-employer.txt"
expect_rc 0 "receipt check --payload TEXT" "$V" receipt check --keys keys.json --payload "$(cat r-employer.txt)"
expect_rc 2 "receipt check without keys: usage error" "$V" receipt check --file r-employer.txt
expect_rc 2 "receipt check with --keys and --trust: usage error" "$V" receipt check --keys keys.json --root fed/root.pub --trust tl.cose --file r-employer.txt
echo '{"verifier": "x", "keys": [{"kid": "00"}]}' >badkeys.json
expect_rc 2 "a damaged keys document: exit 2" "$V" receipt check --keys badkeys.json --file r-employer.txt
expect_grep "not a receipt-keys document" "$TMP/.stderr" "and it says so"
expect_rc 2 "a keys URL that answers 404: exit 2" "$V" receipt check --keys "http://127.0.0.1:$PV/api/v1/nothing" --file r-employer.txt

# --- changed receipts are refused
python3 - r-employer.txt forged.txt <<'EOF'
# the receipt with one letter of the family name changed, re-encoded without zlib: well-formed, no longer signed
import sys, zlib
A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
def b45d(s):
    out = bytearray()
    for i in range(0, len(s), 3):
        c = [A.index(x) for x in s[i:i + 3]]
        if len(c) == 3:
            n = c[0] + c[1] * 45 + c[2] * 2025; out += bytes([n >> 8, n & 255])
        else:
            out.append(c[0] + c[1] * 45)
    return bytes(out)
def b45e(b):
    out = ""
    for i in range(0, len(b), 2):
        if i + 1 < len(b):
            n = b[i] * 256 + b[i + 1]; out += A[n % 45] + A[n // 45 % 45] + A[n // 2025]
        else:
            out += A[b[i] % 45] + A[b[i] // 45]
    return out
t = open(sys.argv[1]).read().strip()
cose = zlib.decompress(b45d(t[5:]))
assert b"DIALLO" in cose
open(sys.argv[2], "w").write("APR1:" + b45e(cose.replace(b"DIALLO", b"DIALLA")))
EOF
rc=$(check_json c-forged --keys keys.json --file forged.txt)
expect_eq "$rc $(jget c-forged.json 'd["check"]')" "1 invalid_signature" "a changed name: refused, invalid_signature"
expect_no_grep DIALLA c-forged.json "a refused receipt's content is not repeated"
expect_rc 1 "the same as text: exit 1" "$V" receipt check --keys keys.json --file forged.txt
expect_grep "refusé : la signature ne correspond pas" "$TMP/.stdout" "it says why, in French"
sed 's/^\(.\{40\}\)./\1Z/' r-employer.txt >changed.txt
cmp -s changed.txt r-employer.txt && sed -i 's/^\(.\{40\}\)./\1Y/' changed.txt
rc=$(check_json c-changed --keys keys.json --file changed.txt)
expect_eq "$rc" 1 "a changed character: refused"
"$V" verify --root fed/root.pub --trust tl.cose --payload "$(cat r-employer.txt)" --json >asatt.json 2>/dev/null
expect_eq "$?$(jget asatt.json '(d["result"], d["reason"])')" "1('malformed', 'prefix')" "a receipt is no attestation (verify: malformed, prefix)"
rc=$(check_json c-att --keys keys.json --payload "$T")
expect_eq "$rc $(jget c-att.json 'd["check"]')" "1 malformed" "an attestation is no receipt"

# --- another verifier: its own key, unknown to this document
start other "$V" serve --root fed/root.pub --data data2 --trust tl.cose --listen "127.0.0.1:$PW" --sync-interval 1 --anonymous-rate 0
fresh2() { req_at "$PW" h2 GET /healthz >/dev/null && [ "$(jget h2.b 'd["issuers"]["FR-75"]["fresh"]')" = True ]; }
wait_for 30 fresh2 || bad "the second service synced"
verify_at "$PW" v-other "$T" "?receipt=true" >/dev/null
jget v-other.b 'd["receipt"]' >r-other.txt
rc=$(check_json c-other --keys keys.json --file r-other.txt)
expect_eq "$rc $(jget c-other.json 'd["check"]')" "1 unknown_key" "another verifier's receipt against this document: unknown_key"
expect_eq "$(jget data2/receipt-key.json 'd["verifier"]')" "api-verifier ($(hostname))" "without --receipt-org a key is named after the host"
stop other
expect_rc 2 "serve with another --receipt-org than its key's: exit 2" "$V" serve --root fed/root.pub --data data2 --trust tl.cose --listen "127.0.0.1:$PW" --receipt-org "Autre nom"
expect_grep "rotate-key" "$TMP/.stderr" "it says to rotate the key to change the name"
expect_rc 3 "serve with the wrong passphrase for its receipt key: exit 3" env API_PASSPHRASE=wrong "$V" serve --root fed/root.pub --data data2 --trust tl.cose --listen "127.0.0.1:$PW"

# --- the federation lists the verifier's key: receipts checkable against the root
expect_rc 1 "before it is listed: unknown_key against the trust list" "$V" receipt check --root fed/root.pub --trust tl.cose --file r-employer.txt
expect_rc 0 "add-receipt-signer" "$F" add-receipt-signer --dir fed --name "$ORG" --pub data/receipt-key.pub
expect_grep "added receipt signer $ORG, kid $KID" "$TMP/.stdout" "it names the signer and its kid"
expect_rc 2 "the same key twice: refused" "$F" add-receipt-signer --dir fed --name "$ORG" --pub data/receipt-key.pub
expect_rc 2 "an issuer's key as a receipt signer: refused" "$F" add-receipt-signer --dir fed --name "X" --pub iss/issuer.pub
expect_rc 0 "federation list" "$F" list --dir fed
expect_grep "^receipts +$KID +active +$ORG" "$TMP/.stdout" "list shows the receipt signer"
expect_rc 0 "publish with a receipt signer" "$F" publish --dir fed --out tl2.cose
rc=$(check_json c-root --root fed/root.pub --trust tl2.cose --file r-employer.txt)
expect_eq "$rc $(jget c-root.json '(d["check"], d["kid"])')" "0 ('valid', '$KID')" "receipt check against the root-signed trust list"
expect_rc 1 "another verifier's receipt against the trust list: refused" "$V" receipt check --root fed/root.pub --trust tl2.cose --file r-other.txt
expect_rc 0 "attestations still verify with the new trust list" "$V" verify --root fed/root.pub --trust tl2.cose --payload "$T"
python3 - tl.cose tl2.cose >tlsize.txt <<'EOF'
import sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
print("grown" if b"receipt_signers" in b and b"receipt_signers" not in a else "same")
EOF
expect_eq "$(cat tlsize.txt)" grown "the member receipt_signers appears only once a signer is listed"
expect_rc 2 "compromise of a receipt signer: refused (retire it with --at)" "$F" compromise --dir fed --kid "$KID"
expect_rc 0 "retire the receipt signer before the receipt was signed" "$F" retire --dir fed --kid "$KID" --at "$(date -u -d '-1 hour' +%FT%TZ)"
expect_rc 0 "publish" "$F" publish --dir fed --out tl3.cose
rc=$(check_json c-retired --root fed/root.pub --trust tl3.cose --file r-employer.txt)
expect_eq "$rc $(jget c-retired.json 'd["check"]')" "1 signed_after_retirement" "a receipt signed after its key's retirement: refused"

# --- rotation: the old key stays published as retired, its receipts still check
sleep 1 # a receipt's second and the retirement's must differ: retired_at is the first second refused
expect_rc 0 "receipt rotate-key" "$V" receipt rotate-key --data data
expect_grep "receipt key $KID retired, new key [0-9a-f]{16}" "$TMP/.stdout" "it names the old and the new key"
stop ver
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 --anonymous-rate 0
wait_for 30 fresh || bad "the service restarted"
req_at "$PV" keys2 GET /api/v1/receipt-keys >/dev/null
cp keys2.b keys2.json
expect_eq "$(jget keys2.json 'len(d["keys"])')" 2 "the document lists both keys"
expect_eq "$(jget keys2.json '(d["keys"][1]["kid"], d["keys"][1]["retired_at"] is not None, d["keys"][0]["retired_at"])')" "('$KID', True, None)" \
  "the old key retired, the new one current and first"
expect_rc 0 "an old receipt still checks against the new document" "$V" receipt check --keys keys2.json --file r-employer.txt
verify_at "$PV" v-new "$T" "?receipt=true" >/dev/null
jget v-new.b 'd["receipt"]' >r-new.txt
rc=$(check_json c-new --keys keys2.json --file r-new.txt)
expect_eq "$rc $(jget c-new.json 'd["kid"] != "'"$KID"'"')" "0 True" "new receipts are signed with the new key"
expect_rc 1 "and are unknown to the old document" "$V" receipt check --keys keys.json --file r-new.txt

# --- one shared key for two replicas (--receipt-key FILE)
mkdir shared
expect_rc 0 "rotate-key makes the first key of a shared file" env -u API_PASSPHRASE "$V" receipt rotate-key --receipt-key shared/receipt.key --receipt-org "Vérificateurs en grappe"
expect_grep "receipt key [0-9a-f]{16} made" "$TMP/.stdout" "it says a key was made"
expect_eq "$(stat -c %a shared/receipt.key) $(head -c 8 shared/receipt.key | tr -d '\n')" "600 APIRKEY" "without a passphrase the key is plain, mode 0600"
start repa env -u API_PASSPHRASE "$V" serve --root fed/root.pub --data da --trust tl.cose --listen "127.0.0.1:$PA" --sync-interval 1 --anonymous-rate 0 --receipt-key shared/receipt.key
start repb env -u API_PASSPHRASE "$V" serve --root fed/root.pub --data db --trust tl.cose --listen "127.0.0.1:$PB" --sync-interval 1 --anonymous-rate 0 --receipt-key shared/receipt.key
freshab() { req_at "$PA" ha GET /healthz >/dev/null && req_at "$PB" hb GET /healthz >/dev/null &&
  [ "$(jget ha.b 'd["issuers"]["FR-75"]["fresh"]')$(jget hb.b 'd["issuers"]["FR-75"]["fresh"]')" = TrueTrue ]; }
wait_for 30 freshab || bad "both replicas synced"
req_at "$PA" ka GET /api/v1/receipt-keys >/dev/null
req_at "$PB" kb GET /api/v1/receipt-keys >/dev/null
if cmp -s ka.b kb.b; then ok "both replicas publish the same receipt keys"; else bad "both replicas publish the same receipt keys"; fi
verify_at "$PA" va "$T" "?receipt=true" >/dev/null
verify_at "$PB" vb "$T" "?receipt=true" >/dev/null
jget va.b 'd["receipt"]' >r-a.txt
jget vb.b 'd["receipt"]' >r-b.txt
cp ka.b ka.json
expect_rc 0 "replica A's receipt checks with the shared document" "$V" receipt check --keys ka.json --file r-a.txt
expect_rc 0 "replica B's receipt checks with the same document" "$V" receipt check --keys ka.json --file r-b.txt
expect_eq "$(ls da | grep -c receipt) $(ls db | grep -c receipt)" "0 0" "no replica made a key of its own"

# --- nothing of a receipt is kept or logged
expect_no_grep "DIALLO|KEITA|APR1:" access.log "the access log holds no name and no receipt"
if grep -rqa "APR1:" data; then bad "the service keeps no receipt"; else ok "the service keeps no receipt"; fi

# --- the processes stopped: no sanitizer report (the sanitizer build: BIN=build/asan/bin)
stop repa; stop repb; stop ver; stop iss
if grep -lE "AddressSanitizer|LeakSanitizer|runtime error" ./*.log >/dev/null 2>&1; then
  bad "no sanitizer report from the services"; grep -hE "AddressSanitizer|runtime error" ./*.log | head -3
else
  ok "no sanitizer report from the services"
fi

finish
