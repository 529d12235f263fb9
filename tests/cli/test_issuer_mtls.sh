#!/bin/bash
# Mutual TLS in front of the issuer's admin API, with
# docs/deploy/nginx-issuer-admin.conf itself: its paths and ports replaced so
# that nginx runs as this user on loopback ports, in front of a running
# `api-issuer serve --admin-listen`. Certificates made here with openssl: a
# server certificate, the préfecture's client CA and a client certificate it
# signed, and a client certificate of another CA. Checked with curl:
# without a client certificate, or with one of another CA, nginx refuses the
# request (400, a problem) and nothing reaches the service; with the right
# certificate and no token the service answers 401; with a token it answers
# (read, issue; a read token refused 403 for issuing); a path outside
# /api/v1/ is not served; the identity headers are nginx's, never the
# client's (through a second nginx in front of an echo server); the access
# log holds no token and no personal data.
source "$(dirname "$0")/lib.sh"
I="$BIN/api-issuer"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CONF_SRC="$ROOT_DIR/docs/deploy/nginx-issuer-admin.conf"
HOST=admin.prefecture.example.fr # the server_name of the example; curl --resolve points it at 127.0.0.1

if [ ! -x "$NGINX" ]; then bad "nginx is installed (nginx-light, in TEST_PKGS)"; finish; exit; fi
if ! "$I" serve --help 2>&1 | grep -q -- '--admin-listen'; then bad "api-issuer serve has --admin-listen"; finish; exit; fi

today=$(date +%F)
holder_json() {
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" \
    "$(date -d "$today -40 days" +%F)" "$(date -d "$today -10 days" +%F)" "$(date -d "$today +60 days" +%F)"
}

PF=$(free_port); PA=$(free_port); PS=$(free_port); PE=$(free_port); PSE=$(free_port)

# --- the issuer, two clients, serve with its admin listener on loopback
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
T_ISSUE=$("$I" clients add --dir iss --name "ANEF back office" --role issue 2>/dev/null)
T_READ=$("$I" clients add --dir iss --name "tableau de bord" 2>/dev/null)
expect_eq "$(printf '%s\n%s\n' "$T_ISSUE" "$T_READ" | grep -cE '^apit_[A-Za-z0-9_-]{43}$')" 2 "two client tokens"
start iss "$I" serve --dir iss --listen "127.0.0.1:$PF" --admin-listen "127.0.0.1:$PA" --trusted-proxy 127.0.0.1
up() { curl -s -o /dev/null "http://127.0.0.1:$PA/api/v1/attestations"; }
if wait_for 30 up; then ok "serve answers on its admin listener"; else bad "serve answers on its admin listener"; tail -5 iss.log; fi

# --- certificates: the server's (self-signed), the préfecture's client CA and a client it signed, another CA and its client
ossl() { openssl "$@" >>openssl.log 2>&1; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
made=1
ossl req -x509 "${ec[@]}" -days 2 -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" -keyout server.key -out server.pem || made=0
for ca in clients-ca other-ca; do
  ossl req -x509 "${ec[@]}" -days 2 -subj "/O=Test/CN=$ca" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -keyout "$ca.key" -out "$ca.pem" || made=0
done
client_cert() { # NAME CA: a client certificate for NAME signed by CA
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$1.ext"
  ossl req "${ec[@]}" -subj "/O=Prefecture de police/CN=$1" -keyout "$1.key" -out "$1.csr" &&
    ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem"
}
client_cert anef clients-ca || made=0
client_cert intruder other-ca || made=0
if [ "$made" = 1 ]; then ok "certificates made"; else bad "certificates made"; tail -5 openssl.log; fi
expect_rc 0 "the client certificate verifies against the client CA" openssl verify -CAfile clients-ca.pem anef.pem
expect_rc 2 "the intruder's does not" openssl verify -CAfile clients-ca.pem intruder.pem

# make_conf OUT UPSTREAM_PORT HTTPS_PORT NAME: docs/deploy/nginx-issuer-admin.conf for this test.
make_conf() {
  local out=$1 up=$2 ps=$3 name=$4
  mkdir -p "$TMP/$name"
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);" # as root, keep this user ($TMP is 0700)
  sed -e "s|^user .*;|$user_line|" \
      -e "s|^\(\s*\)listen 8443 ssl http2;|\1listen 127.0.0.1:$ps ssl http2;|" \
      -e "s|server 127.0.0.1:8076;|server 127.0.0.1:$up;|" \
      -e "s|/etc/api-issuer/tls/admin-server.pem|$TMP/server.pem|" \
      -e "s|/etc/api-issuer/tls/admin-server.key|$TMP/server.key|" \
      -e "s|/etc/api-issuer/tls/clients-ca.pem|$TMP/clients-ca.pem|" \
      -e "s|/var/log/nginx/api-issuer-admin.access.log|$TMP/$name/access.log|" \
      -e "s|/var/log/nginx/api-issuer-admin.error.log|$TMP/$name/error.log|" \
      -e "s|^http {|http {\n    client_body_temp_path $TMP/$name/body;\n    proxy_temp_path $TMP/$name/proxy;\n    fastcgi_temp_path $TMP/$name/fastcgi;\n    uwsgi_temp_path $TMP/$name/uwsgi;\n    scgi_temp_path $TMP/$name/scgi;|" \
      "$CONF_SRC" >"$out"
  local want
  for want in "listen 127.0.0.1:$ps ssl http2;" "server 127.0.0.1:$up;" "$TMP/server.pem" "$TMP/server.key" \
    "$TMP/clients-ca.pem" "$TMP/$name/access.log" "ssl_verify_client on;" "client_body_temp_path"; do
    grep -qF -- "$want" "$out" || { echo "make_conf: '$want' not in $out"; return 1; }
  done
  if grep -v '^\s*#' "$out" | grep -qE '/etc/|/var/|listen 8443|:8076;'; then
    echo "make_conf: a system path or port is left:"; grep -v '^\s*#' "$out" | grep -E '/etc/|/var/|listen 8443|:8076;'; return 1
  fi
}
nginx_g() { echo "daemon off; pid $TMP/$1/nginx.pid; error_log stderr;"; }

expect_rc 0 "nginx-issuer-admin.conf adapted to this test" make_conf admin.conf "$PA" "$PS" ngx
expect_rc 0 "nginx -t accepts it" "$NGINX" -t -p "$TMP/ngx/" -c "$TMP/admin.conf" -g "pid $TMP/ngx/nginx.pid; error_log stderr;"
start nginx "$NGINX" -p "$TMP/ngx/" -c "$TMP/admin.conf" -g "$(nginx_g ngx)"

URL="https://$HOST:$PS"
C=(curl -s --cacert server.pem --resolve "$HOST:$PS:127.0.0.1" --max-time 30)
CA=("${C[@]}" --cert anef.pem --key anef.key)       # the préfecture's system
CX=("${C[@]}" --cert intruder.pem --key intruder.key) # a certificate of another CA
listening() { "${C[@]}" -o /dev/null "$URL/"; }
if wait_for 10 listening; then ok "nginx listens"; else bad "nginx listens"; tail -5 nginx.log; fi

# --- without a client certificate, or with another CA's: refused by nginx
code=$("${C[@]}" -o nocert.json -D h-nocert.txt -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/api/v1/attestations")
case "$code" in 400 | 495 | 496 | 000) ok "without a client certificate: refused ($code)" ;; *) bad "without a client certificate: refused (got $code)" ;; esac
expect_eq "$(json_field nocert.json type)" /problems/client-certificate "as a client-certificate problem"
expect_grep '^[Cc]ontent-[Tt]ype: application/problem\+json' h-nocert.txt "with Content-Type application/problem+json"
code=$("${C[@]}" --tlsv1.2 --tls-max 1.2 -o nocert12.json -w '%{http_code}' "$URL/api/v1/attestations")
expect_eq "$code $(json_field nocert12.json type)" "400 /problems/client-certificate" "TLS 1.2 without a client certificate: the same problem"
code=$("${CX[@]}" -o other.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/api/v1/attestations")
case "$code" in 400 | 495 | 496 | 000) ok "a certificate of another CA: refused ($code)" ;; *) bad "a certificate of another CA: refused (got $code)" ;; esac
holder_json INTRUS >h-intrus.json
code=$("${CX[@]}" -o other2.json -w '%{http_code}' -H "Authorization: Bearer $T_ISSUE" -H 'Content-Type: application/json' \
  --data-binary @h-intrus.json "$URL/api/v1/attestations")
case "$code" in 400 | 495 | 496 | 000) ok "another CA's certificate with a valid token cannot issue ($code)" ;; *) bad "another CA's certificate cannot issue (got $code)" ;; esac
expect_eq "$("$I" info --dir iss | grep -ciE 'attestations?:? *0|0 attestations')" 1 "nothing was issued"

# --- the right certificate: then the token decides
code=$("${CA[@]}" -o notoken.json -D h-notoken.txt -w '%{http_code}' "$URL/api/v1/attestations")
expect_eq "$code" 401 "the right certificate without a token: 401"
expect_eq "$(json_field notoken.json status)" 401 "a problem from the service"
expect_grep '^[Ww][Ww][Ww]-[Aa]uthenticate: Bearer' h-notoken.txt "with WWW-Authenticate: Bearer"
code=$("${CA[@]}" -o badtoken.json -w '%{http_code}' -H "Authorization: Bearer apit_${T_READ:6}x" "$URL/api/v1/attestations")
expect_eq "$code" 401 "the right certificate with a wrong token: 401"
code=$("${CA[@]}" -o list.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/api/v1/attestations")
expect_eq "$code" 200 "the right certificate and a read token: the list answers"
holder_json VALIDE >h-valide.json
code=$("${CA[@]}" -o created.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" -H 'Content-Type: application/json' \
  --data-binary @h-valide.json "$URL/api/v1/attestations")
expect_eq "$code" 403 "a read token cannot issue: 403"
code=$("${CA[@]}" -o created.json -w '%{http_code}' -H "Authorization: Bearer $T_ISSUE" -H 'Content-Type: application/json' \
  --data-binary @h-valide.json "$URL/api/v1/attestations")
expect_eq "$code" 201 "the right certificate and an issue token: an attestation issued through mutual TLS"
ID=$(json_field created.json id)
expect_eq "${#ID}" 24 "its id"
code=$("${CA[@]}" -o got.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/api/v1/attestations/$ID")
expect_eq "$code" 200 "and read back"
code=$("${CA[@]}" -o feed.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/feed/v1/FR-75/checkpoint")
expect_eq "$code" 404 "only /api/v1/ is served behind the admin nginx"
"$I" clients revoke --dir iss --name "tableau de bord" >/dev/null
code=$("${CA[@]}" -o revoked.json -w '%{http_code}' -H "Authorization: Bearer $T_READ" "$URL/api/v1/attestations")
expect_eq "$code" 401 "a revoked client's token: 401 at the next request"

# --- what nginx forwards: the same configuration in front of an echo server
cat >echo.py <<'PY'
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        out = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = answer
    def log_message(self, *a):
        pass
Echo.protocol_version = "HTTP/1.1"
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
start echo python3 echo.py "$PE"
expect_rc 0 "the configuration adapted for the echo server" make_conf admin-echo.conf "$PE" "$PSE" ngx-echo
start nginx_echo "$NGINX" -p "$TMP/ngx-echo/" -c "$TMP/admin-echo.conf" -g "$(nginx_g ngx-echo)"
UE="https://$HOST:$PSE"
CE=(curl -s --cacert server.pem --resolve "$HOST:$PSE:127.0.0.1" --max-time 30 --cert anef.pem --key anef.key)
wait_for 10 "${CE[@]}" -f "$UE/api/v1/x" -o /dev/null
"${CE[@]}" -H 'X-Client-Subject: CN=ANEF,O=Ministere' -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Real-IP: 203.0.113.8' \
  "$UE/api/v1/attestations" -o echo.json
fwd() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["headers"].get(sys.argv[2], ""))' "$1" "$2"; }
expect_eq "$(fwd echo.json x-client-subject)" "CN=anef,O=Prefecture de police" "X-Client-Subject is the verified certificate's, a forged one replaced"
expect_eq "$(fwd echo.json x-forwarded-for)" 127.0.0.1 "X-Forwarded-For is the client's address, a forged one replaced"
expect_eq "$(fwd echo.json x-real-ip)" 127.0.0.1 "X-Real-IP likewise"
expect_eq "$(fwd echo.json x-forwarded-proto)" https "X-Forwarded-Proto: https"
code=$("${C[@]}" --resolve "$HOST:$PSE:127.0.0.1" -o /dev/null -w '%{http_code}' -H 'X-Client-Subject: CN=anef,O=Prefecture de police' "$UE/api/v1/attestations")
expect_eq "$code" 400 "a forged X-Client-Subject without a certificate gets nowhere"

# --- logs: the certificate that called, never a token or personal data
stop nginx; stop nginx_echo; stop echo
expect_grep '"GET /api/v1/attestations HTTP/[0-9.]+" 200 .*cert="CN=anef,O=Prefecture de police" verify=SUCCESS' ngx/access.log \
  "the access log names the verified certificate"
expect_grep 'verify=(NONE|FAILED)' ngx/access.log "and records the refused ones"
absent() { # NAME STRING FILE...: STRING (fixed) is in none of the files
  local name=$1 s=$2; shift 2
  if cat "$@" 2>/dev/null | grep -qF -- "$s"; then bad "$name"; else ok "$name"; fi
}
absent "no token in nginx's logs" "${T_ISSUE:5}" ngx/access.log ngx/error.log nginx.log
absent "no read token in nginx's logs" "${T_READ:5}" ngx/access.log ngx/error.log nginx.log
absent "no holder name in nginx's logs" VALIDE ngx/access.log ngx/error.log nginx.log
stop iss
expect_no_grep "Sanitizer|runtime error" iss.log "no sanitizer report from the service"
finish
