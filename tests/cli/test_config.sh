#!/bin/bash
# Configuration files (--config FILE) of the three tools: a federation, an
# issuer and a verification driven by files alone, the command line winning
# over a file, and every malformed file refused with exit 2 and a message
# naming the file and the line.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

# --- the three tools driven by their files
printf '# the federation\ndir = fed\nkdf = interactive\n' >fed.conf
printf 'dir = iss\nid = FR-75\nname = Préfecture de police\nkdf = interactive\n# serve only:\nlisten = 127.0.0.1:1\n' >iss.conf
expect_rc 0 "federation init from a file" "$F" init --config fed.conf
expect_rc 0 "issuer init from a file (listen, for serve, left out)" "$I" init --config iss.conf
expect_grep "FR-75" iss/issuer.json "the file's id and name were used"
expect_rc 0 "add-issuer with the file's dir" "$F" add-issuer --config=fed.conf --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub
expect_rc 0 "publish with the file's dir" "$F" publish --config fed.conf --out tl.cose --expires 60d
cat >hold.json <<JSON
{"family_name": "Diallo", "given_names": "Awa", "birth_date": "1990-04-12",
 "nationality": "SEN", "foreign_national_number": "7503123456", "application": "renewal",
 "title_requested": "carte de séjour pluriannuelle salarié", "work_authorised": true,
 "filed_on": "2026-09-01", "valid_from": "2026-10-01", "valid_until": "2026-12-31"}
JSON
expect_rc 0 "issue with the file's dir" "$I" issue --config iss.conf --json hold.json --out out
txt=$(full_texts out | head -1)
printf 'root = fed/root.pub\ntrust = tl.cose\njson = true\nat = 2026-11-01\nlisten = 127.0.0.1:1\n' >ver.conf
expect_rc 0 "verify from a file: valid" "$V" verify --config ver.conf --payload "$(cat "$txt")"
expect_eq "$(json_field "$TMP/.stdout" result)" valid "the file's json = true gives JSON"
printf 'json = false\n' >>ver.conf
expect_rc 0 "a later line wins within the file (json = false)" "$V" verify --config ver.conf --payload "$(cat "$txt")"
expect_no_grep '^\{' "$TMP/.stdout" "json = false: a text report"

# --- the command line wins
printf 'root = /nonexistent/file-a\n' >a.conf
expect_rc 2 "the file's root is used" "$V" verify --config a.conf --trust tl.cose --payload x
expect_grep "file-a" "$TMP/.stderr" "the message names the file's root"
expect_rc 2 "the command line's root wins" "$V" verify --config a.conf --root /nonexistent/file-b --trust tl.cose --payload x
expect_grep "file-b" "$TMP/.stderr" "the message names the command line's root"
expect_no_grep "file-a" "$TMP/.stderr" "the file's root is left out"
expect_rc 2 "an abbreviated option counts as given" "$V" verify --config a.conf --ro /nonexistent/file-c --trust tl.cose --payload x
expect_grep "file-c" "$TMP/.stderr" "the abbreviation wins"
expect_rc 2 "--config twice is refused" "$V" verify --config ver.conf --config=a.conf --payload x
expect_grep "given twice" "$TMP/.stderr" "--config twice: said"

# --- malformed files: exit 2, the file and the line named
bad_file() { # name content pattern [tool command]
  printf "$2" >bad.conf
  expect_rc 2 "$1: exit 2" "${4:-$V}" "${5:-verify}" --config bad.conf
  expect_grep "$3" "$TMP/.stderr" "$1: said"
}
bad_file "unknown name" '# c\n\nlisen = 127.0.0.1:8080\n' 'bad.conf:3: unknown option .lisen.'
bad_file "no '='" 'root fed/root.pub\n' "bad.conf:1: expected 'name = value'"
bad_file "no name" '= x\n' "bad.conf:1: expected 'name = value'"
bad_file "a missing value" 'root =\n' "bad.conf:1: 'root' needs a value"
bad_file "a switch not true or false" 'json = yes\n' "bad.conf:1: 'json' is a switch"
bad_file "config in a file" 'config = other.conf\n' "bad.conf:1: 'config' cannot be written"
bad_file "a control character" 'org = a\001b\n' "bad.conf:1: the value of 'org' is not plain text"
bad_file "not UTF-8" 'org = \377\n' "bad.conf:1: the value of 'org' is not plain text"
bad_file "the issuer's unknown name" 'dirr = iss\n' 'bad.conf:1: unknown option .dirr.' "$I" list
expect_rc 2 "a missing file: exit 2" "$V" verify --config nofile.conf --payload x
expect_grep "cannot read the configuration file nofile.conf" "$TMP/.stderr" "a missing file: said"
expect_rc 2 "a folder: exit 2" "$I" list --config .
expect_grep "cannot read the configuration file \." "$TMP/.stderr" "a folder: said"
expect_rc 2 "--config without a file" "$F" list --config
head -c 70000 /dev/zero | tr '\0' '#' >big.conf
expect_rc 2 "a file over 64 KiB: exit 2" "$V" verify --config big.conf --payload x
expect_grep "larger than" "$TMP/.stderr" "a file over 64 KiB: said"

expect_rc 0 "--help mentions --config" "$V" --help
expect_grep "takes --config FILE" "$TMP/.stdout" "the usage names --config"
finish
