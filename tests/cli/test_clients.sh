#!/bin/bash
# api-issuer clients: the clients of the admin API and their tokens. add
# prints a token alone on one line and keeps only its keyed hash; list shows
# names, roles, rates, dates and states but never a token; expiry (with
# API_NOW), rotation with an overlap, revocation; bad input refused with
# exit code 2 and nothing changed; then, while serve runs, each addition,
# rotation, revocation and expiry seen at the next request of the admin API.
source "$(dirname "$0")/lib.sh"
I="$BIN/api-issuer"

jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
TOKEN_RE='^apit_[A-Za-z0-9_-]{43}$'

expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive

# --- add
export API_NOW=2026-12-01T10:00:00Z
T_ANEF=$("$I" clients add --dir iss --name "ANEF back office" --role manage 2>add.err)
expect_eq "$?" 0 "clients add"
expect_eq "$(printf '%s\n' "$T_ANEF" | wc -l)" 1 "add prints one line"
expect_eq "$(printf '%s\n' "$T_ANEF" | grep -cE "$TOKEN_RE")" 1 "the line is the token: apit_ and 43 base64url characters"
expect_grep "shown once" add.err "add says the token is shown once"
expect_grep "role manage, 100 requests a second" add.err "add says the role and the rate"
expect_grep "valid until 2027-03-01T10:00:00Z" add.err "the token lasts 90 days by default"
T_READER=$("$I" clients add --dir iss --name "tableau de bord" 2>/dev/null)
T_SHORT=$("$I" clients add --dir iss --name "batch nocturne" --role issue --expires 1d --rate 0 2>/dev/null)
T_HOURS=$("$I" clients add --dir iss --name "essai" --expires 12h --rate 5 2>/dev/null)
expect_eq "$(printf '%s\n%s\n%s\n' "$T_READER" "$T_SHORT" "$T_HOURS" | grep -cE "$TOKEN_RE")" 3 "three more tokens"
expect_eq "$(printf '%s\n' "$T_ANEF" "$T_READER" "$T_SHORT" "$T_HOURS" | sort -u | wc -l)" 4 "every token differs"
expect_eq "$(stat -c %a iss/clients)" 700 "the store's folder is 0700"
expect_eq "$(stat -c %a iss/clients/data.mdb)" 600 "the store's file is 0600"

# --- list
expect_rc 0 "clients list" "$I" clients list --dir iss
cp "$TMP/.stdout" list.txt
expect_grep '^STATE +ROLE +RATE +CREATED +EXPIRES +NAME$' list.txt "list has a header"
expect_grep '^active +manage +100 +2026-12-01T10:00:00Z +2027-03-01T10:00:00Z +ANEF back office$' list.txt \
  "list shows state, role, rate, created, expires and name"
expect_grep '^active +read +100 .* tableau de bord$' list.txt "the default role is read, the default rate 100"
expect_grep '^active +issue +0 +2026-12-01T10:00:00Z +2026-12-02T10:00:00Z +batch nocturne$' list.txt "--expires 1d, --rate 0"
expect_grep '^active +read +5 +2026-12-01T10:00:00Z +2026-12-01T22:00:00Z +essai$' list.txt "--expires 12h"
for t in "$T_ANEF" "$T_READER" "$T_SHORT"; do expect_no_grep "${t:5:20}" list.txt "list shows no token"; done
python3 - iss/clients/data.mdb "$T_ANEF" "$T_READER" "$T_SHORT" "$T_HOURS" >store.out <<'PY'
import base64, sys
db = open(sys.argv[1], "rb").read()
for t in sys.argv[2:]:
    k = t[5:]; raw = base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
    if raw in db or k.encode() in db or t.encode() in db: print("secret"); break
else: print("hashed")
PY
expect_eq "$(cat store.out)" hashed "the store holds no token, only keyed hashes"
expect_rc 0 "clients list --format json" "$I" clients list --dir iss --format json
cp "$TMP/.stdout" list.json
expect_eq "$(jget list.json 'len(d)')" 4 "four clients listed"
expect_eq "$(jget list.json '[c["name"] for c in d]')" "['ANEF back office', 'batch nocturne', 'essai', 'tableau de bord']" "in name order"
expect_eq "$(jget list.json 'sorted(d[0])')" "['created', 'expires', 'name', 'previous_token_until', 'rate', 'revoked', 'role', 'state']" \
  "the fields of a client (no token, no hash)"
expect_eq "$(jget list.json '(d[1]["role"], d[1]["rate"], d[1]["expires"], d[1]["state"], d[1]["revoked"])')" \
  "('issue', 0, '2026-12-02T10:00:00Z', 'active', None)" "a client in JSON"

# --- expiry: the state follows API_NOW
API_NOW=2026-12-02T09:59:59Z "$I" clients list --dir iss >at1.txt
expect_grep '^active +issue .* batch nocturne$' at1.txt "active one second before its end"
API_NOW=2026-12-02T10:00:00Z "$I" clients list --dir iss >at2.txt
expect_grep '^expired +issue .* batch nocturne$' at2.txt "expired at its end"
expect_grep '^expired +read .* essai$' at2.txt "the 12-hour token expired too"
expect_grep '^active +manage .* ANEF back office$' at2.txt "the others stay active"

# --- rotate
export API_NOW=2026-12-10T10:00:00Z
T_ANEF2=$("$I" clients rotate --dir iss --name "ANEF back office" 2>rotate.err)
expect_eq "$?" 0 "clients rotate"
expect_eq "$(printf '%s\n' "$T_ANEF2" | grep -cE "$TOKEN_RE")" 1 "rotate prints the new token alone"
[ "$T_ANEF2" != "$T_ANEF" ] && ok "the new token differs" || bad "the new token differs"
expect_grep 'new token valid until 2027-03-10T10:00:00Z; the previous one works until 2026-12-17T10:00:00Z' rotate.err \
  "the new token lasts the client's 90 days; the old one 7 more days by default"
"$I" clients list --dir iss --format json >rot.json
expect_eq "$(jget rot.json '[c["previous_token_until"] for c in d if c["name"] == "ANEF back office"][0]')" \
  "2026-12-17T10:00:00Z" "list shows until when the previous token works"
API_NOW=2026-12-17T10:00:00Z "$I" clients list --dir iss --format json >rot2.json
expect_eq "$(jget rot2.json '[c["previous_token_until"] for c in d if c["name"] == "ANEF back office"][0]')" \
  "None" "and no longer once the overlap ended"
expect_rc 0 "rotate --overlap 0 --expires 30d" "$I" clients rotate --dir iss --name "tableau de bord" --overlap 0 --expires 30d
expect_grep "the previous one no longer works" "$TMP/.stderr" "no overlap: the previous token stops"
expect_grep "valid until 2027-01-09T10:00:00Z" "$TMP/.stderr" "--expires sets the new token's lifetime"
expect_rc 0 "rotate --overlap 1h" "$I" clients rotate --dir iss --name "tableau de bord" --overlap 1h
expect_grep "valid until 2027-01-09T10:00:00Z; the previous one works until 2026-12-10T11:00:00Z" "$TMP/.stderr" \
  "the client keeps its new lifetime; a one-hour overlap"
expect_rc 2 "rotate an unknown client" "$I" clients rotate --dir iss --name "personne"
expect_grep 'no client named "personne"' "$TMP/.stderr" "rotate says which client is unknown"
expect_rc 2 "rotate --overlap beyond 30 days" "$I" clients rotate --dir iss --name essai --overlap 31d
expect_rc 2 "rotate --overlap in weeks" "$I" clients rotate --dir iss --name essai --overlap 1w
expect_eq "$(wc -c <"$TMP/.stdout")" 0 "a refused rotation prints no token"

# --- revoke
expect_rc 0 "clients revoke" "$I" clients revoke --dir iss --name "batch nocturne"
expect_grep 'client "batch nocturne" revoked on 2026-12-10T10:00:00Z' "$TMP/.stdout" "revoke says when"
expect_rc 0 "revoking twice is not an error" "$I" clients revoke --dir iss --name "batch nocturne"
expect_grep "already revoked on 2026-12-10T10:00:00Z" "$TMP/.stdout" "and says it was already revoked"
expect_rc 2 "revoke an unknown client" "$I" clients revoke --dir iss --name "personne"
expect_rc 2 "a revoked client gets no new token" "$I" clients rotate --dir iss --name "batch nocturne"
expect_grep "is revoked" "$TMP/.stderr" "rotate says the client is revoked"
expect_rc 2 "a revoked client's name is not given again" "$I" clients add --dir iss --name "batch nocturne"
"$I" clients list --dir iss >rev.txt
expect_grep '^revoked +issue .* batch nocturne$' rev.txt "list shows the revoked client"

# --- bad input: exit 2, nothing printed on stdout, nothing added
refuse() { # name, then the arguments after "clients add --dir iss"
  local name=$1; shift
  expect_rc 2 "$name" "$I" clients add --dir iss "$@"
  [ -s "$TMP/.stdout" ] && bad "$name: printed something" || true
}
refuse "a name already given" --name "ANEF back office"
refuse "an empty name" --name ""
refuse "a name of 65 bytes" --name "$(printf 'n%.0s' $(seq 65))"
refuse "a name with a control character" --name "$(printf 'a\tb')"
refuse "a name that is not UTF-8" --name "$(printf 'caf\xe9')"
refuse "an unknown role" --name x --role admin
refuse "a role in capitals" --name x --role READ
refuse "--expires 0d" --name x --expires 0d
refuse "--expires in weeks" --name x --expires 2w
refuse "--expires beyond 730 days" --name x --expires 731d
refuse "--expires without a unit" --name x --expires 90
refuse "--expires 0" --name x --expires 0
refuse "a negative rate" --name x --rate -1
refuse "a rate beyond a million" --name x --rate 1000001
refuse "a rate that is not a number" --name x --rate fast
refuse "--overlap is rotate's" --name x --overlap 1d
refuse "an argument left over" --name x extra
expect_rc 2 "no --name" "$I" clients add --dir iss
expect_grep "name is required" "$TMP/.stderr" "says --name is required"
expect_rc 2 "no --dir" "$I" clients list
expect_rc 2 "clients without a subcommand" "$I" clients
expect_rc 2 "an unknown subcommand" "$I" clients delete --dir iss --name x
expect_rc 4 "a folder that is not an issuer's" "$I" clients list --dir nowhere
expect_rc 0 "a name of 64 bytes" "$I" clients add --dir iss --name "$(printf 'n%.0s' $(seq 64))"
"$I" clients list --dir iss --format json >end.json
expect_eq "$(jget end.json 'len(d)')" 5 "only the one valid client was added"
expect_rc 0 "the usage names the clients commands" "$I" --help
expect_grep 'clients add +--dir ISS --name NAME \[--role read\|issue\|manage\] \[--expires 90d\] \[--rate N\]' "$TMP/.stdout" \
  "usage: clients add"
expect_grep 'clients rotate --dir ISS --name NAME \[--overlap 7d\]' "$TMP/.stdout" "usage: clients rotate"

# --- while serve runs: each change seen at the next request (serve's clock is the real one)
unset API_NOW
if "$I" serve --help 2>&1 | grep -q -- '--admin-listen'; then
  PF=$(free_port); PA=$(free_port)
  expect_rc 0 "a second issuer" "$I" init --dir live --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
  start live "$I" serve --dir live --listen "127.0.0.1:$PF" --admin-listen "127.0.0.1:$PA"
  A="http://127.0.0.1:$PA/api/v1/attestations"
  up() { curl -s -o /dev/null "$A"; }
  wait_for 30 up || { bad "serve answers on its admin listener"; tail -5 live.log; }
  get() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$A"; }
  L1=$("$I" clients add --dir live --name lecteur 2>/dev/null)
  expect_eq "$(get "$L1")" 200 "a client added while serve runs is known at once"
  L2=$("$I" clients rotate --dir live --name lecteur --overlap 1d 2>/dev/null)
  expect_eq "$(get "$L2") $(get "$L1")" "200 200" "after a rotation, the new token and (during the overlap) the old one"
  L3=$("$I" clients rotate --dir live --name lecteur --overlap 0 2>/dev/null)
  expect_eq "$(get "$L3") $(get "$L2") $(get "$L1")" "200 401 401" "a rotation without overlap: only the newest token"
  expect_rc 0 "revoke while serve runs" "$I" clients revoke --dir live --name lecteur
  expect_eq "$(get "$L3")" 401 "a revoked client's token: 401 at the next request"
  past=$(date -u -d '-3 days' +%Y-%m-%dT%H:%M:%SZ)
  OLD=$(API_NOW=$past "$I" clients add --dir live --name ancien --expires 1d 2>/dev/null)
  expect_eq "$(get "$OLD")" 401 "an expired token: 401"
  R1=$(API_NOW=$past "$I" clients add --dir live --name tournant 2>/dev/null)
  R2=$(API_NOW=$past "$I" clients rotate --dir live --name tournant --overlap 2d 2>/dev/null)
  expect_eq "$(get "$R2") $(get "$R1")" "200 401" "a previous token whose overlap ended: 401"
  expect_eq "$(get "apik_${R2:5}")" 401 "a verifier API key of the same bytes is not a client token"
  stop live
  expect_no_grep "Sanitizer|runtime error" live.log "no sanitizer report from serve"
  absent=1
  for t in "$L1" "$L2" "$L3" "$OLD" "$R1" "$R2"; do grep -qF -- "${t:5}" live.log && absent=0; done
  expect_eq "$absent" 1 "serve logs no token"
else
  bad "api-issuer serve has --admin-listen"
fi

finish
