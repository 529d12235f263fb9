#!/bin/bash
# The PDF attestation from the command line: issue writes OUT/<id>.pdf,
# --formats pdf alone, --pdf-batch, show --pdf with and without --dir, the
# verify base of init and of issue, names no font can print, and PDFs that
# cannot be written. Each PDF is read by programs that know nothing of
# ours: pdfinfo (one A4 page, metadata without personal data), pdffonts
# (every font embedded), pdftotext (names, dates, the sentences), and the
# page drawn by pdftoppm at 150 dpi read back by zbarimg to the exact QR
# text, and to the holder's link with --holder-base; the codes, 1-bit
# images, read by zbarimg and ZXingReader at 100, 150 and 300 dpi, and
# their modules sharp at 300 dpi.
source "$(dirname "$0")/lib.sh"
I="$BIN/api-issuer"

holder() { # family given [extra json]
  cat <<JSON
{"family_name": "$1", "given_names": "$2", "birth_date": "1990-04-12",
 "nationality": "SEN", "foreign_national_number": "7503123456", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "2026-09-01", "valid_from": "2026-09-15", "valid_until": "2026-12-14",
 "previous_title": {"number": "7501234567", "expires_on": "2026-09-30"}${3:-}}
JSON
}

# pdf_text FILE: the text of FILE, one line per line of the page.
pdf_text() { pdftotext -enc UTF-8 -layout "$1" - 2>/dev/null; }

# check_pdf NAME FILE: one A4 page, generic metadata, fonts embedded.
check_pdf() {
  pdfinfo "$2" >"$TMP/.info" 2>/dev/null
  expect_grep '^Pages: +1$' "$TMP/.info" "$1: one page"
  expect_grep '^Page size: +595.276 x 841.89 pts \(A4\)' "$TMP/.info" "$1: A4 portrait"
  expect_grep "^Title: +Attestation de prolongation d'instruction$" "$TMP/.info" "$1: a generic title"
  expect_no_grep '^Author:' "$TMP/.info" "$1: no author"
  expect_no_grep 'DIALLO|Aminata|7503123456' "$TMP/.info" "$1: no personal data in the metadata"
  pdffonts "$2" 2>/dev/null | tail -n +3 >"$TMP/.fonts"
  if [ -s "$TMP/.fonts" ] && ! grep -qv ' yes yes ' "$TMP/.fonts"; then ok "$1: every font embedded"; else bad "$1: every font embedded"; cat "$TMP/.fonts"; fi
}

# qr_of FILE: every code zbarimg reads on the page drawn at 150 dpi, one a line.
qr_of() {
  rm -f "$TMP"/page-*.png
  pdftoppm -r 150 -png "$1" "$TMP/page" 2>/dev/null
  zbarimg --raw -q "$TMP"/page-*.png 2>/dev/null
}

# as_nobody CMD...: CMD without root's power to write anywhere (read-only folders mean nothing to root).
as_nobody() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; else "$@"; fi
}

export API_NOW=2026-09-14T08:00:00Z

# --- init: the verify base, kept in issuer.json
expect_rc 0 "init with --verify-base" "$I" init --dir iss75 --id FR-75 --name "Préfecture de police" --kdf interactive --verify-base https://verif.example/check
expect_eq "$(json_field iss75/issuer.json verify_base)" "https://verif.example/check" "issuer.json keeps the verify base"
expect_rc 0 "init without one" "$I" init --dir iss13 --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
expect_no_grep verify_base iss13/issuer.json "issuer.json without a verify base has none"
expect_rc 2 "a verify base that is not http(s) is refused" "$I" init --dir bad1 --id FR-01 --name X --kdf interactive --verify-base ftp://x.example
expect_grep "--verify-base" "$TMP/.stderr" "the message names --verify-base"
expect_rc 2 "a verify base with a fragment is refused" "$I" init --dir bad2 --id FR-01 --name X --kdf interactive --verify-base "https://x.example/#a"
if [ ! -e bad1/issuer.key ] && [ ! -e bad2/issuer.key ]; then ok "nothing created for a bad verify base"; else bad "nothing created for a bad verify base"; fi

# --- issue: OUT/<id>.pdf beside the other files, by default
holder DIALLO Aminata >h1.json
expect_rc 0 "issue writes the PDF by default" "$I" issue --dir iss75 --json h1.json --out out
ID=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
for ext in txt png svg pdf; do
  if [ -s "out/$ID.$ext" ]; then ok "OUT/<id>.$ext written"; else bad "OUT/<id>.$ext written"; fi
done
expect_grep "$ID  out/$ID.pdf" "$TMP/.stdout" "issue names the PDF it wrote"
check_pdf "issued PDF" "out/$ID.pdf"
pdf_text "out/$ID.pdf" >page.txt
for want in "RÉPUBLIQUE" "Préfecture de police" "Attestation de prolongation d'instruction" \
  "d'une demande de titre de séjour" "DIALLO" "Aminata" "12 avril 1990" "Sénégal" "7503123456" \
  "Renouvellement" "carte de séjour pluriannuelle salarié" "1er septembre 2026" \
  "n° 7501234567, valable jusqu'au 30 septembre 2026" "Valable du 15 septembre 2026 au 14 décembre 2026" \
  "Autorise son titulaire à travailler \(CESEDA, art. R. 431-15-2\)" "R. 431-15-1" \
  "renouvelée tant que la préfecture n'a pas décidé" "a pu être prolongée depuis l'impression" \
  "Vérifiez ce document : scannez ce code avec un" "https://verif.example/check" \
  "Information, pas un conseil juridique" "délivrée le 14 septembre 2026"; do
  expect_grep "$want" page.txt "the page says: $want"
done
expect_grep "$(echo "$ID" | sed -E 's/(....)/\1 /g; s/ $//')" page.txt "the page gives the id in groups of four"
qr_of "out/$ID.pdf" >codes.txt
expect_eq "$(grep -cxF "$(cat "out/$ID.txt")" codes.txt)" 1 "zbarimg reads the page at 150 dpi to the exact QR text"

# The same QR text gives the same PDF: show --pdf --dir draws the issued file again, byte for byte.
expect_rc 0 "show --pdf --dir" "$I" show --file "out/$ID.txt" --pdf again.pdf --dir iss75
if cmp -s again.pdf "out/$ID.pdf"; then ok "show --pdf --dir gives the issued bytes"; else bad "show --pdf --dir gives the issued bytes"; fi
expect_rc 0 "show --pdf without --dir" "$I" show --file "out/$ID.txt" --pdf bare.pdf
check_pdf "shown PDF" bare.pdf
pdf_text bare.pdf >bare.txt
expect_grep "FR-75" bare.txt "without --dir, the issuer id"
expect_grep "scannez ce code avec un téléphone\.$" bare.txt "without a verify base the sentence stops after téléphone"
expect_no_grep "allez sur" bare.txt "and gives no address"
expect_grep "DIALLO" bare.txt "the holder is there"
expect_rc 2 "show --pdf --dir of another issuer is refused" "$I" show --file "out/$ID.txt" --pdf other.pdf --dir iss13
if [ ! -e other.pdf ]; then ok "and writes nothing"; else bad "and writes nothing"; fi
cp -r iss75 iss75r
expect_rc 0 "rotate the key of a copy of FR-75" "$I" rotate-key --dir iss75r --kdf interactive
expect_rc 0 "show --pdf --dir after a key rotation (the former key is kept)" "$I" show --file "out/$ID.txt" --pdf rotated.pdf --dir iss75r
if cmp -s rotated.pdf "out/$ID.pdf"; then ok "the same page"; else bad "the same page"; fi
expect_rc 2 "show --dir without --pdf" "$I" show --file "out/$ID.txt" --dir iss75
echo "API1:NOTBASE45~~" >junk.txt
expect_rc 2 "show --pdf of a text that is not an attestation" "$I" show --file junk.txt --pdf junk.pdf
"$I" issue --dir iss75 --json h1.json --out outc --formats png >/dev/null 2>&1
CARD=$(ls outc/*-card.txt 2>/dev/null | head -1)
if [ -n "$CARD" ]; then
  expect_rc 2 "show --pdf of a holder's card is refused (not the full attestation)" "$I" show --file "$CARD" --pdf card.pdf
fi

# --- --formats pdf alone; --verify-base overrides issuer.json's; --holder-base adds the card's code
expect_rc 0 "issue --formats pdf" "$I" issue --dir iss75 --json h1.json --out outp --formats pdf --verify-base https://autre.example/v --holder-base https://verif.example/holder
IDP=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
if [ -s "outp/$IDP.pdf" ] && [ ! -e "outp/$IDP.png" ] && [ ! -e "outp/$IDP.svg" ]; then ok "only the PDF of the images"; else bad "only the PDF of the images"; fi
pdf_text "outp/$IDP.pdf" >p.txt
expect_grep "https://autre.example/v" p.txt "--verify-base overrides issuer.json's"
expect_no_grep "https://verif.example/check" p.txt "issuer.json's address is not printed then"
expect_grep "Carte du titulaire" p.txt "the holder's card code is captioned"
qr_of "outp/$IDP.pdf" >codes.txt
expect_eq "$(grep -cxF "$(cat "outp/$IDP.txt")" codes.txt)" 1 "zbarimg reads the full code"
expect_eq "$(grep -cxF "$(cat "outp/$IDP.url")" codes.txt)" 1 "zbarimg reads the holder's link"

# --- the codes are 1-bit images drawn without interpolation: two decoders read them at 100, 150 and 300 dpi,
# and at 300 dpi the main code's modules are pure black and white, with no pixel blurred between them
expect_eq "$(grep -ac '/ImageMask true' "outp/$IDP.pdf")" 2 "both codes are 1-bit image masks"
expect_eq "$(grep -ac '/Interpolate false' "outp/$IDP.pdf")" 2 "both say /Interpolate false"
for dpi in 100 150 300; do
  rm -f "$TMP"/res-*.png
  pdftoppm -r "$dpi" -png "outp/$IDP.pdf" "$TMP/res" 2>/dev/null
  zbarimg --raw -q "$TMP"/res-*.png >codes.txt 2>/dev/null
  expect_eq "$(grep -cxF "$(cat "outp/$IDP.txt")" codes.txt)" 1 "zbarimg reads the full code at $dpi dpi"
  expect_eq "$(grep -cxF "$(cat "outp/$IDP.url")" codes.txt)" 1 "zbarimg reads the holder's link at $dpi dpi"
  ZXingReader -format QRCode -1 "$TMP"/res-*.png 2>/dev/null | sed -n 's/^[^ ]* QRCode "\(.*\)"$/\1/p' >codes.txt
  expect_eq "$(grep -cxF "$(cat "outp/$IDP.txt")" codes.txt)" 1 "ZXingReader reads the full code at $dpi dpi"
  expect_eq "$(grep -cxF "$(cat "outp/$IDP.url")" codes.txt)" 1 "ZXingReader reads the holder's link at $dpi dpi"
done
# The main code's corners as ZXing found them at 300 dpi, then the gray pixels inside them.
box=$(ZXingReader -format QRCode "$TMP"/res-1.png 2>/dev/null | awk '/^Text:/ {full = index($0, "\"API1:") > 0} /^Position:/ && full {print; exit}' |
  grep -oE '[0-9]+x[0-9]+' | tr 'x' ' ' | awk '{x[NR]=$1; y[NR]=$2} END {print x[1], y[1], x[3]-x[1], y[3]-y[1]}')
read -r bx by bw bh <<<"$box"
pdftoppm -r 300 -gray -x "$bx" -y "$by" -W "$bw" -H "$bh" "outp/$IDP.pdf" "$TMP/sharp" 2>/dev/null
gray=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); w,h,m,px=d.split(maxsplit=4)[1:]; print(sum(1 for b in px if 0<b<255) if int(w)*int(h) > 400*400 else "no box")' "$TMP"/sharp-1.pgm 2>/dev/null)
expect_eq "$gray" 0 "at 300 dpi the main code is pure black and white (its edges sharp, no interpolation)"
expect_rc 2 "an unknown format is refused" "$I" issue --dir iss75 --json h1.json --out outx --formats pdf,jpg
expect_grep "png, svg and pdf" "$TMP/.stderr" "the message lists the formats"
expect_rc 2 "a bad --verify-base is refused" "$I" issue --dir iss75 --json h1.json --out outx --verify-base "javascript:alert(1)"
expect_rc 2 "a verify base over 120 bytes is refused (an address people type)" "$I" issue --dir iss75 --json h1.json --out outx --verify-base "https://verif.example/$(printf 'a%.0s' {1..100})"
if [ ! -e outx ]; then ok "nothing issued for a bad option"; else bad "nothing issued for a bad option"; fi

# --- an older issuer.json (no verify base), a CSV batch, --pdf-batch in row order, names no font can print
cat >batch.csv <<'CSV'
family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on
MARTIN,Jean-Pierre,1985-02-03,HTI,1234567890,first,carte de séjour temporaire salarié,true,2026-08-01,2026-09-01,2026-11-30,,
ΠΑΠΑΔΟΠΟΥΛΟΥ,Αικατερίνη,1992,GRC,2345678901,change,carte de séjour temporaire vie privée et familiale,previous,2026-08-01,2026-09-01,2026-11-30,,
WANG,漢字,1979-11-30,CHN,3456789012,first,carte de séjour temporaire étudiant,false,2026-08-01,2026-09-01,2026-11-30,,
عبد الرحمن,محمد أمين,1979-11-30,MAR,4567890123,renewal,carte de résident,true,2026-07-01,2026-09-01,2026-11-30,7501112223,2026-08-31
КОВАЛЕНКО,Олена,1988-06-01,UKR,5678901234,first,carte de séjour temporaire,true,2026-08-01,2026-09-01,2026-11-30,,
CSV
if [ -n "$(fc-list ':charset=6f22' 2>/dev/null)" ]; then echo "note: a CJK font is installed, 漢字 can be printed"; fi
expect_rc 1 "a batch with a name no font can print exits 1" "$I" issue --dir iss13 --csv batch.csv --out out13 --formats pdf --pdf-batch batch.pdf
expect_grep "line 4: given_names: .*no installed font" "$TMP/.stderr" "the row is refused with its line and field"
expect_grep "issued 4, rejected 1" "$TMP/.stdout" "the other rows are issued"
expect_grep "batch.pdf  4 pages" "$TMP/.stdout" "issue says the batch's pages"
expect_eq "$(ls out13/*.pdf | wc -l)" 4 "four PDFs written"
pdfinfo batch.pdf 2>/dev/null >"$TMP/.info"
expect_grep '^Pages: +4$' "$TMP/.info" "the batch has four pages"
pdf_text batch.pdf | grep -oE 'MARTIN|ΠΑΠΑΔΟΠΟΥΛΟΥ|محمد|КОВАЛЕНКО' | tr '\n' ' ' >order.txt
expect_eq "$(cat order.txt)" "MARTIN ΠΑΠΑΔΟΠΟΥΛΟΥ محمد КОВАЛЕНКО " "the pages are in row order"
expect_no_grep "allez sur" <(pdf_text batch.pdf) "an issuer.json without a verify base: no address"
expect_grep "Grèce" <(pdf_text batch.pdf) "nationalities in French (GRC)"
expect_grep "Ukraine" <(pdf_text batch.pdf) "nationalities in French (UKR)"
bad_pages=0
for f in out13/*.pdf; do
  [ "$(qr_of "$f" | grep -cxF "$(cat "${f%.pdf}.txt")")" = 1 ] || bad_pages=$((bad_pages + 1))
done
expect_eq "$bad_pages" 0 "zbarimg reads every page of the batch to its QR text"
holder WANG "漢字" >cjk.json
expect_rc 2 "one attestation with a name no font can print is refused" "$I" issue --dir iss75 --json cjk.json --out outcjk
expect_grep "given_names: .*no installed font" "$TMP/.stderr" "the message names the field"
if [ -z "$(ls outcjk 2>/dev/null)" ]; then ok "nothing issued"; else bad "nothing issued"; fi
expect_rc 0 "without a PDF the same name is issued" "$I" issue --dir iss75 --json cjk.json --out outcjk --formats png

# --- PDFs that cannot be written: a clear message, exit 4, no file and no partial file
chmod 755 "$TMP"
mkdir -p ro rw && cp -r iss75 iss-nobody && chown -R 65534:65534 rw iss-nobody ro 2>/dev/null
cp "out/$ID.txt" pub.txt && chmod 555 ro && chmod 644 pub.txt h1.json
as_nobody "$I" issue --dir iss-nobody --json h1.json --out rw --formats pdf --pdf-batch ro/batch.pdf >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 4 "--pdf-batch into a read-only folder: exit 4"
expect_grep "cannot write ro/batch.pdf" "$TMP/.stderr" "the message names the file"
expect_eq "$(ls -A ro | wc -l)" 0 "no batch file, not even a partial one"
as_nobody "$I" show --file pub.txt --pdf ro/show.pdf >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 4 "show --pdf into a read-only folder: exit 4"
expect_grep "cannot write ro/show.pdf" "$TMP/.stderr" "show says which file"
as_nobody "$I" issue --dir iss-nobody --json h1.json --out ro --formats pdf >"$TMP/.stdout" 2>"$TMP/.stderr"
expect_eq "$?" 4 "issue into a read-only folder: exit 4"
expect_grep "failed 1" "$TMP/.stdout" "the attestation is counted as failed"
expect_eq "$(ls -A ro | wc -l)" 0 "no file left in the read-only folder"
chmod 755 ro

finish
