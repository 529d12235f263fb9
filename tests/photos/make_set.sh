#!/bin/bash
# make_set.sh: a set of phone photos of printed attestations, from attestations issued here.
#
#   BIN=bin tests/photos/make_set.sh DIR COUNT SEED [--vector]
#
# In DIR: a federation (fed/root.pub) and its trust list (tl.cose) naming one
# préfecture (iss/), four attestations it issued on 2026-09-14, valid until
# 2026-12-15 (out/<id>.txt and .png; two with a previous title, whose code is
# larger), and COUNT photos of them drawn by gen_photos.py with SEED
# (photos/photo-NNN.jpg, photos/manifest.json). Verify them with
#   api-verifier verify --root DIR/fed/root.pub --trust DIR/tl.cose --at 2026-10-01 --file PHOTO
# The photos' geometry, light and noise depend on SEED only; the codes are
# new attestations each run (new ids and keys).
#
# With --vector, nothing is issued: every photo carries the published test
# vector `valid` (docs/vectors/attestations.json: a version-15 renewal signed
# by FR-75 with a fixed key), DIR/fed/root.pub and DIR/tl.cose are the
# vectors' own, and DIR/vector_at.txt holds the date to verify at. The photos
# are then the same at every run, and so is what a reader reads of them: the
# tests use this; make bench issues.
set -eu
[ $# -eq 3 ] || [ $# -eq 4 ] && [ "${4:---vector}" = --vector ] ||
  { echo "usage: BIN=bin $0 DIR COUNT SEED [--vector]" >&2; exit 2; }
DIR=$1 COUNT=$2 SEED=$3
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${BIN:-bin}" && pwd)
mkdir -p "$DIR"
cd "$DIR"
if [ "${4:-}" = --vector ]; then
  mkdir -p fed out
  PY=python3
  "$PY" -c 'import json' 2>/dev/null || PY=/usr/bin/python3
  "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = next(x for x in d["vectors"] if x["name"] == "valid")
open("fed/root.pub", "w").write(d["root_public_key"] + "\n")
open("tl.cose", "wb").write(bytes.fromhex(d["trust_list_cose_hex"]))
open("out/valid.txt", "w").write(v["qr"] + "\n")
open("vector_at.txt", "w").write(v["at"] + "\n")' "$HERE/../../docs/vectors/attestations.json"
  "$BIN/api-issuer" show --file out/valid.txt --png out/valid.png >/dev/null
  "$HERE/gen_photos.py" --out photos --count "$COUNT" --seed "$SEED" --qr-text out/valid.txt >/dev/null
  exit 0
fi
export API_PASSPHRASE=${API_PASSPHRASE:-photos} API_NOW=2026-09-14T08:00:00Z
"$BIN/api-federation" init --dir fed --kdf interactive >/dev/null
"$BIN/api-issuer" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive >/dev/null
"$BIN/api-federation" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub >/dev/null
"$BIN/api-federation" publish --dir fed --out tl.cose --expires 365d >/dev/null
n=0
for who in "DIALLO Aminata" "NGUYEN Thi Minh Anh" "BENALI Karim" "KOWALCZYK-FERREIRA Maria Gabriela"; do
  n=$((n + 1))
  prev=""
  [ $((n % 2)) -eq 1 ] && prev=', "previous_title": {"number": "750123456'"$n"'", "expires_on": "2026-09-30"}'
  cat >"h$n.json" <<JSON
{"family_name": "${who%% *}", "given_names": "${who#* }", "birth_date": "1990-04-1$n",
 "nationality": "SEN", "foreign_national_number": "750312345$n", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "2026-09-01", "valid_from": "2026-09-15", "valid_until": "2026-12-15"$prev}
JSON
  "$BIN/api-issuer" issue --dir iss --json "h$n.json" --out out --formats png >/dev/null
done
# The attestations' own codes (not the holder's card).
texts=$(ls out/*.txt | grep -v -- '-card\.txt$' | sort)
# shellcheck disable=SC2086
"$HERE/gen_photos.py" --out photos --count "$COUNT" --seed "$SEED" --qr-text $texts >/dev/null
