#!/bin/bash
# Signing keys in a security module (PKCS#11), with SoftHSM2 tokens made in
# the test's folder (SOFTHSM2_CONF): the federation's root key and an
# issuer's key are made in a token; init, issue, revoke, publish, serve,
# rotate-key; a verifier synced from the served feed finds everything as it
# should be. No issuer.key or root.key is written, issuer.json names the
# token and the key but holds no secret. A wrong PIN, no PIN, a missing
# token, a removed key and a key that does not match issuer.pub are exit 3
# with a clear message, and nothing half-written: no issuer.json after a
# failed init, no registry entry or file after a failed issue.
# (That the private key cannot be read out of the token, C_GetAttributeValue
# of CKA_VALUE refused, is checked by the unit test test_signer.)
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
if ! command -v softhsm2-util >/dev/null 2>&1 || [ ! -r "$MODULE" ]; then
  echo "SKIP test_hsm: SoftHSM2 is not installed (softhsm2-util, $MODULE)"
  finish
  exit 0
fi

# The sanitizer build: SoftHSM2's own leaks (through libcrypto) are not ours.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$ROOT_DIR/tests/cli/lsan-pkcs11.supp:print_suppressions=0"
mkdir -p tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$TMP" >softhsm2.conf
export SOFTHSM2_CONF="$TMP/softhsm2.conf"
unset API_PASSPHRASE # nothing here may need a passphrase
umask 077
echo 246810 >pin
echo 999999 >wrong-pin
expect_rc 0 "a SoftHSM2 token" softhsm2-util --init-token --free --label api-hsm --pin 246810 --so-pin 135790
T=(--pkcs11-module "$MODULE" --token-label api-hsm)

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
holder_json() { # family
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$later"
}
holder_json DIALLO >h1.json
holder_json NDIAYE >h2.json
holder_json FALL >h3.json

# verdict DATA ID: the result of attestation ID against the replica in DATA.
verdict() {
  "$V" verify --root fed/root.pub --data "$1" --payload "$(cat out/"$2".txt)" --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'
}
count() { "$I" info --dir iss | awk '/^attestations:/ {print $2}'; }

# --- the federation's root key in the token
expect_rc 3 "federation init without a PIN" "$F" init --dir fed "${T[@]}"
expect_grep "API_PKCS11_PIN" "$TMP/.stderr" "the message says where the PIN comes from"
[ ! -e fed ] && ok "a failed init leaves no folder" || bad "a failed init leaves no folder"
expect_rc 0 "federation init with the root key in the token" "$F" init --dir fed "${T[@]}" --pin-file pin
expect_grep "in the token 'api-hsm'" "$TMP/.stdout" "init says the key is in the token"
[ ! -e fed/root.key ] && ok "no root.key" || bad "no root.key"
expect_eq "$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["pkcs11"]))' fed/root-token.json)" \
  "['key_id', 'module', 'token']" "root-token.json names the module, the token and the key"

# --- an issuer's key in the token
P1=$(free_port); PV=$(free_port)
expect_rc 3 "issuer init with a wrong PIN" "$I" init --dir iss --id FR-75 --name "Préfecture de Paris" "${T[@]}" --pin-file wrong-pin
expect_grep "wrong PIN" "$TMP/.stderr" "the message says the PIN is wrong"
expect_no_grep "999999" "$TMP/.stderr" "the message does not show the PIN"
[ ! -e iss/issuer.json ] && ok "no issuer.json after a failed init" || bad "no issuer.json after a failed init"
expect_rc 3 "issuer init with a token that does not exist" "$I" init --dir iss --id FR-75 --name P --pkcs11-module "$MODULE" --token-label no-such --pin-file pin
expect_grep "no token labelled 'no-such'" "$TMP/.stderr" "the message names the missing token"
expect_rc 3 "issuer init with a module that does not exist" "$I" init --dir iss --id FR-75 --name P --pkcs11-module "$TMP/none.so" --token-label api-hsm --pin-file pin
expect_grep "cannot load the PKCS#11 module" "$TMP/.stderr" "the message names the module"
[ ! -e iss/issuer.json ] && ok "still no issuer.json" || bad "still no issuer.json"
expect_rc 0 "issuer init with the key in the token" "$I" init --dir iss --id FR-75 --name "Préfecture de Paris" "${T[@]}" --pin-file pin --feed "http://127.0.0.1:$P1"
[ ! -e iss/issuer.key ] && ok "no issuer.key" || bad "no issuer.key"
python3 - iss/issuer.json >keys.txt <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["pkcs11"]
print(" ".join(sorted(p)), len(p["key_id"]), len(p["seed_id"]), p["token"])
EOF
expect_eq "$(cat keys.txt)" "key_id module seed_id token 32 32 api-hsm" "issuer.json records the module, the token, the key's and the seed's ids"
expect_no_grep "246810" iss/issuer.json "issuer.json holds no PIN"
expect_rc 4 "init again is refused" "$I" init --dir iss --id FR-75 --name P "${T[@]}" --pin-file pin
expect_rc 0 "info" "$I" info --dir iss
expect_grep "^key: in the security module, token 'api-hsm'" "$TMP/.stdout" "info says the key is in the token"

expect_rc 0 "admit the issuer" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de Paris" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 3 "publish the trust list without a PIN" "$F" publish --dir fed --out tl.cose
[ ! -e tl.cose ] && ok "no trust list written" || bad "no trust list written"
expect_rc 0 "publish the trust list, signed in the token" "$F" publish --dir fed --out tl.cose --pin-file pin

# --- issue, revoke, publish
expect_rc 3 "issue without a PIN" "$I" issue --dir iss --json h1.json --out out --formats png
expect_rc 3 "issue with a wrong PIN" "$I" issue --dir iss --json h1.json --out out --formats png --pin-file wrong-pin
expect_grep "wrong PIN" "$TMP/.stderr" "issue says the PIN is wrong"
expect_eq "$(count)" 0 "nothing registered by a failed issue"
expect_eq "$(ls out 2>/dev/null | wc -l)" 0 "no file written by a failed issue"
expect_rc 0 "issue with the PIN from --pin-file" "$I" issue --dir iss --json h1.json --out out --formats png --pin-file pin
A1=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
export API_PKCS11_PIN=246810
expect_rc 0 "issue with the PIN from API_PKCS11_PIN" "$I" issue --dir iss --json h2.json --out out --formats png
A2=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
unset API_PKCS11_PIN
expect_eq "${#A1}${#A2}" 2424 "two attestations issued"
expect_rc 0 "revoke (no key needed)" "$I" revoke --dir iss --id "$A1" --reason fraud
expect_rc 3 "publish with a wrong PIN" "$I" publish --dir iss --pin-file wrong-pin
expect_rc 0 "publish, signed in the token" "$I" publish --dir iss --pin-file pin

# --- serve and a verifier synced from the served feed
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1 --pin-file pin
if wait_for 15 curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/checkpoint" -o cp.cose; then ok "serve signs with the token"; else bad "serve signs with the token"; cat "$TMP/iss.log"; fi
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1
expect_verdict() { # ID WANT NAME
  if wait_for 20 bash -c '[ "$(verdict data "$0")" = "$1" ]' "$1" "$2"; then ok "$3"; else bad "$3 (got '$(verdict data "$1")')"; fi
}
export -f verdict
export V
expect_verdict "$A2" valid "the verifier finds the token-signed attestation valid"
expect_verdict "$A1" revoked "and the revoked one revoked (the token-signed feed)"
stop iss

# --- rotate-key in the token
old_pub=$(cat iss/issuer.pub)
old_kid=$("$I" info --dir iss | awk '/^kid:/ {print $2}')
expect_rc 3 "rotate-key with a wrong PIN" "$I" rotate-key --dir iss --pin-file wrong-pin
expect_eq "$(cat iss/issuer.pub)" "$old_pub" "the key is unchanged"
expect_rc 0 "rotate-key in the token" "$I" rotate-key --dir iss --pin-file pin
[ "$(cat iss/issuer.pub)" != "$old_pub" ] && ok "a new public key" || bad "a new public key"
[ -e "iss/issuer-$old_kid.pub" ] && ok "the old public key is kept" || bad "the old public key is kept"
[ ! -e iss/issuer.key ] && ok "still no issuer.key" || bad "still no issuer.key"
expect_rc 0 "admit the new key" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de Paris" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "retire the old key" "$F" retire --dir fed --kid "$old_kid"
expect_rc 0 "publish the new trust list" "$F" publish --dir fed --out tl2.cose --pin-file pin
cp tl2.cose tl.cose
expect_rc 0 "issue with the new key" "$I" issue --dir iss --json h3.json --out out --formats png --pin-file pin
A3=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
start iss2 "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1 --pin-file pin
stop ver
expect_rc 0 "the verifier takes the new trust list" "$V" sync --root fed/root.pub --data data --trust tl2.cose
expect_verdict "$A3" valid "an attestation of the new key: valid"
expect_verdict "$A2" valid "one of the retired key, issued before: still valid"
expect_verdict "$A1" revoked "the revoked one stays revoked"
stop iss2
expect_eq "$(count)" 3 "three attestations registered"

# --- the issuance API of serve, signing in the token from its request threads
C=$("$I" clients add --dir iss --name anef --role issue --rate 0 2>/dev/null)
PA=$(free_port)
start api "$I" serve --dir iss --listen "127.0.0.1:$P1" --admin-listen "127.0.0.1:$PA" --heartbeat 1 \
  --max-connections-per-address 0 --pin-file pin
if wait_for 30 curl -s -o /dev/null "http://127.0.0.1:$PA/api/v1/attestations"; then ok "serve with the token answers on the admin listener"; else bad "serve with the token answers on the admin listener"; tail -5 "$TMP/api.log"; fi
mkdir par; kids=()
for c in $(seq 1 8); do
  ( for k in $(seq 1 5); do
      curl -s -o "par/$c-$k.json" -w '%{http_code}\n' -H "Authorization: Bearer $C" -H 'Content-Type: application/json' \
        --data-binary @h3.json "http://127.0.0.1:$PA/api/v1/attestations"
    done >"par/$c.codes" ) & kids+=($!)
done
wait "${kids[@]}"
expect_eq "$(cat par/*.codes | grep -c '^201$')" 40 "8 parallel clients issued 40 attestations through the token"
python3 - par <<'PY' >par.txt
import json, os, sys
ids = set()
for f in sorted(os.listdir(sys.argv[1])):
    if f.endswith(".json"):
        v = json.load(open(os.path.join(sys.argv[1], f))); ids.add(v["id"]); print(v["qr_text"])
open("par.n", "w").write(str(len(ids)))
PY
bad_sig=0
while read -r q; do
  r=$("$V" verify --root fed/root.pub --trust tl.cose --payload "$q" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
  [ "$r" = valid ] || bad_sig=$((bad_sig + 1))
done <par.txt
expect_eq "$(cat par.n) $(wc -l <par.txt) $bad_sig" "40 40 0" "40 distinct ids, and every one verifies with the token's key"
stop api

# --- a key that does not match issuer.pub: refused before anything is signed
cp iss/issuer.pub issuer.pub.keep
cp "iss/issuer-$old_kid.pub" iss/issuer.pub
expect_rc 3 "a token key that does not match issuer.pub" "$I" publish --dir iss --pin-file pin
expect_grep "does not match issuer.pub" "$TMP/.stderr" "the message says so"
cp issuer.pub.keep iss/issuer.pub

# --- a damaged record of the token in issuer.json: refused, as any damaged issuer.json
cp iss/issuer.json issuer.json.keep
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); j["pkcs11"]["key_id"]="zz"; json.dump(j, open(sys.argv[1], "w"))' iss/issuer.json
expect_rc 2 "a damaged pkcs11 member of issuer.json" "$I" publish --dir iss --pin-file pin
expect_grep "damaged \(pkcs11\)" "$TMP/.stderr" "the message says which part is damaged"
cp issuer.json.keep iss/issuer.json

# --- a removed key: a second token, whose objects are taken away after init
before=$(ls tokens)
expect_rc 0 "a second token" softhsm2-util --init-token --free --label api-hsm2 --pin 246810 --so-pin 135790
tok2=$(comm -13 <(echo "$before") <(ls tokens))
cp -a "tokens/$tok2" token2.empty
expect_rc 0 "an issuer in the second token" "$I" init --dir iss2 --id FR-13 --name "Préfecture 13" --pkcs11-module "$MODULE" --token-label api-hsm2 --pin-file pin
rm -rf "tokens/$tok2" && cp -a token2.empty "tokens/$tok2"
expect_rc 3 "issue when the key was removed from the token" "$I" issue --dir iss2 --json h1.json --out out2 --formats png --pin-file pin
expect_grep "not in the token" "$TMP/.stderr" "the message says the key is not in the token"
expect_eq "$("$I" info --dir iss2 | awk '/^attestations:/ {print $2}')" 0 "nothing registered"
[ ! -e out2 ] || [ -z "$(ls out2)" ] && ok "no file written" || bad "no file written"
expect_rc 3 "publish when the key was removed" "$I" publish --dir iss2 --pin-file pin

# --- a missing token
expect_rc 0 "delete the second token" softhsm2-util --delete-token --token api-hsm2
expect_rc 3 "issue when the token is gone" "$I" issue --dir iss2 --json h1.json --out out2 --formats png --pin-file pin
expect_grep "no token labelled 'api-hsm2'" "$TMP/.stderr" "the message names the missing token"
expect_rc 3 "--token-label overrides issuer.json's" "$I" publish --dir iss --token-label no-such --pin-file pin
expect_grep "no token labelled 'no-such'" "$TMP/.stderr" "the override is used"
expect_rc 2 "token options on a file-key issuer are refused" bash -c \
  "API_PASSPHRASE=x '$I' init --dir issf --id FR-69 --name F --kdf interactive >/dev/null && API_PASSPHRASE=x '$I' publish --dir issf --pkcs11-module '$MODULE' --token-label api-hsm"

finish
