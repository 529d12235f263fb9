#!/bin/bash
# The verifier service against its OpenAPI document (docs/openapi.yaml), both
# ways: a small federation (two préfectures serving their feeds, a third one
# outside the trust list), an API key for each profile and one with a rate of
# 1 a second, a synced `api-verifier serve`, and a second one that holds no
# trust list yet; then tests/cli/openapi_check.py calls every documented
# operation and validates each answer (status, Content-Type, body, required
# headers; reports against the schema of the caller's profile) against the
# document, and checks that paths and methods the document does not name are
# 404 and 405 problems. OPENAPI_DOC=FILE checks another document (to see the
# checker catch a wrong one).
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
past_from=$(date -d "$today -120 days" +%F)
past_until=$(date -d "$today -30 days" +%F)
past_filed=$(date -d "$today -150 days" +%F)

holder_json() { # family from until application [filed]
  local prv="" filed=${5:-$filed}
  [ "$4" = renewal ] && prv=', "previous_title": {"number": "7501234567", "expires_on": "'"$filed"'"}'
  printf '{"family_name": "%s", "given_names": "Awa Marie", "birth_date": "1990-04", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "%s", "title_requested": "carte de séjour pluriannuelle salarié",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"%s}' "$1" "$4" "$filed" "$2" "$3" "$prv"
}

# issue ISS FAMILY FROM UNTIL APPLICATION [FILED]: issues one attestation and prints its id.
issue() {
  holder_json "$2" "$3" "$4" "$5" "${6:-}" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out "out-$1" --formats png 2>>issue.log | awk 'NR==1 {print $1}'
}

P1=$(free_port); P2=$(free_port); PV=$(free_port); PU=$(free_port); PDEAD=$(free_port)

# --- the federation: FR-75 and FR-13 admitted, FR-69 outside the trust list
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer FR-75 init" "$I" init --dir iss1 --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "issuer FR-13 init" "$I" init --dir iss2 --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
expect_rc 0 "issuer FR-69 init (not admitted)" "$I" init --dir iss3 --id FR-69 --name "Préfecture du Rhône" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss1/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "admit FR-13" "$F" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub iss2/issuer.pub --feed "http://127.0.0.1:$P2"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose

VALID=$(issue iss1 VALIDE "$from" "$later" renewal)
REVOKED=$(issue iss1 ANNULEE "$from" "$later" first)
SUSPENDED=$(issue iss1 SUSPENDUE "$from" "$later" change)
EXPIRED=$(issue iss2 EXPIREE "$past_from" "$past_until" first "$past_filed")
FOREIGN=$(issue iss3 ETRANGERE "$from" "$later" first)
EARLY=$(issue iss1 PREMIERE "$from" "$later" first)
expect_eq "${#VALID}${#REVOKED}${#SUSPENDED}${#EXPIRED}${#FOREIGN}${#EARLY}" "242424242424" "six attestations issued"
# FR-75's event 1, before the service starts: the service starts from a snapshot at seq 1.
expect_rc 0 "suspend one before the service starts" "$I" suspend --dir iss1 --id "$EARLY"

# --- the relying parties' API keys (api-verifier keys add prints the key once)
serve_opts=(--anonymous-rate 0)   # the checker sends many anonymous requests: rate limits are checked with a key
keys_json='{}'; limited_key=""
if "$V" --help 2>&1 | grep -q 'keys add'; then
  key() { "$V" keys add --data data --org "$1" --profile "$2" ${3:+--rate "$3"} 2>>keys.err; }
  K_SOCIAL=$(key "CAF de Seine-Saint-Denis" social); K_EMPLOYER=$(key "Boulangerie Dupont" employer)
  K_BANK=$(key "Banque du Coin" bank); K_LANDLORD=$(key "Office HLM" landlord); limited_key=$(key "Agence limitée" bank 1)
  expect_eq "$(printf '%s\n' "$K_SOCIAL" "$K_EMPLOYER" "$K_BANK" "$K_LANDLORD" "$limited_key" | grep -cE '^apik_[A-Za-z0-9_-]{43}$')" 5 "five API keys made"
  keys_json=$(printf '{"social": "%s", "employer": "%s", "bank": "%s", "landlord": "%s"}' "$K_SOCIAL" "$K_EMPLOYER" "$K_BANK" "$K_LANDLORD")
else
  bad "api-verifier keys add exists (profiles other than anonymous cannot be checked)"
fi

# --- the services: one synced, one that cannot reach any trust list
start iss1 "$I" serve --dir iss1 --listen "127.0.0.1:$P1" --heartbeat 1
start iss2 "$I" serve --dir iss2 --listen "127.0.0.1:$P2" --heartbeat 1
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 "${serve_opts[@]}"
start unready "$V" serve --root fed/root.pub --data data-unready --trust-url "http://127.0.0.1:$PDEAD/trust/v1/trust-list.cose" \
  --listen "127.0.0.1:$PU" --sync-interval 1 "${serve_opts[@]}"
mirrored() { curl -sf "http://127.0.0.1:$PV$1" -o /dev/null; }
if wait_for 30 mirrored /feed/v1/FR-75/checkpoint && wait_for 10 mirrored /feed/v1/FR-13/checkpoint; then
  ok "the service synced both feeds"
else
  bad "the service synced both feeds"; sed 's/^/     | /' "$TMP/ver.log" | tail -5
fi
# Events 2 and 3 after that first sync, published together while FR-75's feed
# is stopped: one segment that starts at 2 and holds seq 3, which the service
# fetches (a mirror serves the segments since the snapshot it started from).
stop iss1
expect_rc 0 "revoke" "$I" revoke --dir iss1 --id "$REVOKED" --reason fraud
expect_rc 0 "suspend" "$I" suspend --dir iss1 --id "$SUSPENDED"
expect_rc 0 "publish FR-75's feed" "$I" publish --dir iss1
start iss1 "$I" serve --dir iss1 --listen "127.0.0.1:$P1" --heartbeat 1
if wait_for 30 mirrored /feed/v1/FR-75/segments/2; then ok "the service mirrors FR-75's new segment"; else bad "the service mirrors FR-75's new segment"; sed 's/^/     | /' "$TMP/ver.log" | tail -5; fi
if wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$PU/"; then ok "the unready service answers"; else bad "the unready service answers"; fi

# --- fixtures: QR texts, images, keys
python3 - "out-iss1/$VALID.png" blank.png <<'EOF'
import struct, sys, zlib
# a white 200 x 200 grey-scale PNG: an image without any QR code
w = h = 200
raw = b"".join(b"\0" + b"\xff" * w for _ in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
EOF
if command -v ffmpeg >/dev/null 2>&1 && ffmpeg -loglevel error -y -i "out-iss1/$VALID.png" -q:v 2 valid.jpg 2>/dev/null; then
  ok "JPEG image made"
else
  bad "JPEG image made (ffmpeg, in TEST_PKGS)"
fi
valid_text=$(cat "out-iss1/$VALID.txt")
# one character of the signed payload changed: no longer the signed bytes
tampered="${valid_text:0:300}$( [ "${valid_text:300:1}" = A ] && echo B || echo A )${valid_text:301}"
python3 - fixtures.json <<EOF
import json, sys
t = lambda p: open(p).read().strip()
json.dump({
  "payloads": {
    "valid": t("out-iss1/$VALID.txt"), "revoked": t("out-iss1/$REVOKED.txt"),
    "suspended": t("out-iss1/$SUSPENDED.txt"), "expired": t("out-iss2/$EXPIRED.txt"),
    "unknown_issuer": t("out-iss3/$FOREIGN.txt"), "tampered": "$tampered", "not_api": "hello, world",
  },
  "images": {"png": "out-iss1/$VALID.png", "jpeg": "valid.jpg", "blank": "blank.png"},
  "keys": $keys_json,
  "limited_key": "$limited_key",
  "issuers": ["FR-75", "FR-13"],
  "root_public_key": t("fed/root.pub"),
  "trust_list": "tl.cose",
  "segment": {"iss": "FR-75", "first": 2, "inside": 3},
}, open(sys.argv[1], "w"), ensure_ascii=False)
EOF

# --- the checker; its lines count as this script's checks
python3 "$ROOT_DIR/tests/cli/openapi_check.py" --doc "${OPENAPI_DOC:-$ROOT_DIR/docs/openapi.yaml}" --fixtures fixtures.json \
  --base "http://127.0.0.1:$PV" --unready-base "http://127.0.0.1:$PU" >check.out 2>check.err
rc=$?
while IFS= read -r line; do
  case "$line" in
    "ok   "*) ok "${line#ok   }" ;;
    "FAIL "*) bad "${line#FAIL }" ;;
    *) echo "$line" ;;
  esac
done <check.out
if [ "$rc" -gt 1 ] || grep -q Traceback check.err; then bad "the checker ran to its end (exit $rc)"; sed 's/^/     | /' check.err | tail -15; fi

# --- the services are still up after all that, and stop cleanly
# shellcheck disable=SC2154 # PID_ver is set by start (lib.sh)
if kill -0 "$PID_ver" 2>/dev/null; then ok "the service survived the checks"; else bad "the service survived the checks"; tail -5 "$TMP/ver.log"; fi
stop ver; stop unready; stop iss1; stop iss2
expect_no_grep "VALIDE|ANNULEE|Awa Marie|7503123456" "$TMP/ver.log" "the service logged no personal data"
expect_no_grep "Sanitizer|runtime error" "$TMP/ver.log" "no sanitizer report from the service"
expect_no_grep "Sanitizer|runtime error" "$TMP/unready.log" "nor from the one without a trust list"

finish
