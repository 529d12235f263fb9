#!/bin/bash
# TLS in front of the verifier service, with docs/deploy/nginx.conf itself: its
# paths, ports and certificate replaced so that nginx runs as this user on
# loopback ports (no root), in front of a running `api-verifier serve`.
# Checked with curl --cacert: certificate verification, HSTS, HTTP/2, TLS
# versions and ciphers, the redirect from plain HTTP, the 8 MiB body limit
# (a 9 MB body refused by nginx with a 413 problem, never reaching the
# service), the forwarded client address (through a second nginx in front of
# an echo server, which shows what nginx forwards, and through the service's
# anonymous rate limit, which shows which address the service believes), the
# cache of immutable segments, an access log without request bodies or API
# keys, and what nginx does in front against slow and hostile clients
# (SECURITY.md).
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CONF_SRC="$ROOT_DIR/docs/deploy/nginx.conf"
HOST=verif.example.fr   # the server_name of the example; curl --resolve points it at 127.0.0.1

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
holder_json() {
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$1" "$filed" "$from" "$later"
}
issue() { # ISS FAMILY: prints the id
  holder_json "$2" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out "out-$1" --formats png 2>>issue.log | awk 'NR==1 {print $1}'
}

if [ ! -x "$NGINX" ]; then bad "nginx is installed (nginx-light, in TEST_PKGS)"; finish; exit; fi

P1=$(free_port); PV=$(free_port); PS=$(free_port); PH=$(free_port); PE=$(free_port); PSE=$(free_port); PHE=$(free_port)

# --- a federation of one issuer; a segment (events 2 and 3) the service mirrors
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
VALID=$(issue iss VALIDE); A2=$(issue iss DEUX); A3=$(issue iss TROIS); A4=$(issue iss QUATRE)
expect_eq "${#VALID}${#A2}${#A3}${#A4}" "24242424" "four attestations issued"
"$I" suspend --dir iss --id "$A2" >/dev/null
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
proxy_opt=()
if "$V" --help 2>&1 | grep -q -- '--trusted-proxy'; then proxy_opt=(--trusted-proxy 127.0.0.1); fi
KEY=$("$V" keys add --data data --org "Boulangerie Dupont" --profile employer 2>/dev/null)
expect_eq "$(echo "$KEY" | grep -cE '^apik_[A-Za-z0-9_-]{43}$')" 1 "an API key made"
# One anonymous request a second per client address: the rate limit shows which address the service sees.
start ver "$V" serve --root fed/root.pub --data data --trust tl.cose --listen "127.0.0.1:$PV" --sync-interval 1 \
  --anonymous-rate 1 "${proxy_opt[@]}"
mirrored() { curl -sf "http://127.0.0.1:$PV$1" -o /dev/null; }
wait_for 30 mirrored /feed/v1/FR-75/checkpoint
stop iss
"$I" revoke --dir iss --id "$A3" --reason fraud >/dev/null
"$I" suspend --dir iss --id "$A4" >/dev/null
"$I" publish --dir iss >/dev/null
start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
if wait_for 30 mirrored /feed/v1/FR-75/segments/2; then ok "the service mirrors a segment"; else bad "the service mirrors a segment"; tail -5 ver.log; fi

# --- a self-signed certificate for the example's server name
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$HOST" \
  -addext "subjectAltName=DNS:$HOST" -keyout key.pem -out cert.pem >openssl.log 2>&1; then
  ok "self-signed certificate made"
else
  bad "self-signed certificate made"; cat openssl.log
fi

# make_conf OUT UPSTREAM_PORT HTTPS_PORT HTTP_PORT NAME: docs/deploy/nginx.conf for this test.
make_conf() {
  local out=$1 up=$2 ps=$3 ph=$4 name=$5
  mkdir -p "$TMP/$name"
  # As root (CI), nginx would hand its workers to www-data, which cannot enter
  # $TMP (mode 0700): keep this user. Otherwise the directive is dropped.
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  sed -e "s|^user .*;|$user_line|" \
      -e '/listen \[::\]/d' \
      -e "s|^\(\s*\)listen 80;|\1listen 127.0.0.1:$ph;|" \
      -e "s|^\(\s*\)listen 443 ssl http2;|\1listen 127.0.0.1:$ps ssl http2;|" \
      -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$up;|" \
      -e "s|/etc/letsencrypt/live/$HOST/fullchain.pem|$TMP/cert.pem|" \
      -e "s|/etc/letsencrypt/live/$HOST/privkey.pem|$TMP/key.pem|" \
      -e "s|/var/cache/nginx/api-verifier|$TMP/$name/cache|" \
      -e "s|/var/log/nginx/api-verifier.access.log|$TMP/$name/access.log|" \
      -e "s|/var/log/nginx/api-verifier.error.log|$TMP/$name/error.log|" \
      -e '/ssl_stapling/d' \
      -e "s|^\(\s*\)worker_processes auto;|\1worker_processes 2;|" \
      -e "s|^\(\s*\)worker_connections 4096;|\1worker_connections 256;|" \
      -e "s|^http {|http {\n    client_body_temp_path $TMP/$name/body;\n    proxy_temp_path $TMP/$name/proxy;\n    fastcgi_temp_path $TMP/$name/fastcgi;\n    uwsgi_temp_path $TMP/$name/uwsgi;\n    scgi_temp_path $TMP/$name/scgi;|" \
      "$CONF_SRC" >"$out"
  # every replacement must have happened: the example changed shape otherwise
  local want
  for want in "listen 127.0.0.1:$ph;" "listen 127.0.0.1:$ps ssl http2;" "server 127.0.0.1:$up;" "$TMP/cert.pem" \
    "$TMP/key.pem" "$TMP/$name/cache" "$TMP/$name/access.log" "client_body_temp_path"; do
    grep -qF -- "$want" "$out" || { echo "make_conf: '$want' not in $out"; return 1; }
  done
  if grep -v '^\s*#' "$out" | grep -qE '/etc/|/var/|listen (80|443)|:8080;'; then
    echo "make_conf: a system path or port is left:"; grep -v '^\s*#' "$out" | grep -E '/etc/|/var/|listen (80|443)|:8080;'; return 1
  fi
}
nginx_g() { echo "daemon off; pid $TMP/$1/nginx.pid; error_log stderr;"; }

expect_rc 0 "nginx.conf adapted to this test (paths, ports, certificate)" make_conf nginx.conf "$PV" "$PS" "$PH" ngx
expect_rc 0 "nginx -t accepts it" "$NGINX" -t -p "$TMP/ngx/" -c "$TMP/nginx.conf" -g "pid $TMP/ngx/nginx.pid; error_log stderr;"
start nginx "$NGINX" -p "$TMP/ngx/" -c "$TMP/nginx.conf" -g "$(nginx_g ngx)"

C=(curl -s --cacert cert.pem --resolve "$HOST:$PS:127.0.0.1" --max-time 30)
URL="https://$HOST:$PS"
if wait_for 10 "${C[@]}" -f "$URL/trust/v1/trust-list.cose" -o /dev/null; then ok "HTTPS through nginx, certificate verified"; else bad "HTTPS through nginx, certificate verified"; tail -5 nginx.log; fi
"${C[@]}" "$URL/trust/v1/trust-list.cose" -o tl-tls.cose
expect_eq "$(cmp -s tl.cose tl-tls.cose && echo same)" same "the signed trust list, byte for byte through TLS"
expect_rc 60 "without the CA certificate the connection is refused (exit 60)" curl -s --resolve "$HOST:$PS:127.0.0.1" "$URL/healthz" -o /dev/null

"${C[@]}" -D h-hsts.txt -o /dev/null "$URL/trust/v1/trust-list.cose"
expect_grep '^[Ss]trict-[Tt]ransport-[Ss]ecurity: max-age=[0-9]{8,}; includeSubDomains' h-hsts.txt "HSTS header, at least a year"
"${C[@]}" -D h-404.txt -o /dev/null "$URL/feed/v1/FR-75/segments/999999"
expect_grep '^[Ss]trict-[Tt]ransport-[Ss]ecurity: ' h-404.txt "HSTS on error answers too"
expect_grep '^[Cc]ontent-[Tt]ype: application/problem\+json' h-404.txt "the service's problem+json passes through nginx"
expect_no_grep '^[Ss]erver: nginx/' h-404.txt "nginx does not give its version"

expect_eq "$("${C[@]}" --http2 -o /dev/null -w '%{http_version}' "$URL/trust/v1/trust-list.cose")" 2 "HTTP/2 negotiated (ALPN h2)"
expect_eq "$("${C[@]}" --http1.1 -o /dev/null -w '%{http_version}' "$URL/trust/v1/trust-list.cose")" 1.1 "HTTP/1.1 still served"
expect_rc 0 "TLS 1.3 accepted" "${C[@]}" --tlsv1.3 -o /dev/null "$URL/trust/v1/trust-list.cose"
expect_rc 0 "TLS 1.2 with ECDHE accepted" "${C[@]}" --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 -o /dev/null "$URL/trust/v1/trust-list.cose"
expect_rc 35 "TLS 1.2 without forward secrecy (AES128-SHA) refused" "${C[@]}" --tlsv1.2 --tls-max 1.2 --ciphers AES128-SHA -o /dev/null "$URL/trust/v1/trust-list.cose"
# A client willing to speak TLS 1.1 (security level 0): the server must refuse it with a protocol alert.
if ! echo | openssl s_client -connect "127.0.0.1:$PS" -servername "$HOST" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
  >s_client.log 2>&1 && grep -q 'alert protocol version' s_client.log; then
  ok "TLS 1.1 refused by the server"
else
  bad "TLS 1.1 refused by the server"; grep -E 'Protocol|alert' s_client.log | head -3
fi

curl -s -D h-http.txt -o /dev/null --resolve "$HOST:$PH:127.0.0.1" "http://$HOST:$PH/api/v1/verify"
expect_grep "^HTTP/1.1 301" h-http.txt "plain HTTP is redirected"
expect_grep "^[Ll]ocation: https://$HOST/api/v1/verify" h-http.txt "to the same path over HTTPS"

# --- immutable segments come from nginx's cache the second time; the rest is not cached
"${C[@]}" -D h-seg1.txt -o seg1.cose "$URL/feed/v1/FR-75/segments/2"
"${C[@]}" -D h-seg2.txt -o seg2.cose "$URL/feed/v1/FR-75/segments/2"
curl -s "http://127.0.0.1:$PV/feed/v1/FR-75/segments/2" -o seg-direct.cose
expect_grep '^[Xx]-[Cc]ache-[Ss]tatus: MISS' h-seg1.txt "segment: first request goes to the service (MISS)"
expect_grep '^[Xx]-[Cc]ache-[Ss]tatus: HIT' h-seg2.txt "segment: second request served from the cache (HIT)"
expect_grep '^[Cc]ache-[Cc]ontrol: public, max-age=31536000, immutable' h-seg2.txt "segment: Cache-Control immutable kept"
expect_eq "$(cmp -s seg1.cose seg-direct.cose && cmp -s seg2.cose seg-direct.cose && echo same)" same "segment: the same bytes as the service's"
etag=$(awk -F': ' 'tolower($1) == "etag" {print $2}' h-seg1.txt | tr -d '\r')
expect_eq "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/feed/v1/FR-75/segments/2")" 304 "segment: If-None-Match through the cache gives 304"
"${C[@]}" -D h-cp.txt -o /dev/null "$URL/feed/v1/FR-75/checkpoint"; "${C[@]}" -D h-cp2.txt -o /dev/null "$URL/feed/v1/FR-75/checkpoint"
expect_no_grep '^[Xx]-[Cc]ache-[Ss]tatus: HIT' h-cp2.txt "checkpoint: never from the cache"
"${C[@]}" -D h-404b.txt -o /dev/null "$URL/feed/v1/FR-75/segments/999999"
expect_no_grep '^[Xx]-[Cc]ache-[Ss]tatus: HIT' h-404b.txt "a segment not yet published (404) is not cached"

# --- verification through TLS (needs the service's /api/v1/verify)
payload=$(cat "out-iss/$VALID.txt")
python3 -c 'import json,sys; print(json.dumps({"payload": sys.argv[1]}))' "$payload" >verify.json
code=$("${C[@]}" -o verify-out.json -w '%{http_code}' -H 'Content-Type: application/json' -H "X-API-Key: $KEY" --data-binary @verify.json "$URL/api/v1/verify")
expect_eq "$code $(json_field verify-out.json result)" "200 valid" "a verification through nginx"

# --- X-Forwarded-For end to end: nginx replaces what the client wrote, so a client cannot pose as
# many addresses to escape the anonymous rate limit; the service believes X-Forwarded-For only
# from the trusted proxy (--trusted-proxy 127.0.0.1), which this test's direct requests come from.
sleep 1.1
c1=$("${C[@]}" -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.1' "$URL/api/v1/trust-list")
c2=$("${C[@]}" -o rl.json -D h-rl.txt -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.2' "$URL/api/v1/trust-list")
expect_eq "$c1 $c2" "200 429" "through nginx, a forged X-Forwarded-For does not escape the anonymous rate limit"
expect_grep '^[Rr]etry-[Aa]fter: [0-9]+' h-rl.txt "429 with Retry-After through nginx"
if [ ${#proxy_opt[@]} -gt 0 ]; then
  d1=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.3' "http://127.0.0.1:$PV/api/v1/trust-list")
  d2=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.4' "http://127.0.0.1:$PV/api/v1/trust-list")
  expect_eq "$d1 $d2" "200 200" "the service takes the client address from its trusted proxy's X-Forwarded-For"
else
  bad "api-verifier serve has --trusted-proxy"
fi

# --- the body limit: 9 MB refused by nginx with a problem, never reaching the service
head -c 9000000 /dev/zero >big.bin
code=$("${C[@]}" -o big-out.json -D h-big.txt -w '%{http_code}' -H 'Content-Type: image/png' --data-binary @big.bin "$URL/api/v1/verify")
expect_eq "$code" 413 "a 9 MB body is refused with 413"
expect_eq "$(json_field big-out.json type)" /problems/body-too-large "as a body-too-large problem"
expect_grep '^[Cc]ontent-[Tt]ype: application/problem\+json' h-big.txt "with Content-Type application/problem+json"
expect_eq "$(grep -c 'larger than 8 MiB, the most' big-out.json)" 1 "written by nginx (docs/deploy/nginx.conf's error_page), not by the service"

# --- behind nginx, slow clients wait in nginx and never hold one of the service's workers (SECURITY.md):
# 60 uploads from one address (127.0.0.2) that announce 1 MB and stop after 1 KB; nginx refuses those
# past its per-address bound (limit_conn 32) and holds the others itself; the service holds none of
# them, and answers a verification from another address through nginx meanwhile. Then ambiguous framing refused by nginx, a head of
# 70 header lines refused by the service (431) through nginx, and the security headers sent once.
cat >front.py <<'EOF'
import json, socket, ssl, sys, time, urllib.request
started = time.monotonic()
port, host, ca, pv, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), open(sys.argv[5], "rb").read()
ctx = ssl.create_default_context(cafile=ca)
def tls(source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=15, source_address=(source, 0))
    return ctx.wrap_socket(s, server_hostname=host)
def answer(t):
    data = b""
    t.settimeout(15)
    try:
        while b"\r\n\r\n" not in data:
            c = t.recv(65536)
            if not c: break
            data += c
        head, _, rest = data.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length": n = int(v)
        while len(rest) < n:
            c = t.recv(65536)
            if not c: break
            rest += c
        return head.decode(errors="replace"), rest
    except OSError:
        return data.split(b"\r\n\r\n")[0].decode(errors="replace"), b""
def metric(name):
    m = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pv, timeout=10).read().decode()
    for l in m.splitlines():
        if l.startswith(name + " "): return float(l.split()[1])
    return -1
cut_before = metric("api_verifier_bodies_cut_total")
held = []
for i in range(60):  # from 127.0.0.2: one address
    t = tls("127.0.0.2")
    t.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: %s\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n" % host.encode() + b"x" * 1000)
    held.append(t)
# nginx answers those past its bound; read until the 28 past 32 have answered, 10 s at most (however slow the machine)
refused, pending, end = 0, list(held), time.monotonic() + 10
for t in held: t.setblocking(False)
while pending and refused < len(held) - 32 and time.monotonic() < end:
    for t in list(pending):
        try:
            d = t.recv(65536)
            if d.startswith(b"HTTP/1.1 503") and b"too-many-connections" in d: refused += 1
            pending.remove(t)
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        except OSError:
            pending.remove(t)
    time.sleep(0.1)
print("refused", refused)
print("service_open", int(metric("api_verifier_connections_open")))
# the anonymous rate (--anonymous-rate 1) was spent by the X-Forwarded-For check: at least 1.1 s for a token
time.sleep(max(0.0, 1.1 - (time.monotonic() - started)))
t = tls()
t.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % (host.encode(), len(body)) + body)
h, b = answer(t)
print("verify", h.split("\r\n")[0], json.loads(b or b"{}").get("result"))
for t in held: t.close()
print("bodies_cut", int(metric("api_verifier_bodies_cut_total") - cut_before))
t = tls()
t.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % host.encode())
print("cl_te", answer(t)[0].split("\r\n")[0])
t = tls()
t.sendall(b"GET /healthz HTTP/1.1\r\nHost: %s\r\n" % host.encode() + b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(70)) + b"Connection: close\r\n\r\n")
h, b = answer(t)
print("headers70", h.split("\r\n")[0], b"request-header-fields-too-large" in b)
t = tls()
t.sendall(b"GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host.encode())
h, _ = answer(t)
lines = [l.split(":")[0].lower() for l in h.split("\r\n")[1:]]
print("once", all(lines.count(x) == 1 for x in ("x-frame-options", "referrer-policy", "x-content-type-options")))
EOF
python3 front.py "$PS" "$HOST" cert.pem "$PV" verify.json >front.out 2>&1
sed 's/^/     | /' front.out
refused=$(awk '$1 == "refused" {print $2}' front.out); held_open=$(awk '$1 == "service_open" {print $2}' front.out)
if [ "${refused:-0}" -ge 20 ]; then ok "nginx refuses the uploads of one address past 32 (limit_conn): $refused of 60"; else bad "nginx refuses the uploads of one address past 32 (got ${refused:-none})"; fi
if [ "${held_open:-99}" -le 17 ]; then ok "the service holds none of them: $held_open connections open (nginx's idle keep-alive ones and this one)"; else bad "the service holds none of the slow uploads (got ${held_open:-none} open)"; fi
expect_grep "^verify HTTP/1.1 200 OK valid$" front.out "a verification through nginx is answered meanwhile"
expect_grep "^bodies_cut 0$" front.out "no slow body ever reached the service"
expect_grep "^cl_te HTTP/1.1 400" front.out "Content-Length with Transfer-Encoding: refused by nginx"
expect_grep "^headers70 HTTP/1.1 431 .* True$" front.out "70 header lines through nginx: the service's 431, passed through"
expect_grep "^once True$" front.out "X-Frame-Options, Referrer-Policy and X-Content-Type-Options sent once through nginx"

# --- what nginx forwards: a second nginx with the same configuration in front of an echo server
cat >echo.py <<'EOF'
import http.server, json, sys
count = 0
class Echo(http.server.BaseHTTPRequestHandler):
    def answer(self):
        global count
        count += 1
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        out = json.dumps({"n": count, "method": self.command, "path": self.path, "length": len(body),
                          "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
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
EOF
start echo python3 echo.py "$PE"
expect_rc 0 "nginx.conf adapted for the echo server" make_conf nginx-echo.conf "$PE" "$PSE" "$PHE" ngx-echo
start nginx_echo "$NGINX" -p "$TMP/ngx-echo/" -c "$TMP/nginx-echo.conf" -g "$(nginx_g ngx-echo)"
CE=(curl -s --cacert cert.pem --resolve "$HOST:$PSE:127.0.0.1" --max-time 30)
UE="https://$HOST:$PSE"
wait_for 10 "${CE[@]}" -f "$UE/healthz" -o /dev/null
"${CE[@]}" -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Real-IP: 203.0.113.8' "$UE/api/v1/trust-list" -o echo1.json
fwd() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["headers"].get(sys.argv[2], ""))' "$1" "$2"; }
expect_eq "$(fwd echo1.json x-forwarded-for)" 127.0.0.1 "X-Forwarded-For is the client's address, a forged one replaced"
expect_eq "$(fwd echo1.json x-real-ip)" 127.0.0.1 "X-Real-IP likewise"
expect_eq "$(fwd echo1.json x-forwarded-proto)" https "X-Forwarded-Proto: https"
expect_eq "$(fwd echo1.json host)" "$HOST" "Host kept"
head -c 7000000 /dev/zero >seven.bin
"${CE[@]}" -H 'Content-Type: image/png' --data-binary @seven.bin "$UE/api/v1/verify" -o echo2.json
expect_eq "$(json_field echo2.json length)" 7000000 "a 7 MB image reaches the service whole"
before=$(json_field echo2.json n)
expect_eq "$("${CE[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: image/png' --data-binary @big.bin "$UE/api/v1/verify")" 413 "9 MB: 413 from nginx"
"${CE[@]}" "$UE/healthz" -o echo3.json
expect_eq "$(json_field echo3.json n)" "$((before + 1))" "the 9 MB body never reached the upstream"

# --- the access logs: requests, but no body, no API key, no query string
stop nginx; stop nginx_echo
expect_grep '"POST /api/v1/verify HTTP/2.0" [0-9]{3} ' ngx/access.log "the access log records the verification"
absent() { # NAME STRING FILE...: STRING (fixed) is in none of the files
  local name=$1 s=$2; shift 2
  if cat "$@" 2>/dev/null | grep -qF -- "$s"; then bad "$name"; else ok "$name"; fi
}
absent "no QR text in nginx's logs" "${payload:5:40}" ngx/access.log ngx/error.log nginx.log
absent "no API key in nginx's logs" "$KEY" ngx/access.log ngx/error.log nginx.log

stop echo; stop ver; stop iss
expect_no_grep "Sanitizer|runtime error" ver.log "no sanitizer report from the service"

# --- docs/deploy/api-verifier.service with the packaged configuration (debian/conf/api-verifier.conf): its
# command line runs (paths and port replaced, the trust list's address set), and systemd accepts the unit
UNIT="$ROOT_DIR/docs/deploy/api-verifier.service"
PX=$(free_port)
sed -e "s|/etc/api-verifier/root.pub|$TMP/fed/root.pub|" -e "s|/var/lib/api-verifier|$TMP/unit-data|g" \
  -e "s|/var/log/api-verifier|$TMP/unit-log|g" -e "s|127.0.0.1:8080|127.0.0.1:$PX|" \
  -e "s|^#trust-url = http://federation.example.fr|trust-url = http://127.0.0.1:$P1|" \
  "$ROOT_DIR/debian/conf/api-verifier.conf" >unit.conf
mkdir -p unit-log
expect_grep "^trust-url = http://127.0.0.1:$P1/trust/v1/trust-list.cose" unit.conf "the packaged configuration names the trust list's address"
exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT" | sed -e "s|^/usr/bin/api-verifier |$V |" \
  -e "s|/etc/api-verifier/api-verifier.conf|$TMP/unit.conf|")
read -r -a exec_args <<<"$exec_line"
if [ "${exec_args[0]:-}" = "$V" ] && [ "${exec_args[1]:-}" = serve ]; then
  start unit "${exec_args[@]}"
  if wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$PX/healthz"; then ok "the unit's ExecStart line runs"; else bad "the unit's ExecStart line runs"; tail -3 unit.log; fi
  stop unit
else
  bad "the unit has an ExecStart line of api-verifier serve"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
  # systemd checks that the command exists and that its man page is there: the build's binary, and the
  # man page of the tree through MANPATH.
  sed "s|^ExecStart=/usr/bin/api-verifier |ExecStart=$V |" "$UNIT" >api-verifier.service
  mkdir -p man/man1 && cp "$ROOT_DIR/docs/man/api-verifier.1" man/man1/
  expect_rc 0 "systemd-analyze verify accepts the unit" env MANPATH="$TMP/man:" systemd-analyze verify "$TMP/api-verifier.service"
fi
finish
