#!/bin/bash
# Phone photos of a printed attestation page, read by the server's reader
# (verifier/image.c: zxing-cpp at several scales, then zbar) through the two
# ways people send them: `api-verifier verify --file PHOTO` and the service's
# POST /api/v1/verify with a JPEG body.
#
# The photos are a fixed set (40, seed 11) drawn by tests/photos/gen_photos.py,
# as `make bench` draws its 200 (from attestations issued there): an A4 page
# 1,000-2,500 px wide, turned by up to 25 degrees, mild perspective, out of
# focus, dim or uneven light, JPEG 40-85. Here the code on the page is the
# published test vector `valid` (docs/vectors/attestations.json: a version-15
# renewal signed by FR-75 with a fixed key), so the photos are the same at
# every run and so is what the reader reads of them. Only the read rate is
# asserted, never a time: at least PHOTOS_MIN of the 40 (make bench measures
# the whole set and the times). A photo counts as read when its attestation is
# verified: exit 0 (valid at the vector's date) on the command line; on HTTP, a
# verdict on the vector's attestation (authentic: issuer FR-75, holder DIALLO;
# its status is unknown to a service without feeds, and the date is today's).
source "$(dirname "$0")/lib.sh"
V="$BIN/api-verifier"
COUNT=40
SEED=11
PHOTOS_MIN=38   # the set reads 40 of 40 at every run; two of margin (a reading past its deadline under load)

BIN="$BIN" "$ROOT_DIR/tests/photos/make_set.sh" set "$COUNT" "$SEED" --vector >set.log 2>&1
expect_eq "$?/$(ls set/photos/*.jpg 2>/dev/null | wc -l)" "0/$COUNT" "$COUNT photos drawn (tests/photos/make_set.sh --vector, seed $SEED)"

# The manifest as lines "file<TAB>page width<TAB>QR text".
python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["photos"]: print(p["file"], p["page_width"], p["qr"], sep="\t")' \
  set/photos/manifest.json >photos.tsv

# --- the command line
VR=(--root set/fed/root.pub --trust set/tl.cose --at "$(cat set/vector_at.txt)")
read_cli=0
missed_cli=""
while IFS=$'\t' read -r file width _; do
  if "$V" verify "${VR[@]}" --file "set/photos/$file" >/dev/null 2>&1; then
    read_cli=$((read_cli + 1))
  else
    missed_cli="$missed_cli $file(${width}px)"
  fi
done <photos.tsv
echo "     api-verifier verify --file: $read_cli/$COUNT read; missed:${missed_cli:- none}"
if [ "$read_cli" -ge "$PHOTOS_MIN" ]; then ok "verify --file reads $read_cli of $COUNT photos (at least $PHOTOS_MIN)"
else bad "verify --file reads $read_cli of $COUNT photos (at least $PHOTOS_MIN)"; fi
# --image is the same option.
first=$(awk -F'\t' 'NR==1 {print $1}' photos.tsv)
expect_eq "$("$V" verify "${VR[@]}" --image "set/photos/$first" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null)" \
  "$("$V" verify "${VR[@]}" --file "set/photos/$first" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null)" \
  "--image gives what --file gives"

# --- the service: POST /api/v1/verify with each photo as an image/jpeg body
PV=$(free_port)
start ver "$V" serve --root set/fed/root.pub --data data --trust set/tl.cose --listen "127.0.0.1:$PV" \
  --anonymous-rate 0 --sync-interval 3600
if wait_for 20 curl -sf "http://127.0.0.1:$PV/healthz"; then ok "the service answers"; else bad "the service answers"; cat "$TMP/ver.log"; fi
read_http=0
missed_http=""
while IFS=$'\t' read -r file width text; do
  code=$(curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: image/jpeg' --data-binary @"set/photos/$file" \
    "http://127.0.0.1:$PV/api/v1/verify")
  # A verdict on an attestation of FR-75: the code was read whole (a misread fails its signature).
  if [ "$code" = 200 ] && python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.get("issuer", {}).get("id") == "FR-75" and d.get("holder", {}).get("family_name") == "DIALLO"
         and d.get("result") not in ("malformed", "invalid_signature") else 1)' resp.json; then
    read_http=$((read_http + 1))
  else
    missed_http="$missed_http $file(${width}px,$code)"
  fi
done <photos.tsv
echo "     POST /api/v1/verify (image/jpeg): $read_http/$COUNT read; missed:${missed_http:- none}"
if [ "$read_http" -ge "$PHOTOS_MIN" ]; then ok "the service reads $read_http of $COUNT photos (at least $PHOTOS_MIN)"
else bad "the service reads $read_http of $COUNT photos (at least $PHOTOS_MIN)"; fi
expect_eq "$read_http" "$read_cli" "the service and the command line read the same photos"

# A photo without the code (the top of the page only) is the usual problem, not an error.
PY=python3
$PY -c 'import PIL' 2>/dev/null || PY=/usr/bin/python3   # Pillow: Debian's python3-pil
$PY -c 'import sys
from PIL import Image
im = Image.open(sys.argv[1])
im.crop((0, 0, im.size[0], im.size[1] // 5)).save(sys.argv[2], quality=70)' "set/photos/$first" nocode.jpg
code=$(curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: image/jpeg' --data-binary @nocode.jpg "http://127.0.0.1:$PV/api/v1/verify")
expect_eq "$code/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["type"])' resp.json 2>/dev/null)" \
  "422//problems/no-qr-code" "a photo without the code: 422 no-qr-code"
expect_rc 2 "verify --file of a photo without the code: exit 2" "$V" verify "${VR[@]}" --file nocode.jpg
stop ver
finish
