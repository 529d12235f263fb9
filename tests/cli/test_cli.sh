#!/bin/bash
# Command-line integration: a federation, two issuers, issuance from JSON and
# CSV, and verification of every verdict the CLI can reach without a replica.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

holder() { # family given valid_from valid_until [extra json]
  cat <<JSON
{"family_name": "$1", "given_names": "$2", "birth_date": "1990-04-12",
 "nationality": "SEN", "foreign_national_number": "7503123456", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "2026-09-01", "valid_from": "$3", "valid_until": "$4"${5:-}}
JSON
}

# --- federation and issuers
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer FR-75 init" "$I" init --dir iss75 --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "issuer FR-13 init" "$I" init --dir iss13 --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
expect_eq "$(stat -c %a fed/root.key)" 600 "root key file is 0600"
expect_eq "$(stat -c %a iss75/issuer.key)" 600 "issuer key file is 0600"
expect_rc 4 "init refuses to overwrite a federation" "$F" init --dir fed --kdf interactive
expect_rc 4 "init refuses to overwrite an issuer" "$I" init --dir iss75 --id FR-75 --name X --kdf interactive
expect_rc 2 "issuer id must be A-Z0-9-" "$I" init --dir bad --id "fr 75" --name X --kdf interactive
expect_rc 0 "add FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss75/issuer.pub --feed http://127.0.0.1:1
expect_rc 0 "add FR-13" "$F" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub iss13/issuer.pub
expect_rc 2 "the same key twice is refused" "$F" add-issuer --dir fed --id FR-75 --name X --pub iss75/issuer.pub
expect_rc 2 "a bad public key file is refused" "$F" add-issuer --dir fed --id FR-99 --name X --pub fed/federation.json
expect_rc 0 "publish" "$F" publish --dir fed --out tl.cose --expires 60d
expect_grep "trust list 1 signed" "$TMP/.stdout" "publish says the sequence number"
expect_rc 0 "list" "$F" list --dir fed
expect_grep "FR-13" "$TMP/.stdout" "list shows the issuers"

# --- passphrases
API_PASSPHRASE=wrong expect_rc 3 "wrong passphrase: exit 3" "$F" publish --dir fed --out x.cose
expect_grep "wrong passphrase" "$TMP/.stderr" "wrong passphrase is said"
env -u API_PASSPHRASE "$F" publish --dir fed --out x.cose </dev/null >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 3 "no passphrase: exit 3"
printf '%s\n' "$API_PASSPHRASE" >pass.txt
env -u API_PASSPHRASE "$F" publish --dir fed --out tl2.cose --passphrase-file pass.txt >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 0 "--passphrase-file works"
expect_no_grep "$API_PASSPHRASE" fed/root.key "the key file does not hold the passphrase"

# --- issuance
holder DIALLO Aminata 2026-09-15 2026-12-15 ', "previous_title": {"number": "7501234567", "expires_on": "2026-09-30"}' >h1.json
export API_NOW=2026-09-14T08:00:00Z
expect_rc 0 "issue from JSON" "$I" issue --dir iss75 --json h1.json --out out
ID1=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
expect_eq "${#ID1}" 24 "the attestation id is 24 hex characters"
for ext in txt png svg; do
  if [ -s "out/$ID1.$ext" ]; then ok "OUT/<id>.$ext written"; else bad "OUT/<id>.$ext written"; fi
done
expect_eq "$(ls out | grep '\.txt$' | grep -vc -- '-card\.txt$')" 1 "only the QR texts end in .txt"
expect_rc 0 "OUT/<id>-card.txt (the holder's card) written" test -s "out/$ID1-card.txt"
expect_eq "$(wc -l <"out/$ID1.txt")" 1 "the QR text is one line"
expect_grep '^API1:' "out/$ID1.txt" "the QR text starts with API1:"
holder DIALLO Aminata 2026-09-15 2026-12-15 | "$I" issue --dir iss75 --json - --out out >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 0 "issue from standard input (a second API for the same person)"

# Bad JSON input: the message names the field; nothing is issued.
holder DIALLO Aminata 2026-09-15 2027-03-15 >toolong.json
expect_rc 2 "valid_until over three months is refused" "$I" issue --dir iss75 --json toolong.json --out out
expect_grep "valid_until" "$TMP/.stderr" "the message names valid_until"
sed 's/"1990-04-12"/"1990-13-12"/' h1.json >baddob.json
expect_rc 2 "a bad birth date is refused" "$I" issue --dir iss75 --json baddob.json --out out
expect_grep "birth_date" "$TMP/.stderr" "the message names birth_date"
expect_rc 2 "a missing input file" "$I" issue --dir iss75 --json nope.json --out out
expect_rc 2 "--json and --csv together" "$I" issue --dir iss75 --json h1.json --csv h1.json --out out

# CSV batch: bad rows are reported, good rows issued, exit 1.
cat >batch.csv <<'CSV'
family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on
MARTIN,"Jean, Pierre",1985-02-03,HTI,1234567890,first,"carte de séjour ""salarié""",false,2026-08-01,2026-09-01,2026-11-30,,
NGUYEN THI,Minh Khai,1992,VNM,2345678901,change,carte de séjour temporaire vie privée et familiale,previous,2026-08-01,2026-09-01,2026-11-30,,
BAD,Row,1990-01-01,SEN,123,first,x,true,2026-08-01,2026-09-01,2026-11-30,,
KONE,Awa,1979-11-30,CIV,3456789012,renewal,carte de résident,true,2026-07-01,2026-09-01,2026-11-30,7501112223,2026-08-31
ALSO BAD,Row,1990-01-01,SEN,1234567890,first,x,maybe,2026-08-01,2026-09-01,2026-11-30,,
CSV
expect_rc 1 "a CSV batch with bad rows exits 1" "$I" issue --dir iss13 --csv batch.csv --out out13
expect_grep "issued 3, rejected 2" "$TMP/.stdout" "three rows issued, two rejected"
expect_grep "line 4.*foreign_national_number" "$TMP/.stderr" "the bad row is reported with its line and field"
expect_grep "line 6.*work_authorised" "$TMP/.stderr" "the second bad row too"
expect_eq "$(full_texts out13 | wc -l)" 3 "three QR texts written"

# zbarimg, the independent referee, reads every PNG back to the exact QR text.
n=0; bad_png=0
for png in out/*.png out13/*.png; do
  n=$((n + 1))
  got=$(zbarimg --raw -q "$png" 2>/dev/null)
  [ "$got" = "$(cat "${png%.png}.txt")" ] || bad_png=$((bad_png + 1))
done
expect_eq "$bad_png" 0 "zbarimg reads all $n PNG files back exactly"
expect_rc 0 "show renders the terminal view" "$I" show --file "out/$ID1.txt" --terminal
if [ "$(wc -l <"$TMP/.stdout")" -ge 20 ]; then ok "terminal view has the code's rows"; else bad "terminal view has the code's rows"; fi
expect_rc 0 "show writes an SVG" "$I" show --file "out/$ID1.txt" --svg again.svg
expect_grep '<svg' again.svg "the SVG is an SVG"
# The holder link: /holder# + the QR text as encodeURIComponent writes it, and a QR code of it.
API_NOW=2026-09-14T08:00:00Z expect_rc 0 "issue with --holder-base" "$I" issue --dir iss75 --json h1.json --out outh --formats png --holder-base https://verif.example/holder --holder-qr
IDH=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
if [ -s "outh/$IDH.url" ] && [ -s "outh/$IDH-holder.png" ]; then ok "OUT/<id>.url and the link's QR code written"; else bad "OUT/<id>.url and the link's QR code written"; fi
expect_eq "$(node -e 'const fs=require("fs"); const t=fs.readFileSync(process.argv[1],"utf8").trim(); const u=fs.readFileSync(process.argv[2],"utf8").trim(); console.log(u === "https://verif.example/holder#" + encodeURIComponent(t))' "outh/$IDH-card.txt" "outh/$IDH.url")" true "the link is the card's QR text encoded as encodeURIComponent does"
expect_eq "$(zbarimg --raw -q "outh/$IDH-holder.png" 2>/dev/null)" "$(cat "outh/$IDH.url")" "zbarimg reads the link's QR code"
expect_rc 2 "--holder-qr alone is refused" "$I" issue --dir iss75 --json h1.json --out outh --holder-qr
expect_rc 2 "a holder base with a fragment is refused" "$I" issue --dir iss75 --json h1.json --out outh --holder-base "https://x/holder#y"
expect_rc 2 "an option of another command is refused" "$I" issue --dir iss75 --json h1.json --out outh --reason fraud
expect_grep "does not apply" "$TMP/.stderr" "and said so"
expect_rc 2 "an unknown option is refused" "$I" issue --dir iss75 --bogus
expect_grep "^api-issuer: unknown option '--bogus'" "$TMP/.stderr" "with the tool's name"
expect_rc 0 "info" "$I" info --dir iss75
expect_grep "attestations: 3" "$TMP/.stdout" "info counts the attestations"
unset API_NOW

# --- verification
T1=$(cat "out/$ID1.txt")
VR=(--root fed/root.pub --trust tl.cose)
expect_rc 0 "valid: exit 0" "$V" verify "${VR[@]}" --payload "$T1" --at 2026-10-01
expect_grep "Résultat / Result: valid" "$TMP/.stdout" "text report says valid"
expect_grep "Autorise son titulaire à travailler" "$TMP/.stdout" "French right to work"
expect_grep "Allows its holder to work" "$TMP/.stdout" "English right to work"
expect_rc 0 "valid as JSON" "$V" verify "${VR[@]}" --payload "$T1" --at 2026-10-01 --json
cp "$TMP/.stdout" valid.json
expect_eq "$(json_field valid.json result)" valid "JSON result is valid"
expect_eq "$(json_field valid.json status_checked)" False "status_checked is false without a replica"
expect_rc 0 "from an image" "$V" verify "${VR[@]}" --image "out/$ID1.png" --at 2026-10-01
printf '%s\n' "$T1" >t1.txt
"$V" verify "${VR[@]}" --at 2026-10-01 - <t1.txt >"$TMP/.stdout" 2>&1
expect_eq "$?" 0 "from standard input"
expect_rc 1 "expired: exit 1" "$V" verify "${VR[@]}" --payload "$T1" --at 2026-12-16 --json
expect_grep '"result":[[:space:]]*"expired"' "$TMP/.stdout" "expired verdict"
expect_rc 1 "not yet valid" "$V" verify "${VR[@]}" --payload "$T1" --at 2026-09-14T21:59:00Z --json
expect_grep '"result":[[:space:]]*"not_yet_valid"' "$TMP/.stdout" "not_yet_valid verdict"
expect_rc 0 "valid from 00:00 Paris time" "$V" verify "${VR[@]}" --payload "$T1" --at 2026-09-14T22:00:00Z

# Tampering: a changed character is never valid.
T2="${T1:0:60}$( [ "${T1:60:1}" = A ] && echo B || echo A )${T1:61}"
expect_rc 1 "tampered text: exit 1" "$V" verify "${VR[@]}" --payload "$T2" --at 2026-10-01 --json
expect_grep '"result":[[:space:]]*"(malformed|invalid_signature)"' "$TMP/.stdout" "tampered text is malformed or invalid_signature"
expect_rc 1 "wrong prefix" "$V" verify "${VR[@]}" --payload "HC1:${T1:5}" --json
expect_grep '"reason":[[:space:]]*"prefix"' "$TMP/.stdout" "reason prefix"
expect_rc 1 "empty text" "$V" verify "${VR[@]}" --payload "" --json
head -c 200000 /dev/zero | tr '\0' 'A' >huge.txt
"$V" verify "${VR[@]}" --json - <huge.txt >"$TMP/.stdout" 2>&1
expect_eq "$?" 1 "a huge input is a verdict"
expect_grep '"reason":[[:space:]]*"too_large"' "$TMP/.stdout" "reason too_large"

# Unknown issuer: signed by an issuer that is not in the trust list.
expect_rc 0 "a third issuer, not admitted" "$I" init --dir iss99 --id FR-99 --name "Préfecture inconnue" --kdf interactive
API_NOW=2026-09-14T08:00:00Z "$I" issue --dir iss99 --json h1.json --out out99 >"$TMP/.stdout" 2>&1
T99=$(cat $(full_texts out99))
expect_rc 1 "unknown issuer" "$V" verify "${VR[@]}" --payload "$T99" --at 2026-10-01 --json
expect_grep '"result":[[:space:]]*"unknown_issuer"' "$TMP/.stdout" "unknown_issuer verdict"

# Trust list problems: exit 2, nothing verified.
expect_rc 0 "a second federation" "$F" init --dir fed2 --kdf interactive
expect_rc 2 "a trust list signed by another root" "$V" verify --root fed2/root.pub --trust tl.cose --payload "$T1"
expect_grep "refused" "$TMP/.stderr" "the refusal is explained"
python3 -c 'import sys; b=bytearray(open("tl.cose","rb").read()); b[len(b)//2]^=1; open("tampered.cose","wb").write(b)'
expect_rc 2 "a tampered trust list" "$V" verify --root fed/root.pub --trust tampered.cose --payload "$T1"
expect_rc 2 "a missing trust list" "$V" verify --root fed/root.pub --trust nope.cose --payload "$T1"
expect_rc 2 "no input" "$V" verify "${VR[@]}"
expect_rc 2 "two inputs" "$V" verify "${VR[@]}" --payload "$T1" --image "out/$ID1.png"
expect_rc 2 "bad --at" "$V" verify "${VR[@]}" --payload "$T1" --at tomorrow
expect_rc 2 "an image without a QR code" "$V" verify "${VR[@]}" --image fed/root.pub
expect_rc 0 "--help" "$V" --help
expect_grep "Exit codes" "$TMP/.stdout" "--help documents the exit codes"

# Key compromise and retirement, through new trust lists.
KID75=$("$F" list --dir fed | awk '$1 == "FR-75" {print $2}')
expect_rc 0 "retire FR-75's key" "$F" retire --dir fed --kid "$KID75" --at 2026-09-20T00:00:00Z
expect_rc 0 "publish" "$F" publish --dir fed --out tl-retired.cose --expires 60d
expect_rc 0 "issued before retirement: still valid" "$V" verify --root fed/root.pub --trust tl-retired.cose --payload "$T1" --at 2026-10-01
API_NOW=2026-09-21T08:00:00Z "$I" issue --dir iss75 --json h1.json --out out-late >"$TMP/.stdout" 2>&1
expect_rc 1 "issued after retirement: untrusted" "$V" verify --root fed/root.pub --trust tl-retired.cose --payload "$(cat $(full_texts out-late))" --at 2026-10-01 --json
expect_grep '"reason":[[:space:]]*"issued_after_retirement"' "$TMP/.stdout" "reason issued_after_retirement"
expect_rc 0 "compromise FR-75's key" "$F" compromise --dir fed --kid "$KID75"
expect_rc 0 "publish" "$F" publish --dir fed --out tl-comp.cose --expires 60d
expect_rc 1 "compromised key: untrusted" "$V" verify --root fed/root.pub --trust tl-comp.cose --payload "$T1" --at 2026-10-01 --json
expect_grep '"result":[[:space:]]*"untrusted_issuer"' "$TMP/.stdout" "untrusted_issuer verdict"
expect_rc 2 "a compromised key stays compromised" "$F" retire --dir fed --kid "$KID75"

# Key rotation: FR-13 gets a new key; what the old key signed before its retirement still verifies.
T13=$(cat "$(full_texts out13 | head -1)")
OLDKID=$("$F" list --dir fed | awk '$1 == "FR-13" {print $2}')
expect_rc 0 "rotate FR-13's key" "$I" rotate-key --dir iss13 --kdf interactive
expect_grep "retire --kid $OLDKID" "$TMP/.stdout" "rotate-key says what the federation does next"
if [ -s "iss13/issuer-$OLDKID.pub" ]; then ok "the old public key is kept"; else bad "the old public key is kept"; fi
expect_rc 0 "the federation adds the new key" "$F" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub iss13/issuer.pub
expect_rc 0 "and retires the old one" "$F" retire --dir fed --kid "$OLDKID" --at 2026-09-20T00:00:00Z
expect_rc 0 "publish" "$F" publish --dir fed --out tl-rot.cose --expires 60d
API_NOW=2026-09-21T08:00:00Z expect_rc 0 "issue with the new key" "$I" issue --dir iss13 --json h1.json --out out13b
expect_rc 0 "issued with the old key before its retirement: valid" "$V" verify --root fed/root.pub --trust tl-rot.cose --payload "$T13" --at 2026-10-01
expect_rc 0 "issued with the new key: valid" "$V" verify --root fed/root.pub --trust tl-rot.cose --payload "$(cat $(full_texts out13b))" --at 2026-10-01
expect_rc 0 "the registry carries on (same status list)" "$I" info --dir iss13
expect_grep "attestations: 4" "$TMP/.stdout" "four attestations in the registry"

# Trust list expiry: after it, an otherwise valid attestation is status_unknown.
expect_rc 1 "expired trust list" "$V" verify "${VR[@]}" --payload "$T1" --at "@$(( $(date +%s) + 61 * 86400 ))" --json
expect_grep '"result":[[:space:]]*"(status_unknown|expired)"' "$TMP/.stdout" "expired trust list gives status_unknown (or expired)"

finish
