#!/bin/bash
# `make bench`: prints each figure with the command that produced it.
# Figures are measured on this machine, in one run, beside their references.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
BIN=${BIN:-bin}   # the tools' folder, as for tests/cli
export BIN
echo "== $BUILD/bench/bench_format 10000 3"
"$BUILD/bench/bench_format" 10000 3

echo
echo "== $BUILD/bench/bench_receipt 2000 2 (signed receipts: made from the report, and checked)"
"$BUILD/bench/bench_receipt" 2000 2

echo
echo "== $BUILD/bench/bench_signer 2   (signatures through the signer: a SoftHSM2 token beside a file key)"
"$BUILD/bench/bench_signer" 2

echo
echo "== $BUILD/bench/bench_feed"
"$BUILD/bench/bench_feed"

echo
echo "== $BUILD/bench/bench_watch (followed attestations: 1,000,000 across 10 keys, a sync of 100,000 events)"
"$BUILD/bench/bench_watch"

echo
echo "== issuance through the command line: a CSV of 2,000 holders, PNG only, then with the PDF attestation"
echo "   (one process, one core: attestations/s is a figure per core; CPU s is the process's user + system time)"
mkdir -p build
TMP=$(mktemp -d "$PWD/build/bench.XXXXXX")  # not /tmp: file creation there is slow on some machines
trap 'rm -rf "$TMP"' EXIT
export API_PASSPHRASE=bench
"$BIN/api-issuer" init --dir "$TMP/iss" --id FR-75 --name "Préfecture de police" --kdf interactive >/dev/null
python3 - "$TMP/batch.csv" <<'PY'
import sys
rows = ["family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"]
for i in range(2000):
    rows.append(f"NOM{i},Prénom,1990-04-12,SEN,75{i:08d},renewal,carte de séjour pluriannuelle salarié,true,2026-09-01,2026-09-15,2026-12-15,7501234567,2026-09-30")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
for formats in png png,svg pdf png,svg,pdf; do
  python3 - "$BIN/api-issuer" "$TMP" "$formats" <<'PY'
import resource, subprocess, sys, time
tool, tmp, formats = sys.argv[1:]
t0 = time.monotonic()
subprocess.run([tool, "issue", "--dir", f"{tmp}/iss", "--csv", f"{tmp}/batch.csv", "--out", f"{tmp}/out-{formats}",
                "--formats", formats], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
print(f"bin/api-issuer issue --csv (2000 rows) --formats {formats}: {wall:.2f} s, {2000/wall:.0f} attestations/s; "
      f"CPU {cpu:.2f} s, {2000/cpu:.0f} attestations per CPU second (files written and fsynced; includes the key derivation)")
PY
done
echo "   reference: at least 300 attestations/s per core with the PDF (issue 10)"

MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -r "$MODULE" ]; then
  echo
  echo "== the same issuance (2,000 holders, PNG only) with the key in a SoftHSM2 token (PKCS#11), beside the file key"
  echo "   (two signatures an attestation, the full code and the holder's card, each made in the token and verified)"
  mkdir -p "$TMP/tokens"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$TMP" >"$TMP/softhsm2.conf"
  export SOFTHSM2_CONF="$TMP/softhsm2.conf" API_PKCS11_PIN=123456
  softhsm2-util --init-token --free --label bench --pin 123456 --so-pin 654321 >/dev/null
  "$BIN/api-issuer" init --dir "$TMP/iss-token" --id FR-13 --name "Préfecture" --pkcs11-module "$MODULE" --token-label bench >/dev/null
  for dir in iss iss-token; do
    python3 - "$BIN/api-issuer" "$TMP" "$dir" <<'PY'
import subprocess, sys, time
tool, tmp, d = sys.argv[1:]
t0 = time.monotonic()
subprocess.run([tool, "issue", "--dir", f"{tmp}/{d}", "--csv", f"{tmp}/batch.csv", "--out", f"{tmp}/out-k-{d}",
                "--formats", "png"], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t0
what = "key in the token" if d == "iss-token" else "file key (reference)"
print(f"bin/api-issuer issue --csv (2000 rows) --formats png, {what}: {wall:.2f} s, {2000/wall:.0f} attestations/s")
PY
  done
  unset API_PKCS11_PIN
fi

echo
echo "== tests/bench/bench_issue.sh (issuance through the admin API at 16 connections, beside the command line)"
tests/bench/bench_issue.sh

echo
echo "== $BUILD/bench/bench_photos (phone photos of a printed attestation page, tests/photos; one core)"
# 200 photos of four attestations issued here (seed 1), then 40 of exactly 2,000 x 2,800 px (seed 2).
BIN="$BIN" tests/photos/make_set.sh "$TMP/photos" 200 1
ONE_CORE=""
command -v taskset >/dev/null && ONE_CORE="taskset -c 0"
$ONE_CORE "$BUILD/bench/bench_photos" "$TMP/photos/photos" "200 photos, page 1,000-2,500 px wide"
# shellcheck disable=SC2046
tests/photos/gen_photos.py --out "$TMP/photos/2000x2800" --count 40 --seed 2 --size 2000x2800 \
  --qr-text $(ls "$TMP/photos/out/"*.txt | grep -v -- '-card\.txt$') >/dev/null
$ONE_CORE "$BUILD/bench/bench_photos" "$TMP/photos/2000x2800" "40 photos of 2,000 x 2,800 px"
echo "   reference: at least 98 % read; median under 150 ms for a 2,000 x 2,800 photo on one core (issue 11);"
echo "   before: zbar alone, one scan (the server's reader until then)"

echo
echo "== tests/bench/bench_http.sh (the service under load with wrk)"
tests/bench/bench_http.sh "$BUILD"

echo
echo "== node tests/bench/bench_web.mjs (the checker on a throttled phone, in Chromium)"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "skipped: no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"
elif ! command -v node >/dev/null || [ ! -d web/node_modules/playwright-core ] || [ ! -f web/dist/check/index.html ]; then
  echo "skipped: node, web/node_modules or web/dist is missing (make builds web/dist)"
else
  node tests/bench/bench_web.mjs
fi
