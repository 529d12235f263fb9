#!/bin/bash
# PDF documents: `api-verifier verify --file` and the service's /api/v1/verify
# and /api/v1/verify/batch with PDF files made by tests/cli/pdfmake.py: one
# attestation, one on page 3 of 5, two on one page, the codes of one
# attestation (full code, holder's card, holder link) reported once; and the
# hostile files of issue 11 (a page of 100,000 x 100,000 points, a content
# stream that never ends, forms that loop a billion times, a decompression
# bomb, a truncated file, an encrypted file, 10,000 pages), each refused with
# its message or problem, while other requests are served. The renderers
# this test causes are found by their pids (children of the processes it
# started) and must be gone, not even zombies, once the answer is given; the
# renderer is seen confined (seccomp, limits) while it draws; /metrics counts
# the documents and the rendering time.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"; R="$BIN/api-pdfrender"
MK=(python3 "$ROOT_DIR/tests/cli/pdfmake.py")
TIMEOUT=3  # --render-timeout of the command line here, in seconds
STIMEOUT=8 # and of the service (room for the requests answered while two renderers hang)

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
holder_json() { # family
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1988-03-04", "nationality": "CIV",
 "foreign_national_number": "7512340987", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$later"
}
# issue FAMILY: one attestation with its card and its holder link (and their QR codes); prints its id.
issue() {
  holder_json "$1" >"h-$1.json"
  "$I" issue --dir iss --json "h-$1.json" --out out --formats png --holder-base https://verif.example/holder \
    --holder-qr 2>>issue.log | awk 'NR==1 {print $1}'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# children_of PID: "pid comm state" of each child of PID, read from /proc (no procps needed).
children_of() {
  local f pid comm state ppid rest
  for f in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest <"$f" 2>/dev/null || continue
    [ "$ppid" = "$1" ] && echo "$pid $comm $state"
  done
}
# renderers_of PID: the pids of the api-pdfrender children of PID.
renderers_of() { children_of "$1" | awk '$2 == "(api-pdfrender)" {print $1}'; }
# gone PID...: none of the processes exists any more (a zombie still exists).
gone() { local p; for p in "$@"; do [ -e "/proc/$p" ] && return 1; done; return 0; }
# wait_renderer PID: waits (5 s at most) until PID has a renderer child, and prints its pid.
wait_renderer() {
  local i pids
  for i in $(seq 50); do
    pids=$(renderers_of "$1")
    [ -n "$pids" ] && { echo "$pids"; return 0; }
    sleep 0.1
  done
  return 1
}

# --- a federation with one préfecture serving its feed; three attestations
P1=$(free_port); PV=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
A=$(issue TRAORE); B=$(issue KONE); C=$(issue DIOP)
expect_eq "${#A}${#B}${#C}" 242424 "three attestations issued"
expect_rc 0 "the holder's card as a QR code" "$I" show --file "out/$A-card.txt" --png card-A.png
VR=(--root fed/root.pub --trust tl.cose)
# The issuer's own PDF attestations (issuer/pdf.c): one, with its holder link, and a batch of two, one a page.
holder_json NDIAYE >h-NDIAYE.json
expect_rc 0 "the issuer writes an attestation as a PDF" "$I" issue --dir iss --json h-NDIAYE.json --out outpdf \
  --formats pdf --holder-base https://verif.example/holder
D=$(awk 'NR==1 {print $1}' "$TMP/.stdout")
{
  echo "family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"
  for n in SOW FALL; do echo "$n,Binta,1991-02-03,SEN,7512340987,first,carte de séjour temporaire,true,$filed,$from,$later,,"; done
} >two.csv
expect_rc 0 "and a batch of two as one PDF" "$I" issue --dir iss --csv two.csv --out outpdf --formats pdf --pdf-batch issued2.pdf

# --- the documents
"${MK[@]}" page one.pdf --qr "out/$A.png" --qr card-A.png --qr "out/$A-holder.png" --text "Attestation"
"${MK[@]}" pages p3of5.pdf 5 --qr-on 3 "out/$A.png"
"${MK[@]}" page two.pdf --qr "out/$A.png" --qr "out/$B.png"
"${MK[@]}" pages mixed.pdf 5 --qr-on 4 "out/$C.png" --qr-on 2 "out/$B.png" --qr-on 2 "out/$B-holder.png"
"${MK[@]}" page blank.pdf --text "Aucun code"
"${MK[@]}" huge huge.pdf
"${MK[@]}" endless endless.pdf
"${MK[@]}" loop loop.pdf
"${MK[@]}" bomb bomb.pdf
"${MK[@]}" encrypted encrypted.pdf
"${MK[@]}" truncate one.pdf truncated.pdf 1200
"${MK[@]}" pages many.pdf 10000
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"%PDF-1.4\n%" + b"x" * (3 << 20) + b"\n")' big.pdf
n=$(ls one.pdf p3of5.pdf two.pdf mixed.pdf blank.pdf huge.pdf endless.pdf loop.pdf bomb.pdf encrypted.pdf truncated.pdf many.pdf big.pdf 2>/dev/null | wc -l)
expect_eq "$n" 13 "thirteen PDF files made"
expect_eq "$(pdfinfo one.pdf 2>/dev/null | awk '/^Pages:/ {print $2}')" 1 "pdfinfo, the referee, reads one.pdf"
expect_eq "$(pdfinfo many.pdf 2>/dev/null | awk '/^Pages:/ {print $2}')" 10000 "and counts 10,000 pages in many.pdf"

# --- the renderer on its own
"$R" --dpi 10 </dev/null >/dev/null 2>&1
expect_eq "$?" 2 "the renderer refuses a bad argument (exit 2)"
"$R" <encrypted.pdf | od -An -tx1 -v | tr -d ' \n' >enc.hex
expect_eq "$(cut -c1-16 enc.hex)" "4150495044465231" "the renderer's output starts with its magic (APIPDFR1)"
expect_eq "$(tail -c 32 enc.hex | cut -c1-16)" "4641494c00000002" "an encrypted PDF: FAIL, encrypted (verifier/pdfframe.h)"
expect_eq "$(sh -c '"$0" <one.pdf >render.out; echo $?' "$R" 2>/dev/null)" 153 "the renderer cannot write a file, not even its output redirected to one (RLIMIT_FSIZE 0: SIGXFSZ)"

# --- the command line
cli() { "$V" verify "${VR[@]}" "$@"; }
expect_rc 0 "a PDF with one attestation: exit 0" cli --file one.pdf
expect_grep "TRAORE" "$TMP/.stdout" "its report names the holder"
cli --payload "$(cat "out/$A.txt")" >one-payload.txt 2>&1
cli --file one.pdf >one-pdf.txt 2>&1
expect_eq "$(cmp -s one-payload.txt one-pdf.txt && echo same)" same \
  "one attestation in a PDF prints as its QR text does (full code, card and link: one report)"
expect_rc 0 "--image is a synonym of --file, also for a PDF" cli --image one.pdf --json
expect_eq "$(json_field "$TMP/.stdout" attestation_id)/$(json_field "$TMP/.stdout" presentation)" "$A/full" \
  "the report is the full code's"
expect_rc 0 "an attestation on page 3 of 5" cli --file p3of5.pdf --json
expect_eq "$(json_field "$TMP/.stdout" attestation_id)" "$A" "found on page 3"
expect_rc 0 "two attestations on one page: exit 0 (both valid)" cli --file two.pdf --json
# (the order within a page is the reader's: pages are in order, codes of one page in any)
expect_eq "$(python3 -c 'import json,sys; print(" ".join(sorted("%s@%d" % (r["attestation_id"], r["page"]) for r in json.load(open(sys.argv[1])))))' "$TMP/.stdout")" \
  "$(printf '%s\n' "$A@1" "$B@1" | sort | tr '\n' ' ' | sed 's/ $//')" "--json: an array of reports, each with its page"
expect_rc 0 "two attestations on pages 2 and 4 of 5 (a code and a holder link on page 2)" cli --file mixed.pdf
expect_grep "^2 attestations dans ce document / 2 attestations in this document$" "$TMP/.stdout" "the text says how many"
expect_eq "$(grep -E '^Page [0-9]+$' "$TMP/.stdout" | tr '\n' ' ')" "Page 2 Page 4 " "then each report under its page, in page order"
expect_eq "$(grep -c 'Résultat / Result' "$TMP/.stdout")" 2 "two reports, not three"

expect_rc 0 "the issuer's PDF attestation: exit 0" cli --file "outpdf/$D.pdf" --json
expect_eq "$(json_field "$TMP/.stdout" attestation_id)/$(json_field "$TMP/.stdout" presentation)" "$D/full" \
  "its full code and its holder link are one attestation, the full code's report"
expect_rc 0 "the issuer's batch PDF: exit 0" cli --file issued2.pdf --json
expect_eq "$(python3 -c 'import json,sys; print(" ".join("%s@%d" % (r["holder"]["family_name"], r["page"]) for r in json.load(open(sys.argv[1]))))' "$TMP/.stdout")" \
  "SOW@1 FALL@2" "each of its attestations with its page"

# refused documents: exit 2, a message, and in time
cli_refused() { # FILE MESSAGE WHAT
  local t0 t1
  t0=$(now_ms)
  expect_rc 2 "$3: exit 2" cli --file "$1" --render-timeout "$TIMEOUT"
  t1=$(now_ms)
  expect_grep "$2" "$TMP/.stderr" "$3: said"
  # (the bound shows the renderer given up, not a speed: an endless stream would draw for minutes)
  if [ $((t1 - t0)) -le $(( (TIMEOUT + 10) * 1000 )) ]; then ok "$3: given up in time ($((t1 - t0)) ms)"; else bad "$3: took $((t1 - t0)) ms"; fi
}
cli_refused huge.pdf "page 1 of the PDF is larger than is drawn" "a page of 100,000 x 100,000 points"
cli_refused endless.pdf "took longer to draw than the $TIMEOUT s allowed" "a content stream that never ends"
cli_refused loop.pdf "took longer to draw" "forms that draw forms a billion times"
cli_refused bomb.pdf "no QR code was found|could not be drawn|took longer" "a decompression bomb (2 GB of pixels from 2 MB)"
cli_refused encrypted.pdf "protected by a password" "an encrypted PDF"
cli_refused truncated.pdf "not a PDF that can be read" "a truncated PDF"
cli_refused many.pdf "the PDF has 10000 pages; at most 10 are read" "10,000 pages"
cli_refused blank.pdf "no QR code was found on the pages of the PDF" "a PDF without a code"
expect_rc 2 "a renderer that cannot be started: exit 2" cli --file one.pdf --pdf-renderer "$TMP/nowhere"
expect_grep "renderer cannot be started" "$TMP/.stderr" "and said"
printf 'not a document' >junk.bin
expect_rc 2 "a file that is neither PNG, JPEG nor PDF: exit 2" cli --file junk.bin
expect_rc 2 "--render-timeout 0 is refused" cli --file one.pdf --render-timeout 0

# The command line's renderer, while it hangs: confined, then killed at the deadline and reaped.
"$V" verify "${VR[@]}" --file endless.pdf --render-timeout "$TIMEOUT" >cli-endless.out 2>&1 &
cli_pid=$!
rpid=$(wait_renderer "$cli_pid")
if [ -n "$rpid" ]; then
  ok "the command line runs the renderer as its child (pid $rpid)"
  # (the filter is loaded once the input is read: wait for it)
  wait_for 5 grep -qE '^Seccomp:[[:space:]]+2$' "/proc/$rpid/status"
  expect_grep '^Seccomp:[[:space:]]+2$' "/proc/$rpid/status" "the renderer draws under a seccomp filter"
  expect_grep '^Max address space +1073741824 ' "/proc/$rpid/limits" "its address space is limited (1 GiB)"
  expect_grep '^Max file size +0 ' "/proc/$rpid/limits" "it cannot write a file"
  expect_grep '^Max processes +0 ' "/proc/$rpid/limits" "nor start a process"
  expect_grep '^Max core file size +0 ' "/proc/$rpid/limits" "nor leave a core file"
  expect_eq "$(tr '\0' '\n' <"/proc/$rpid/environ" | sort | tr '\n' ' ')" "LC_ALL=C PATH=/usr/bin:/bin " \
    "its environment is two fixed variables"
  expect_eq "$(readlink "/proc/$rpid/cwd")" / "its working folder is /"
else
  bad "the command line runs the renderer as its child"
fi
wait "$cli_pid"
expect_eq "$?" 2 "the hanging PDF: exit 2"
if [ -n "$rpid" ] && gone $rpid; then ok "its renderer is gone (killed and reaped)"; else bad "its renderer $rpid is still there"; fi

# --- the service
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
start ver "$V" serve "${VR[@]}" --data data --listen "127.0.0.1:$PV" --sync-interval 1 --anonymous-rate 0 \
  --render-timeout "$STIMEOUT" --max-image 2M --access-log access.log
req() { # NAME METHOD PATH [curl args...]: NAME.h, NAME.b; prints the status
  local name=$1 method=$2 path=$3; shift 3
  curl -s -m 30 -o "$name.b" -D "$name.h" -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$PV$path"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
pdf() { req "$1" POST "${3:-/api/v1/verify}" -H 'Content-Type: application/pdf' --data-binary @"$2"; }
expect_problem() { # NAME STATUS SLUG GOT WHAT
  if [ "$4" = "$2" ] && grep -qi '^content-type: application/problem+json' "$1.h" &&
     [ "$(jget "$1.b" 'd["type"]')" = "/problems/$3" ]; then
    ok "$5: $2 $3"
  else
    bad "$5: got $4 $(head -c 300 "$1.b"), wanted $2 $3"
  fi
}
fresh() { req health GET /healthz >/dev/null && [ "$(jget health.b 'd["issuers"]["FR-75"]["fresh"]')" = True ]; }
if wait_for 30 fresh; then ok "the service synced the feed"; else bad "the service synced the feed"; tail -5 ver.log | sed 's/^/     | /'; fi
PAYLOAD=$(python3 -c 'import json,sys; print(json.dumps({"payload": open(sys.argv[1]).read().strip()}))' "out/$C.txt")

expect_eq "$(pdf s-one one.pdf)/$(jget s-one.b 'd["result"]')/$(jget s-one.b 'd["holder"]["family_name"]')" "200/valid/TRAORE" \
  "application/pdf: the attestation's report"
expect_eq "$(jget s-one.b '"page" in d')" False "a single verification's report is a photo's (no page)"
expect_eq "$(req s-form POST /api/v1/verify -F "file=@one.pdf;type=application/pdf")/$(jget s-form.b 'd["result"]')" "200/valid" \
  "a PDF as a part of multipart/form-data"
expect_eq "$(req s-form2 POST /api/v1/verify -F "file=@p3of5.pdf;type=application/octet-stream")/$(jget s-form2.b 'd["holder"]["family_name"]')" \
  "200/TRAORE" "a form's part told a PDF by its first bytes (page 3 of 5)"
expect_problem s-two 422 several-attestations "$(pdf s-two two.pdf)" "two attestations sent for one verification"
expect_grep "verify/batch" s-two.b "the problem points to the batch"
expect_eq "$(pdf b-two two.pdf /api/v1/verify/batch)/$(jget b-two.b '" ".join(sorted("%s@%d" % (r["holder"]["family_name"], r["page"]) for r in d["results"]))')" \
  "200/KONE@1 TRAORE@1" "batch: two attestations on one page, each with its page"
expect_eq "$(pdf b-mixed mixed.pdf /api/v1/verify/batch)/$(jget b-mixed.b '" ".join("%s@%d:%s" % (r["holder"]["family_name"], r["page"], r["result"]) for r in d["results"])')" \
  "200/KONE@2:valid DIOP@4:valid" "batch: pages 2 and 4 in page order, a code and its holder link reported once"
expect_eq "$(pdf b-one one.pdf /api/v1/verify/batch)/$(jget b-one.b 'len(d["results"])')/$(jget b-one.b 'd["results"][0]["presentation"]')" \
  "200/1/full" "batch: full code, card and holder link on one page are one attestation"
expect_eq "$(pdf b-issued issued2.pdf /api/v1/verify/batch)/$(jget b-issued.b '" ".join("%s@%d:%s" % (r["holder"]["family_name"], r["page"], r["result"]) for r in d["results"])')" \
  "200/SOW@1:valid FALL@2:valid" "batch: the issuer's PDF of two attestations"
expect_eq "$(pdf s-issued "outpdf/$D.pdf")/$(jget s-issued.b 'd["result"]')" "200/valid" "the issuer's PDF attestation"
expect_eq "$(req b-png POST /api/v1/verify/batch -H 'Content-Type: image/png' --data-binary @"out/$B.png")/$(jget b-png.b '" ".join("%s@%d" % (r["holder"]["family_name"], r["page"]) for r in d["results"])')" \
  "200/KONE@1" "batch: a photo is a document of one page"
expect_eq "$(req b-form POST /api/v1/verify/batch -F "file=@mixed.pdf;type=application/pdf")/$(jget b-form.b 'len(d["results"])')" "200/2" \
  "batch: a PDF in a form"
expect_problem s-many 422 too-many-pages "$(pdf s-many many.pdf)" "10,000 pages"
expect_grep "10000 pages" s-many.b "the problem says how many pages"
expect_problem b-many 422 too-many-pages "$(pdf b-many many.pdf /api/v1/verify/batch)" "10,000 pages in a batch: never a silent cut"
expect_problem s-enc 422 encrypted-document "$(pdf s-enc encrypted.pdf)" "an encrypted PDF"
expect_problem s-trunc 422 unreadable-document "$(pdf s-trunc truncated.pdf)" "a truncated PDF"
expect_problem s-huge 422 unreadable-document "$(pdf s-huge huge.pdf)" "a page of 100,000 x 100,000 points"
expect_problem s-blank 422 no-qr-code "$(pdf s-blank blank.pdf)" "a PDF without a code"
expect_problem s-big 413 body-too-large "$(pdf s-big big.pdf)" "a PDF over --max-image"
got=$(pdf s-bomb bomb.pdf)
case "$got/$(jget s-bomb.b 'd["type"]')" in
  422/*/problems/unreadable-document | 422/*/problems/no-qr-code) ok "a decompression bomb: 422 ($(jget s-bomb.b 'd["type"]'))" ;;
  *) bad "a decompression bomb: got $got $(head -c 200 s-bomb.b)" ;;
esac

# Two renderers that hang, and meanwhile everyone else is answered.
for f in endless loop; do
  ( t0=$(now_ms); s=$(pdf "h-$f" "$f.pdf"); t1=$(now_ms); echo "$s $((t1 - t0)) $t1" >"h-$f.rc" ) &
  hang_pids+=($!)
done
rpids=""
for i in $(seq 50); do
  rpids=$(renderers_of "$PID_ver" | tr '\n' ' ')
  [ "$(echo $rpids | wc -w)" -ge 2 ] && break
  sleep 0.1
done
expect_eq "$(echo $rpids | wc -w)" 2 "two renderers run, children of the service"
expect_problem m-busy 503 unavailable "$(pdf m-busy one.pdf)" "a third PDF while two are drawn"
expect_eq "$(grep -i '^retry-after:' m-busy.h | tr -d '\r' | awk '{print $2}')" 1 "with Retry-After"
t0=$(now_ms)
s1=$(req m-json POST /api/v1/verify -H 'Content-Type: application/json' --data-binary "$PAYLOAD")
s2=$(req m-png POST /api/v1/verify -H 'Content-Type: image/png' --data-binary @"out/$B.png")
s3=$(req m-health GET /healthz)
t1=$(now_ms)
expect_eq "$s1/$(jget m-json.b 'd["result"]') $s2/$(jget m-png.b 'd["result"]') $s3" "200/valid 200/valid 200" \
  "meanwhile a QR text, a photo and /healthz are answered"
wait "${hang_pids[@]}"
for f in endless loop; do
  read -r st ms end <"h-$f.rc"
  if [ "$t1" -lt "$end" ]; then ok "the others answered before the $f PDF's renderer was given up ($((t1 - t0)) ms, $ms ms)"
  else bad "the others were answered after the $f PDF ($((t1 - t0)) ms)"; fi
  expect_problem "h-$f" 422 unreadable-document "$st" "the $f PDF"
  if [ "$ms" -le $(( (STIMEOUT + 2) * 1000 )) ]; then ok "the $f PDF: answered at the deadline ($ms ms)"; else bad "the $f PDF: took $ms ms"; fi
done
expect_grep "took longer to draw" h-endless.b "the problem says it took too long"
if [ -n "$rpids" ] && gone $rpids; then ok "their renderers are gone (killed by pid and reaped)"; else bad "renderers left: $rpids"; fi
expect_eq "$(children_of "$PID_ver" | awk '$3 == "Z"' | wc -l)" 0 "no zombie child of the service"
expect_eq "$(pdf s-again one.pdf)/$(jget s-again.b 'd["result"]')" "200/valid" "the next PDF is read as before"

# --- metrics
expect_eq "$(req metrics GET /metrics)" 200 "GET /metrics"
metric() { awk -v k="$1" '$1 == k {print $2}' metrics.b; }
npdf=$(metric 'api_verifier_documents_total{kind="pdf"}')
if [ "${npdf:-0}" -ge 20 ]; then ok "metrics: the PDF files read ($npdf)"; else bad "metrics: PDF files read: '${npdf:-}'"; fi
expect_eq "$(metric 'api_verifier_documents_total{kind="png"}')" 2 "metrics: the photos read (one verified, one as a batch)"
# two at least: the bomb may also reach the deadline on a slow machine
nto=$(metric 'api_verifier_pdf_render_seconds_count{outcome="timeout"}')
if [ "${nto:-0}" -ge 2 ]; then ok "metrics: the renderings killed at the deadline ($nto)"; else bad "metrics: timeouts: '${nto:-}'"; fi
expect_eq "$(metric 'api_verifier_pdf_render_seconds_bucket{outcome="timeout",le="+Inf"}')" "$nto" "metrics: a histogram of rendering time"
nok=$(metric 'api_verifier_pdf_render_seconds_count{outcome="ok"}')
if [ "${nok:-0}" -ge 8 ]; then ok "metrics: the renderings that ended well ($nok)"; else bad "metrics: renderings ok: '${nok:-}'"; fi
nref=$(metric 'api_verifier_pdf_render_seconds_count{outcome="refused"}')
if [ "${nref:-0}" -ge 4 ]; then ok "metrics: the refusals (encrypted, too many pages, too large: $nref)"; else bad "metrics: refused: '${nref:-}'"; fi
expect_grep '^# TYPE api_verifier_pdf_render_seconds histogram$' metrics.b "metrics: the histogram's TYPE line"
expect_eq "$(renderers_of "$PID_ver" | wc -l)" 0 "no renderer left running"
expect_no_grep "TRAORE|KONE|DIOP" access.log "the access log holds no name"

finish
