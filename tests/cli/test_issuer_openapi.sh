#!/bin/bash
# The issuance API of `api-issuer serve --admin-listen` against its OpenAPI
# document (docs/issuer-openapi.yaml), both ways, with the checker of the
# verifier's document (tests/cli/issuer_openapi_check.py uses
# tests/cli/openapi_check.py): every documented operation called with a
# client of each role, each answer validated; undocumented paths and methods
# are 404 and 405 problems. OPENAPI_DOC=FILE checks another document.
source "$(dirname "$0")/lib.sh"
I="$BIN/api-issuer"
today=$(date +%F)
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
R=$("$I" clients add --dir iss --name lecteur --role read --rate 0 2>/dev/null)
W=$("$I" clients add --dir iss --name emission --role issue --rate 0 2>/dev/null)
M=$("$I" clients add --dir iss --name gestion --role manage --rate 0 2>/dev/null)
PF=$(free_port); PA=$(free_port)
start srv "$I" serve --dir iss --listen "127.0.0.1:$PF" --admin-listen "127.0.0.1:$PA" --heartbeat 1
up() { curl -s -o /dev/null "http://127.0.0.1:$PA/api/v1/attestations"; }
if wait_for 30 up; then ok "serve answers on the admin listener"; else bad "serve answers on the admin listener"; tail -5 "$TMP/srv.log"; fi
python3 - fixtures.json "$R" "$W" "$M" "$(date -d "$today -5 days" +%F)" "$(date -d "$today +60 days" +%F)" \
  "$(date -d "$today -40 days" +%F)" "$(date -d "$today +100 days" +%F)" <<'PY'
import json, sys
out, r, w, m, frm, until, filed, ext = sys.argv[1:]
json.dump({"tokens": {"read": r, "issue": w, "manage": m}, "extend_until": ext,
           "holder": {"family_name": "DUPONT", "given_names": "Awa Marie", "birth_date": "1990-04", "nationality": "SEN",
                      "foreign_national_number": "7503123456", "application": "first",
                      "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": True,
                      "filed_on": filed, "valid_from": frm, "valid_until": until}}, open(out, "w"), ensure_ascii=False)
PY
python3 "$ROOT_DIR/tests/cli/issuer_openapi_check.py" --doc "${OPENAPI_DOC:-$ROOT_DIR/docs/issuer-openapi.yaml}" \
  --fixtures fixtures.json --base "http://127.0.0.1:$PA" >check.out 2>check.err
rc=$?
while IFS= read -r line; do
  case "$line" in
    "ok   "*) ok "${line#ok   }" ;;
    "FAIL "*) bad "${line#FAIL }" ;;
    *) echo "$line" ;;
  esac
done <check.out
if [ "$rc" -gt 1 ] || grep -q Traceback check.err; then bad "the checker ran to its end (exit $rc)"; sed 's/^/     | /' check.err | tail -15; fi
# shellcheck disable=SC2154 # PID_srv is set by start (lib.sh)
if kill -0 "$PID_srv" 2>/dev/null; then ok "serve survived the checks"; else bad "serve survived the checks"; fi
stop srv
expect_no_grep "DUPONT|Awa Marie|7503123456" "$TMP/srv.log" "serve logged no personal data"
expect_no_grep "Sanitizer|runtime error" "$TMP/srv.log" "no sanitizer report from serve"
finish
