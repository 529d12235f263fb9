#!/bin/bash
# The Debian packages (make deb): they build without changing the source
# tree, lintian finds no error, and installed they work. The install is a
# real `dpkg -i` of the three packages, in a private mount namespace whose
# /etc, /usr and /var are overlays over this machine's (changes go to this
# test's temporary folder, and vanish with it): the maintainer scripts run
# (system users, data folders), the installed programs run the command-line
# contract with their configuration files, the systemd units' own ExecStart
# lines serve the feed and /check with the installed configuration, and an
# upgrade to a newer version keeps the data, the API keys and a changed
# conffile; remove keeps the data, purge deletes the verifier's only.
# Without root or mount namespaces, the packages are unpacked (dpkg-deb -x)
# and only their programs are run. Runs once, in the release pass (make
# test skips it under the sanitizers: it builds its own programs).
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
INSIDE=""
if [ "${1:-}" = --inside ]; then INSIDE=1; DEB_DIR=$2; fi
source "$(dirname "$SELF")/lib.sh"
F=/usr/bin/api-federation; I=/usr/bin/api-issuer; V=/usr/bin/api-verifier

# as USER CMD...: runs CMD as a system user (setpriv), in a folder it can read.
as() { local u=$1; shift; (cd / && setpriv --reuid="$u" --regid="$u" --init-groups "$@"); }
# exec_start UNIT: the ExecStart line of an installed unit, as words.
exec_start() { sed -n 's/^ExecStart=//p' "/lib/systemd/system/$1"; }
payload_json() { python3 -c 'import json,sys; print(json.dumps({"payload": sys.argv[1]}))' "$1"; }
set_conf() { # FILE NAME VALUE: the line "NAME = VALUE", replacing one (or a commented one) of that name
  if grep -qE "^#?$2 = " "$1"; then sed -i -E "s|^#?$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}

inside() {
  local today from later
  today=$(date +%F); from=$(date -d "$today -10 days" +%F); later=$(date -d "$today +60 days" +%F)
  # --- install
  expect_rc 0 "dpkg -i the three packages" dpkg -i "$DEB_DIR"/api-verifier_*.deb "$DEB_DIR"/api-issuer_*.deb \
    "$DEB_DIR"/api-federation_*.deb
  [ "$fail" -eq 0 ] || { sed 's/^/     | /' "$TMP/.stderr" | tail -20; return; }
  expect_eq "$(dpkg-query -W -f='${Status}' api-verifier)" "install ok installed" "api-verifier is installed"
  for u in _api-verifier _api-issuer; do
    if getent passwd "$u" >/dev/null; then ok "the system user $u exists"; else bad "the system user $u exists"; fi
  done
  expect_eq "$(stat -c '%U %a' /var/lib/api-verifier)" "_api-verifier 700" "/var/lib/api-verifier: _api-verifier's, 0700"
  expect_eq "$(stat -c '%U %a' /var/lib/api-issuer)" "_api-issuer 700" "/var/lib/api-issuer: _api-issuer's, 0700"
  expect_eq "$(stat -c '%U %a' /var/lib/api-federation)" "root 700" "/var/lib/api-federation: root's, 0700"
  expect_eq "$(stat -c '%U %a' /var/log/api-verifier)" "_api-verifier 700" "/var/log/api-verifier: _api-verifier's, 0700"
  for c in /etc/api-verifier/api-verifier.conf /etc/api-issuer/api-issuer.conf /etc/api-federation/api-federation.conf \
           /etc/logrotate.d/api-verifier; do
    if dpkg-query -W -f='${Conffiles}\n' 'api-*' | grep -q " $c "; then ok "$c is a conffile"; else bad "$c is a conffile"; fi
  done
  for f in /usr/lib/api-verifier/api-pdfrender /usr/share/api-verifier/web/check/index.html \
           /usr/share/man/man1/api-verifier.1.gz /lib/systemd/system/api-renew-pending.timer \
           /usr/lib/sysusers.d/api-issuer.conf /usr/share/doc/api-verifier/examples/prometheus-alerts.yml; do
    if [ -e "$f" ]; then ok "installed: $f"; else bad "installed: $f"; fi
  done
  if logrotate -d /etc/logrotate.d/api-verifier >"$TMP/logrotate.out" 2>&1; then ok "logrotate reads its rules"
  else bad "logrotate reads its rules"; tail -5 "$TMP/logrotate.out" | sed 's/^/     | /'; fi

  # --- every line of the installed configuration files, the commented ones too, names an option
  local t c
  for t in api-verifier:serve api-issuer:serve api-federation:publish; do
    c=/etc/${t%%:*}/${t%%:*}.conf
    sed -E 's/^#([a-z][a-z0-9-]* = )/\1/' "$c" >"$TMP/uncommented.conf"
    expect_rc 0 "$c: its lines, uncommented, are options of ${t#*:}" "/usr/bin/${t%%:*}" "${t#*:}" \
      --config "$TMP/uncommented.conf" --help
  done

  # --- the command-line contract, with the installed configuration files
  for t in "$F" "$I" "$V"; do expect_rc 0 "$(basename "$t") --help" "$t" --help; done
  expect_rc 2 "an unknown command: exit 2" "$V" frobnicate
  expect_rc 0 "federation init (its configuration)" "$F" init --config /etc/api-federation/api-federation.conf --kdf interactive
  printf '%s\n' "$API_PASSPHRASE" >/etc/api-issuer/passphrase
  chown _api-issuer:_api-issuer /etc/api-issuer/passphrase && chmod 0600 /etc/api-issuer/passphrase
  PI=$(free_port); PV=$(free_port)
  conf_i=/etc/api-issuer/api-issuer.conf conf_v=/etc/api-verifier/api-verifier.conf
  set_conf "$conf_i" listen "127.0.0.1:$PI"
  set_conf "$conf_i" heartbeat 1
  expect_rc 0 "issuer init as _api-issuer (its configuration)" env -u API_PASSPHRASE \
    setpriv --reuid=_api-issuer --regid=_api-issuer --init-groups \
    "$I" init --config "$conf_i" --id FR-75 --name "Préfecture de police" --kdf interactive
  expect_rc 0 "add the issuer" "$F" add-issuer --config /etc/api-federation/api-federation.conf --id FR-75 \
    --name "Préfecture de police" --pub /var/lib/api-issuer/issuer.pub --feed "http://127.0.0.1:$PI"
  expect_rc 0 "publish the trust list" "$F" publish --config /etc/api-federation/api-federation.conf \
    --out /var/lib/api-federation/tl.cose
  install -m 0644 /var/lib/api-federation/root.pub /etc/api-verifier/root.pub
  install -m 0644 /var/lib/api-federation/tl.cose /etc/api-verifier/tl.cose
  mkdir -p /var/lib/api-issuer/in && chown _api-issuer /var/lib/api-issuer/in
  printf '{"family_name": "Diallo", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire salarié",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$from" "$from" "$later" \
    >/var/lib/api-issuer/in/h.json
  expect_rc 0 "issue as _api-issuer (its configuration)" env -u API_PASSPHRASE \
    setpriv --reuid=_api-issuer --regid=_api-issuer --init-groups \
    "$I" issue --config "$conf_i" --json /var/lib/api-issuer/in/h.json --out /var/lib/api-issuer/in/out --formats png
  local txt; txt=$(cat "$(ls /var/lib/api-issuer/in/out/*.txt | grep -v -- '-card\.txt$' | head -1)")
  expect_rc 0 "verify with the installed program: valid" "$V" verify --root /etc/api-verifier/root.pub \
    --trust /etc/api-verifier/tl.cose --json --payload "$txt"
  expect_eq "$(json_field "$TMP/.stdout" result)" valid "the verdict is valid"

  # --- the units' ExecStart lines, with the installed configuration (changed by the operator)
  set_conf "$conf_v" trust /etc/api-verifier/tl.cose
  set_conf "$conf_v" listen "127.0.0.1:$PV"
  set_conf "$conf_v" sync-interval 1
  cp "$conf_v" "$TMP/verifier.conf.edited"
  local cmd_i cmd_v
  read -ra cmd_i < <(exec_start api-issuer.service)
  read -ra cmd_v < <(exec_start api-verifier.service)
  expect_eq "${cmd_v[*]}" "/usr/bin/api-verifier serve --config $conf_v" "api-verifier.service runs serve --config"
  start_services() {
    start feed env -u API_PASSPHRASE setpriv --reuid=_api-issuer --regid=_api-issuer --init-groups "${cmd_i[@]}"
    start ver env -u API_PASSPHRASE setpriv --reuid=_api-verifier --regid=_api-verifier --init-groups "${cmd_v[@]}"
  }
  fresh() {
    curl -s -o "$TMP/health.b" "http://127.0.0.1:$PV/healthz" &&
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["issuers"]["FR-75"]["fresh"] else 1)' "$TMP/health.b"
  }
  start_services
  if wait_for 60 fresh; then ok "the verifier synced the issuer's feed (both from their units)"
  else bad "the verifier synced the issuer's feed"; tail -5 "$TMP/ver.log" "$TMP/feed.log" | sed 's/^/     | /'; fi
  code=$(curl -s -o "$TMP/check.html" -w '%{http_code}' "http://127.0.0.1:$PV/check")
  [ "$code" = 301 ] || [ "$code" = 308 ] && code=$(curl -sL -o "$TMP/check.html" -w '%{http_code}' "http://127.0.0.1:$PV/check")
  expect_eq "$code" 200 "a plain serve of the package has /check"
  expect_grep "<html" "$TMP/check.html" "/check is the web checker's page"
  payload_json "$txt" >"$TMP/v.json"
  curl -s -o "$TMP/v.b" -H 'Content-Type: application/json' --data-binary @"$TMP/v.json" "http://127.0.0.1:$PV/api/v1/verify"
  expect_eq "$(json_field "$TMP/v.b" result)" valid "the service verifies the attestation: valid"
  if [ -s /var/log/api-verifier/access.log ]; then ok "the access log is written where the configuration says"
  else bad "the access log is written where the configuration says"; fi
  expect_no_grep "Diallo|1990-04-12" /var/log/api-verifier/access.log "the access log holds no personal data"

  # --- the alert rules name metrics the service exposes
  curl -s "http://127.0.0.1:$PV/metrics" >"$TMP/metrics.txt"
  python3 - "$ROOT_DIR/docs/deploy/prometheus-alerts.yml" "$TMP/metrics.txt" >"$TMP/alerts.out" 2>&1 <<'PY'
import re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
scraped = set(re.findall(r'^([a-z_:]+)(?:\{| )', open(sys.argv[2]).read(), re.M))
n = 0
for g in rules["groups"]:
    for r in g["rules"]:
        assert r["alert"] and r["expr"] and r["labels"]["severity"] in ("warning", "critical"), r
        for name in set(re.findall(r'\b(api_verifier_[a-z_]+)', str(r["expr"]))):
            n += 1
            if name not in scraped:
                print("MISSING", r["alert"], name)
print("checked", n)
PY
  if grep -q '^checked [1-9]' "$TMP/alerts.out" && ! grep -q MISSING "$TMP/alerts.out"; then
    ok "every metric of the alert rules is in a scrape ($(cat "$TMP/alerts.out"))"
  else bad "every metric of the alert rules is in a scrape"; sed 's/^/     | /' "$TMP/alerts.out"; fi

  # --- the daily renewal, as its unit runs it
  local cmd_r
  read -ra cmd_r < <(exec_start api-renew-pending.service)
  expect_rc 0 "api-renew-pending.service's ExecStart, as _api-issuer" \
    setpriv --reuid=_api-issuer --regid=_api-issuer --init-groups "${cmd_r[@]}"

  # --- an API key, then an upgrade to a newer version of the three packages
  expect_rc 0 "keys add (its configuration)" setpriv --reuid=_api-verifier --regid=_api-verifier --init-groups \
    "$V" keys add --config "$conf_v" --org "CAF test" --profile social
  stop ver; stop feed
  local v1 v2 d
  v1=$(dpkg-query -W -f='${Version}' api-verifier); v2="$v1+upgrade1"
  for p in api-verifier api-issuer api-federation; do
    d="$TMP/repack/$p"; mkdir -p "$d"
    dpkg-deb -R "$DEB_DIR/${p}_${v1}_"*.deb "$d"
    sed -i "s/^Version: .*/Version: $v2/" "$d/DEBIAN/control"
    # the newer version changes its default configuration too: dpkg keeps the operator's
    [ "$p" = api-verifier ] && echo "# a line of the newer version" >>"$d/etc/api-verifier/api-verifier.conf"
    dpkg-deb -b --root-owner-group "$d" "$TMP/repack/${p}_${v2}.deb" >/dev/null
  done
  expect_rc 0 "dpkg -i the newer packages (an upgrade)" dpkg -i --force-confold "$TMP"/repack/*.deb
  expect_eq "$(dpkg-query -W -f='${Version}' api-verifier)" "$v2" "api-verifier is the newer version"
  if cmp -s "$conf_v" "$TMP/verifier.conf.edited"; then ok "the changed conffile is kept"; else bad "the changed conffile is kept"; fi
  expect_grep "a line of the newer version" "$conf_v.dpkg-dist" "the newer default is beside it (.dpkg-dist)"
  expect_rc 0 "keys list after the upgrade" "$V" keys list --config "$conf_v"
  expect_grep "CAF test" "$TMP/.stdout" "the API key is kept"
  expect_eq "$(stat -c '%U %a' /var/lib/api-verifier)" "_api-verifier 700" "the data folder keeps its owner and mode"
  start_services
  if wait_for 60 fresh; then ok "after the upgrade the service starts on its data"; else bad "after the upgrade the service starts on its data"; fi
  curl -s -o "$TMP/v2.b" -H 'Content-Type: application/json' --data-binary @"$TMP/v.json" "http://127.0.0.1:$PV/api/v1/verify"
  expect_eq "$(json_field "$TMP/v2.b" result)" valid "after the upgrade: still valid"
  stop ver; stop feed

  # --- remove keeps the data, purge deletes the verifier's only
  expect_rc 0 "dpkg -r api-verifier" dpkg -r api-verifier
  if [ -d /var/lib/api-verifier/access ] && [ -f "$conf_v" ]; then ok "remove keeps the data and the configuration"
  else bad "remove keeps the data and the configuration"; fi
  expect_rc 0 "dpkg -P the three packages" dpkg -P api-verifier api-issuer api-federation
  if [ ! -e /var/lib/api-verifier ] && [ ! -e "$conf_v" ]; then ok "purge deletes the verifier's data and configuration"
  else bad "purge deletes the verifier's data and configuration"; fi
  if [ -f /var/lib/api-issuer/issuer.key ] && [ -f /var/lib/api-federation/root.key ]; then
    ok "purge keeps the issuer's and the federation's keys"
  else bad "purge keeps the issuer's and the federation's keys"; fi
}

if [ -n "$INSIDE" ]; then # in the namespace: /etc, /usr, /var as overlays in $TMP
  for d in etc usr var; do
    mkdir -p "$TMP/ov/$d/up" "$TMP/ov/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$TMP/ov/$d/up,workdir=$TMP/ov/$d/work" "/$d" ||
      { bad "overlay on /$d"; finish; exit; }
  done
  # No systemd of this machine is told anything (the scripts call it only when /run/systemd/system exists).
  [ -d /run/systemd ] && mount -t tmpfs tmpfs /run/systemd
  inside
  finish
  exit
fi

# --- the packages build, and leave the source tree as it was
before=$(cd "$ROOT_DIR" && git status --porcelain --ignored=no 2>/dev/null)
start_s=$SECONDS
if make -C "$ROOT_DIR" --no-print-directory deb >"$TMP/make-deb.log" 2>&1; then ok "make deb ($((SECONDS - start_s)) s)"
else bad "make deb"; tail -20 "$TMP/make-deb.log" | sed 's/^/     | /'; finish; exit; fi
after=$(cd "$ROOT_DIR" && git status --porcelain --ignored=no 2>/dev/null)
expect_eq "$after" "$before" "make deb leaves the source tree as it was"
DEB="$ROOT_DIR/build/deb"
for p in api-verifier api-issuer api-federation; do
  f=$(ls "$DEB/${p}"_*.deb 2>/dev/null | head -1)
  if [ -n "$f" ]; then ok "$p package built"; else bad "$p package built"; continue; fi
  dpkg-deb -f "$f" Depends >"$TMP/dep"
  expect_grep "libsodium23" "$TMP/dep" "$p: Depends from shlibs (libsodium23)"
done
expect_grep "fonts-dejavu-core" <(dpkg-deb -f "$DEB"/api-issuer_*.deb Depends) "api-issuer depends on its font"
lintian --fail-on error "$DEB"/api-verifier_*.deb "$DEB"/api-issuer_*.deb "$DEB"/api-federation_*.deb \
  >"$TMP/lintian.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && ! grep -q '^E:' "$TMP/lintian.out"; then ok "lintian: no error ($(grep -c '^W:' "$TMP/lintian.out") warnings)"
else bad "lintian: no error"; grep -E '^(E|W):' "$TMP/lintian.out" | head -10 | sed 's/^/     | /'; fi

# --- installed
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  BIN="$BIN" unshare -m --propagation private bash "$SELF" --inside "$DEB" >"$TMP/inside.log" 2>&1
  grep -avE '^[0-9]+ passed, [0-9]+ failed' "$TMP/inside.log"
  read -r p f < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$TMP/inside.log" | tail -1 | awk '{print $1, $3}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
else
  echo "(not root, or no mount namespace: the packages are unpacked, not installed)"
  mkdir -p root
  for f in "$DEB"/api-verifier_*.deb "$DEB"/api-issuer_*.deb "$DEB"/api-federation_*.deb; do dpkg-deb -x "$f" root; done
  for t in api-federation api-issuer api-verifier; do expect_rc 0 "$t --help (unpacked)" "root/usr/bin/$t" --help; done
  expect_rc 0 "the renderer is where api-verifier looks" test -x root/usr/lib/api-verifier/api-pdfrender
  expect_rc 0 "the web pages are where api-verifier looks" test -f root/usr/share/api-verifier/web/check/index.html
fi
finish
