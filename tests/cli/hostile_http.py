#!/usr/bin/env python3
"""Hostile HTTP clients against api-issuer serve and api-verifier serve.

Used by tests/cli/test_hostile_http.sh:

    hostile_http.py CONFIG.json GROUP...

CONFIG (written by the .sh) names the servers' ports and pids, the valid QR
text, the API keys, the web root and the sync command. Each GROUP is one of
deep-json, deadlines, limits, mirror, redirects, memory, headers, framing,
misc, metrics. Each check prints one line, "ok NAME" or "FAIL NAME
(details)"; figures are printed as "note ..." lines. Every group ends with
a normal verification that must still be answered (the service survived).

Only the standard library; raw sockets, so that the bytes sent are exactly
the ones written here (no client library fixes a request up).
"""
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
CFG = {}


# ---------------------------------------------------------------- output

def check(name, cond, details=""):
    if cond:
        print("ok " + name, flush=True)
    else:
        print("FAIL %s (%s)" % (name, details), flush=True)
    return bool(cond)


def note(text):
    print("note " + text, flush=True)


def short(b, n=300):
    if isinstance(b, (bytes, bytearray)):
        b = bytes(b).decode("latin-1")
    b = b.replace("\r", "\\r").replace("\n", "\\n")
    return b if len(b) <= n else b[:n] + "..."


# ---------------------------------------------------------------- the client

def connect(port, src=None, timeout=10.0):
    """A TCP connection to 127.0.0.1:port, from source address src (127.0.0.x) when given."""
    s = socket.create_connection((HOST, port), timeout=timeout,
                                 source_address=(src, 0) if src else None)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Response:
    def __init__(self, status, reason, version, headers, body, head_raw):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # list of (name, value), in order
        self.body = body
        self.head_raw = head_raw

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def problem_type(self):
        j = self.json()
        return j.get("type") if isinstance(j, dict) else None

    def __repr__(self):
        return "%d %s %s" % (self.status, short(self.head_raw, 160), short(self.body, 200))


class Conn:
    """A socket with a read buffer: answers are read one at a time, as the server sends them."""

    def __init__(self, port, src=None, timeout=10.0):
        self.sock = connect(port, src, timeout)
        self.buf = b""
        self.eof = False
        self.error = None

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise
        except OSError as e:  # a reset: what was read stays in buf
            self.error = e
            self.eof = True
            return False
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def read_response(self, head_request=False):
        """The next answer (status line, headers, body by Content-Length), or None at the end of the stream."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        first = lines[0].decode("latin-1")
        parts = first.split(" ", 2)
        version = parts[0]
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        self.buf = rest
        length = None
        for k, v in headers:
            if k.lower() == "content-length":
                length = int(v)
        if 100 <= status < 200 or status in (204, 304) or head_request:
            length = 0
        if length is None:  # until the end of the stream
            while self._fill():
                pass
            body, self.buf = self.buf, b""
        else:
            while len(self.buf) < length:
                if not self._fill():
                    break
            body, self.buf = self.buf[:length], self.buf[length:]
        return Response(status, reason, version, headers, body, head)

    def read_all(self):
        """Every answer until the server closes the connection."""
        out = []
        while True:
            r = self.read_response()
            if r is None:
                return out
            out.append(r)

    def wait_closed(self, limit):
        """Reads until the server closes or limit seconds pass: (data, seconds, closed)."""
        t = time.monotonic()
        data = b""
        end = t + limit
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return data, time.monotonic() - t, False
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return data, time.monotonic() - t, False
            except OSError:
                return data, time.monotonic() - t, True
            if not d:
                return data, time.monotonic() - t, True
            data += d

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


NO_ANSWER = Response(-1, "", "", [], b"", b"closed without an answer")


def request(port, raw, src=None, timeout=10.0, head_request=False):
    """Sends raw bytes on a new connection and reads one answer (None: closed without one)."""
    c = Conn(port, src, timeout)
    try:
        try:
            c.send(raw)
        except OSError:  # the server may answer and close before it read everything
            pass
        return c.read_response(head_request)
    finally:
        c.close()


def exchange_until_close(port, raw, src=None, timeout=10.0):
    """Sends raw bytes and reads every answer until the server closes: (answers, closed)."""
    c = Conn(port, src, timeout)
    try:
        try:
            c.send(raw)
        except OSError:
            pass
        try:
            answers = c.read_all()
            return answers, True
        except socket.timeout:
            return [], False
    finally:
        c.close()


def http_request(method, path, headers=(), body=b"", version="HTTP/1.1", host="x"):
    lines = ["%s %s %s" % (method, path, version)]
    if host is not None:
        lines.append("Host: " + host)
    for h in headers:
        lines.append(h)
    if body and not any(h.lower().startswith(("content-length:", "transfer-encoding:")) for h in headers):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def get(port, path, headers=(), src=None, close=True):
    h = list(headers) + (["Connection: close"] if close else [])
    return request(port, http_request("GET", path, h), src)


def is_problem(r, status, slug):
    return (r is not None and r.status == status
            and (r.header("Content-Type") or "").startswith("application/problem+json")
            and r.problem_type() == "/problems/" + slug)


def expect_problem(name, r, status, slug):
    return check("%s: %d %s" % (name, status, slug), is_problem(r, status, slug),
                 "got %r" % (r,) if r is not None else "closed without an answer")


def verify(port=None, src=None, key=None, text=None, timeout=10.0):
    port = port or CFG["verifier"]
    body = (text or CFG["text"]).encode()
    h = ["Content-Type: text/plain", "Connection: close"]
    if key:
        h.append("X-API-Key: " + key)
    return request(port, http_request("POST", "/api/v1/verify", h, body), src, timeout)


def still_serves(group):
    """After each group: a normal verification from 127.0.0.1 is answered 200 valid."""
    t = time.monotonic()
    try:
        r = verify()
    except OSError as e:
        return check("after %s: a normal verification is answered 200 valid" % group, False, repr(e))
    j = r.json() if r else None
    check("after %s: a normal verification is answered 200 valid (%.2f s)" % (group, time.monotonic() - t),
          r is not None and r.status == 200 and isinstance(j, dict) and j.get("result") == "valid",
          repr(r))


def issuer_serves(group):
    try:
        r = get(CFG["issuer"], "/feed/v1/FR-75/checkpoint")
    except OSError as e:
        r = e
    check("after %s: the issuer serves its checkpoint (200)" % group,
          isinstance(r, Response) and r.status == 200, repr(r))


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def socket_state(s):
    """Without waiting: (closed, data) of a socket the server may have answered or closed."""
    data = b""
    s.setblocking(False)
    try:
        while True:
            try:
                d = s.recv(65536)
            except BlockingIOError:
                return False, data
            except OSError:
                return True, data
            if not d:
                return True, data
            data += d
    finally:
        s.setblocking(True)


def in_threads(fns):
    """Runs the functions at once; their results in order (an exception is returned as the result)."""
    out = [None] * len(fns)

    def run(i, fn):
        try:
            out[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = e

    ts = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


# ---------------------------------------------------------------- 1. deep JSON

def group_deep_json():
    pv, pi = CFG["verifier"], CFG["issuer"]
    jh = ["Content-Type: application/json", "Connection: close"]

    def post(path, body):
        return request(pv, http_request("POST", path, jh, body))

    expect_problem("800 '[' to /api/v1/verify", post("/api/v1/verify", b"[" * 800), 400, "json-too-deep")
    expect_problem("100,000 '[' to /api/v1/verify (under --max-body)", post("/api/v1/verify", b"[" * 100000),
                   400, "json-too-deep")
    nested = b'{"payload":' + b'{"a":' * 5 + b'"x"' + b"}" * 5 + b"}"
    expect_problem('{"payload": five nested {"a": ...}}', post("/api/v1/verify", nested), 400, "json-too-deep")
    expect_problem('batch {"payloads": 999 \'[\'', post("/api/v1/verify/batch", b'{"payloads":' + b"[" * 999),
                   400, "json-too-deep")
    for path in ("/feed/v1/FR-75/checkpoint", "/feed/v1/FR-75/snapshot", "/feed/v1/FR-75/segments/1"):
        r = request(pi, http_request("POST", path, ["Content-Type: application/json", "Connection: close"],
                                     b"[" * 800))
        check("issuer: POST %s is 405 with Allow" % path,
              is_problem(r, 405, "method-not-allowed") and r.header("Allow")
              and "POST" not in r.header("Allow"), repr(r))
    still_serves("deep JSON")
    issuer_serves("deep JSON")


# ---------------------------------------------------------------- 2. deadlines and connection limits

def trickle_body(port, path, length, every=0.5):
    """A body sent one byte every `every` s after a complete head: (answers, seconds from the head, closed)."""
    c = Conn(port, timeout=30)
    head = http_request("POST", path, ["Content-Type: text/plain", "Content-Length: %d" % length])
    c.send(head)
    t = time.monotonic()
    stop = threading.Event()

    def feed():
        for _ in range(length):
            if stop.wait(every):
                return
            try:
                c.sock.send(b"A")
            except OSError:
                return

    th = threading.Thread(target=feed)
    th.start()
    data, _, closed = c.wait_closed(15)
    took = time.monotonic() - t
    stop.set()
    th.join()
    c.close()
    return data, took, closed


def stalled_chunked(port, path):
    c = Conn(port, timeout=30)
    c.send(http_request("POST", path, ["Content-Type: text/plain", "Transfer-Encoding: chunked"]) + b"5\r\nAPI1:\r\n")
    data, took, closed = c.wait_closed(15)
    c.close()
    return data, took, closed


def trickle_head(port, every=0.5):
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: one byte at a time\r\n\r\n"
    c = Conn(port, timeout=30)
    t = time.monotonic()
    stop = threading.Event()

    def feed():
        for i in range(len(head)):
            try:
                c.sock.send(head[i:i + 1])
            except OSError:
                return
            if stop.wait(every):
                return

    th = threading.Thread(target=feed)
    th.start()
    data, _, closed = c.wait_closed(15)
    took = time.monotonic() - t
    stop.set()
    th.join()
    c.close()
    return data, took, closed


def parse_answers(data):
    """The answers in bytes received on one connection."""
    class Fake(Conn):
        def __init__(self, b):
            self.buf, self.eof, self.error = b, True, None
    try:
        return Fake(data).read_all()
    except (ValueError, IndexError):
        return []


def check_cut(name, res, status=None, slug=None):
    if isinstance(res, Exception):
        return check(name, False, repr(res))
    data, took, closed = res
    answers = parse_answers(data)
    first = answers[0] if answers else None
    ok_answer = status is None or is_problem(first, status, slug)
    note("%s: closed after %.2f s, answered %s" % (name, took, first.status if first else "nothing"))
    return check("%s: %s, closed after %.1f s (1.5 s <= t < 10 s)"
                 % (name, "%d %s" % (status, slug) if status else "closed", took),
                 closed and ok_answer and (status is None or 1.5 <= took) and took < 10,
                 "closed=%s after %.2f s, answer %s" % (closed, took, short(data)))


def group_deadlines():
    pv, pi = CFG["verifier"], CFG["issuer"]
    res = in_threads([
        lambda: trickle_body(pv, "/api/v1/verify", 500),
        lambda: stalled_chunked(pv, "/api/v1/verify"),
        lambda: trickle_head(pv),
        lambda: trickle_head(pi),
    ])
    check_cut("verifier: a body of 500 bytes sent one byte every 0.5 s", res[0], 400, "incomplete-body")
    check_cut("verifier: a chunked body that stalls after one chunk", res[1], 400, "incomplete-body")
    check_cut("verifier: a head trickled one byte every 0.5 s", res[2])
    check_cut("issuer: a head trickled one byte every 0.5 s", res[3])
    if not isinstance(res[2], Exception):
        check("verifier: the trickled head was never served (no 200)",
              not any(a.status == 200 for a in parse_answers(res[2][0])), short(res[2][0]))
    still_serves("deadlines")
    issuer_serves("deadlines")


def open_held(port, src, raws, settle=0.0):
    """Opens one connection per raw prefix from src and sends it; the sockets (failed opens: None)."""
    socks = []
    for raw in raws:
        try:
            s = connect(port, src, timeout=10)
            s.sendall(raw)
            socks.append(s)
        except OSError:
            socks.append(None)
        if settle:
            time.sleep(settle)
    return socks


def tally(socks):
    """(open, closed, answered 503 too-many-connections with Retry-After, other answers).

    A half head that reaches its deadline may also be answered 400 bad-request (CivetWeb's own timer
    can fire with the watcher's): counted as closed, not as another answer."""
    return tally_states([(True, b"") if s is None else socket_state(s) for s in socks])


def tally_until(socks, done, until):
    """tally(socks) as soon as done(open, closed, refused, other) holds, or at time.monotonic() `until`:
    a condition waited for, so that a slow machine only makes the wait longer."""
    states = [(s is None, b"") for s in socks]
    while True:
        for i, s in enumerate(socks):
            if not states[i][0]:
                is_closed, data = socket_state(s)
                states[i] = (is_closed, states[i][1] + data)
        res = tally_states(states)
        if done(*res) or time.monotonic() >= until:
            return res
        time.sleep(0.05)


def tally_states(states):
    still, closed, refused, other = 0, 0, 0, []
    for is_closed, data in states:
        if is_closed:
            closed += 1
            if data:
                answers = parse_answers(data)
                a = answers[0] if answers else None
                if is_problem(a, 503, "too-many-connections") and a.header("Retry-After"):
                    refused += 1
                elif not is_problem(a, 400, "bad-request"):
                    other.append(short(data, 120))
        else:
            still += 1
            if data:
                other.append("open with " + short(data, 120))
    return still, closed, refused, other


def close_all(socks):
    for s in socks:
        if s is not None:
            try:
                s.close()
            except OSError:
                pass


def group_limits():
    pv, pi = CFG["verifier"], CFG["issuer"]
    # 40 half heads from one address against the verifier (at most 8 per address)
    half = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Ty"
    t0 = time.monotonic()
    socks = open_held(pv, "127.0.0.2", [half] * 40)
    t = time.monotonic()
    note("verifier: 40 connections opened from 127.0.0.2 in %.2f s" % (t - t0))
    try:
        r = verify(key=CFG["key_unlimited"])
    except OSError as e:
        r = e
    keyed_took = time.monotonic() - t
    check("verifier: a keyed verification from 127.0.0.1 while 127.0.0.2 holds 40 half heads: 200 in %.2f s"
          % keyed_took, isinstance(r, Response) and r.status == 200 and keyed_took < 10, repr(r))
    # at most 8 left open, waited for until just before the 2 s request timeout (which would close them all)
    still, closed, refused, other = tally_until(socks, lambda st, *_: st <= 8, t0 + 1.9)
    note("verifier: of 40 half heads from 127.0.0.2, %d still open after %.2f s, %d closed (%d with 503 "
         "too-many-connections and Retry-After)" % (still, time.monotonic() - t0, closed, refused))
    check("verifier: of 40 half heads from one address, at most 8 still open before the request timeout (%d)"
          % still, still <= 8, "open %d, closed %d" % (still, closed))
    check("verifier: the others were closed, or answered 503 too-many-connections with Retry-After",
          not other, "; ".join(other[:3]))
    close_all(socks)
    still_serves("40 half heads")

    # bodies are not idle heads: nothing to evict, so past 8 a new connection of that address is refused
    # (the 8 ask for 100 Continue: once it came, their bodies are awaited, whatever the machine's load)
    slow = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n"
    held = open_held(pv, "127.0.0.8", [slow + b"Expect: 100-continue\r\n\r\n"] * 8)
    continued = 0
    for s in held:
        try:
            s.settimeout(10)
            got = b""
            while b"\r\n\r\n" not in got:
                d = s.recv(4096)
                if not d:
                    break
                got += d
            if got.startswith(b"HTTP/1.1 100 "):
                continued += 1
                s.sendall(b"API1:")
        except OSError:
            pass
    check("verifier: 8 half bodies from one address are awaited (100 Continue: %d of 8)" % continued,
          continued == 8, str(continued))
    more = open_held(pv, "127.0.0.8", [slow + b"\r\nAPI1:"] * 4)
    still, closed, refused, other = tally_until(more, lambda st, cl, rf, ot: rf == 4 and cl == 4,
                                                time.monotonic() + 10)
    check("verifier: 8 half bodies held from one address, 4 more are answered 503 too-many-connections with "
          "Retry-After (%d)" % refused, refused == 4 and closed == 4, "open %d, closed %d, other: %s"
          % (still, closed, "; ".join(other[:2])))
    hs, _, _, _ = tally(held)
    check("verifier: ... while the 8 held are kept (%d open)" % hs, hs == 8, "open %d" % hs)
    close_all(held + more)

    # the same against the issuer: 30 half heads and 20 half bodies from one address
    heads = [b"GET /feed/v1/FR-75/checkpoint HTTP/1.1\r\nHost: x\r\nUser-Ag"] * 30
    bodies = [b"POST /feed/v1/FR-75/checkpoint HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
              b"Content-Length: 1000\r\n\r\n" + b"A" * 10] * 20
    t0 = time.monotonic()
    socks = open_held(pi, "127.0.0.2", heads + bodies)
    t = time.monotonic()
    try:
        r = get(pi, "/feed/v1/FR-75/checkpoint")
    except OSError as e:
        r = e
    took = time.monotonic() - t
    check("issuer: GET checkpoint from 127.0.0.1 while 127.0.0.2 holds 30 half heads and 20 half bodies: "
          "200 in %.2f s" % took, isinstance(r, Response) and r.status == 200 and took < 10, repr(r))
    still, closed, refused, other = tally_until(socks, lambda st, *_: st <= 8, t0 + 1.9)
    note("issuer: of 50 slow connections from 127.0.0.2, %d still open after %.2f s, %d closed (%d with 503)"
         % (still, time.monotonic() - t0, closed, refused))
    check("issuer: of 50 slow connections from one address, at most 8 still open before the request timeout (%d)"
          % still, still <= 8, "open %d, closed %d" % (still, closed))
    close_all(socks)
    issuer_serves("50 slow connections")

    # four large images half sent from 127.0.0.3, held; an image from 127.0.0.1 is still read
    img = (b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 60000\r\n\r\n"
           + b"\x89PNG" + b"x" * 996)
    held = open_held(pv, "127.0.0.3", [img] * 4)
    time.sleep(0.3)
    junk = os.urandom(30000)
    r = request(pv, http_request("POST", "/api/v1/verify", ["Content-Type: image/png", "Connection: close"], junk))
    expect_problem("verifier: an image from 127.0.0.1 while four 60,000-byte uploads are held half sent",
                   r, 422, "unreadable-image")
    close_all(held)
    still_serves("held image uploads")


# ---------------------------------------------------------------- 2d. a stalling mirror

class Trickler:
    """An HTTP 'mirror' on 127.0.0.1 that answers any request one byte every 0.5 s, forever."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((HOST, 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.ls.settimeout(0.2)
        while not self.stop.is_set():
            try:
                s, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.trickle, args=(s,), daemon=True).start()

    def trickle(self, s):
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: 100000\r\n\r\n"
        try:
            s.settimeout(5)
            s.recv(65536)
            i = 0
            while not self.stop.is_set():
                s.send(answer[i:i + 1] if i < len(answer) else b"\0")
                i += 1
                self.stop.wait(0.5)
        except OSError:
            pass
        finally:
            s.close()

    def close(self):
        self.stop.set()
        self.ls.close()


def run_sync(args, data_dir):
    cmd = CFG["sync"] + ["--data", data_dir] + args
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, time.monotonic() - t, p.stdout.decode(errors="replace")


def group_mirror():
    tr = Trickler()
    turl = "http://127.0.0.1:%d" % tr.port
    iurl = "http://127.0.0.1:%d" % CFG["issuer"]
    vurl = "http://127.0.0.1:%d" % CFG["verifier"]  # a good mirror: the verifier re-serves the feeds it holds
    try:
        rc, took, out = run_sync(["--from", turl], "sync-a")
        note("sync --from a stalling mirror: exit %d after %.2f s" % (rc, took))
        check("sync --from a stalling mirror (--timeout 2): exit 0 in %.1f s (< 30 s)" % took,
              rc == 0 and took < 30, "exit %d after %.1f s: %s" % (rc, took, short(out)))
        check("... FR-75 reached from the issuer itself", ("FR-75: " + iurl) in out, short(out))

        n0 = tr.connections
        rc, took, out = run_sync(["--from", turl, "--mirrors-only"], "sync-b")
        note("sync --mirrors-only --from a stalling mirror: exit %d after %.2f s, %d connections to it"
             % (rc, took, tr.connections - n0))
        check("sync --mirrors-only --from the stalling mirror alone: gives up in %.1f s (< 30 s), exit 1" % took,
              rc == 1 and took < 30 and tr.connections > n0,
              "exit %d after %.1f s, %d connections: %s" % (rc, took, tr.connections - n0, short(out)))

        n0 = tr.connections
        rc, took, out = run_sync(["--from", turl, "--from", vurl, "--mirrors-only"], "sync-c")
        note("sync --mirrors-only --from the stalling mirror, then the verifier as a mirror: exit %d after %.2f s"
             % (rc, took))
        check("sync --mirrors-only --from the stalling mirror then a good one: exit 0 in %.1f s (< 30 s), "
              "FR-75 from the good one" % took,
              rc == 0 and took < 30 and tr.connections > n0 and ("FR-75: " + vurl) in out,
              "exit %d after %.1f s, %d connections to the trickler: %s"
              % (rc, took, tr.connections - n0, short(out)))
    finally:
        tr.close()
    still_serves("stalling mirror")


# ---------------------------------------------------------------- 3. header injection, open redirects

def group_redirects():
    if not CFG["web_root"]:
        print("ok web pages: header injection and redirects skipped: web/dist not built", flush=True)
        still_serves("redirects")
        return
    pv = CFG["verifier"]
    r = get(pv, "/%0d%0aSet-Cookie:%20x=1%0d%0aX-A:%20/..%2fcheck")
    check("GET /%0d%0aSet-Cookie:... is 400 without Set-Cookie",
          r is not None and r.status == 400 and r.header("Set-Cookie") is None and r.header("X-A") is None, repr(r))
    r = get(pv, "/%2fevil.example/..%2fcheck")
    check("GET /%2fevil.example/..%2fcheck is 400 or 404 without Location",
          r is not None and r.status in (400, 404) and r.header("Location") is None, repr(r))
    r = get(pv, "/check")
    check("GET /check is 301 to /check/ exactly",
          r is not None and r.status == 301 and r.all("Location") == ["/check/"], repr(r))
    r = get(pv, "/holder")
    check("GET /holder is 301 to /holder/ exactly",
          r is not None and r.status == 301 and r.all("Location") == ["/holder/"], repr(r))
    r = get(pv, "/assets")
    check("GET /assets (a folder without its slash) is 404 without Location",
          r is not None and r.status == 404 and r.header("Location") is None, repr(r))
    r = get(pv, "/check/")
    check("GET /check/ is 200 text/html",
          r is not None and r.status == 200 and (r.header("Content-Type") or "").startswith("text/html")
          and b"<" in r.body, repr(r))
    for path in ("//evil.example/check", "/check/..%2f..%2f..%2fetc/passwd", "/%5cevil.example"):
        r = get(pv, path)
        check("GET %s is 400 or 404 without Location" % path,
              r is not None and r.status in (400, 404) and r.header("Location") is None, repr(r))
    still_serves("redirects")


# ---------------------------------------------------------------- 4. memory bounded before parsing

def group_memory():
    pv = CFG["verifier"]
    limit = 4 * 256 * 1024
    n = (1048000 - len(b'{"payloads":[0]}')) // 2
    body = b'{"payloads":[' + b"0," * n + b"0]}"
    check("the batch body is just under 4 x --max-body (%d of %d bytes)" % (len(body), limit),
          1040000 < len(body) < limit, str(len(body)))
    hdr = ["Content-Type: application/json", "X-API-Key: " + CFG["key_unlimited"], "Connection: close"]
    raw = http_request("POST", "/api/v1/verify/batch", hdr, body)
    pid = CFG["verifier_pid"]
    before = peak_rss_kb(pid)
    r = request(pv, raw, timeout=60)
    expect_problem("a batch of %d bytes of zeros" % len(body), r, 413, "batch-too-large")
    # 16 at once, four from each of four addresses (one address may hold 8 connections)
    srcs = ["127.0.0.%d" % (4 + i // 4) for i in range(16)]
    res = in_threads([lambda s=s: request(pv, raw, src=s, timeout=60) for s in srcs])
    good = sum(1 for x in res if isinstance(x, Response) and is_problem(x, 413, "batch-too-large"))
    check("16 such batches at once (rate-0 key): all 413 batch-too-large (%d)" % good, good == 16,
          "; ".join(repr(x) for x in res if not (isinstance(x, Response) and is_problem(x, 413, "batch-too-large")))[:600])
    after = peak_rss_kb(pid)
    note("verifier peak RSS (VmHWM): %.1f MB before the batch attack, %.1f MB after" % (before / 1024, after / 1024))
    check("the verifier's peak RSS stays under 300 MB (%.1f MB before, %.1f MB after)"
          % (before / 1024, after / 1024), 0 < after < 300 * 1024, "%d kB" % after)
    still_serves("batch memory")


# ---------------------------------------------------------------- 5. headers on every answer

def security_headers_ok(r):
    csp = r.header("Content-Security-Policy") or ""
    problems = []
    if (r.header("X-Content-Type-Options") or "").lower() != "nosniff":
        problems.append("X-Content-Type-Options")
    if not r.header("Referrer-Policy"):
        problems.append("Referrer-Policy")
    if (r.header("X-Frame-Options") or "").upper() != "DENY":
        problems.append("X-Frame-Options")
    if "frame-ancestors 'none'" not in csp:
        problems.append("CSP frame-ancestors")
    return problems


def csp_directive(csp, name):
    for d in csp.split(";"):
        d = d.strip()
        if d.split(" ", 1)[0] == name:
            return d
    return None


def group_headers():
    pv, pi = CFG["verifier"], CFG["issuer"]
    web = CFG["web_root"]
    targets = []
    if web:
        targets += [("verifier", pv, "GET", "/check/", 200), ("verifier", pv, "GET", "/holder/", 200),
                    ("verifier", pv, "GET", "/assets/style.css", 200)]
    else:
        print("ok web pages' headers skipped: web/dist not built", flush=True)
    targets += [("verifier", pv, "GET", "/healthz", 200), ("verifier", pv, "GET", "/api/v1/trust-list", 200),
                ("verifier", pv, "GET", "/api/v1/nothing", 404), ("verifier", pv, "DELETE", "/api/v1/trust-list", 405),
                ("verifier", pv, "GET", "/feed/v1/FR-75/checkpoint", 200),
                ("issuer", pi, "GET", "/feed/v1/FR-75/checkpoint", 200), ("issuer", pi, "GET", "/nothing", 404),
                ("issuer", pi, "DELETE", "/feed/v1/FR-75/checkpoint", 405)]
    for who, port, method, path, status in targets:
        r = request(port, http_request(method, path, ["Connection: close"]))
        missing = security_headers_ok(r) if r else ["no answer"]
        check("%s: %s %s (%d) carries nosniff, Referrer-Policy, X-Frame-Options DENY, CSP frame-ancestors 'none'"
              % (who, method, path, status), r is not None and r.status == status and not missing,
              "missing %s in %r" % (missing, r))
    if not web:
        still_serves("headers")
        return
    for page in ("/check/", "/holder/"):
        r = get(pv, page) or NO_ANSWER
        csp = r.header("Content-Security-Policy") or ""
        script = csp_directive(csp, "script-src") or ""
        check("%s: CSP script-src without 'unsafe-inline', and connect-src 'self'" % page,
              script and "'unsafe-inline'" not in script and "connect-src 'self'" in csp, csp)
    # a file with a .gz copy beside it
    name = "/assets/style.css"
    plain = open(os.path.join(web, name.lstrip("/")), "rb").read()
    r = get(pv, name) or NO_ANSWER
    check("%s without Accept-Encoding: Vary: Accept-Encoding, not encoded" % name,
          r.status == 200 and "accept-encoding" in (r.header("Vary") or "").lower()
          and r.header("Content-Encoding") is None and r.body == plain, repr(r))
    r = get(pv, name, ["Accept-Encoding: gzip"]) or NO_ANSWER
    body_ok = False
    try:
        body_ok = gzip.decompress(r.body) == plain
    except (OSError, EOFError):
        pass
    check("%s with Accept-Encoding: gzip: Content-Encoding: gzip, Vary: Accept-Encoding, the same bytes" % name,
          r.status == 200 and (r.header("Content-Encoding") or "") == "gzip"
          and "accept-encoding" in (r.header("Vary") or "").lower() and body_ok, repr(r))
    still_serves("headers")


# ---------------------------------------------------------------- 6. ambiguous HTTP

def one_answer_then_close(name, port, raw, status, slug=None):
    answers, closed = exchange_until_close(port, raw)
    first = answers[0] if answers else None
    good = first is not None and first.status == status and (slug is None or is_problem(first, status, slug))
    return check("%s: %d%s, and nothing else on the connection" % (name, status, " " + slug if slug else ""),
                 good and len(answers) == 1 and closed,
                 "%d answers%s: %s" % (len(answers), "" if closed else " (still open)",
                                       " | ".join(repr(a) for a in answers)[:600]))


def group_framing():
    pv, pi = CFG["verifier"], CFG["issuer"]
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    text = b"API1:"
    for who, port, path in (("verifier", pv, "/api/v1/verify"), ("issuer", pi, "/feed/v1/FR-75/checkpoint")):
        method = "POST" if who == "verifier" else "GET"
        base = ["Content-Type: text/plain"]
        one_answer_then_close("%s: two differing Content-Length" % who, port,
                              http_request(method, path, base + ["Content-Length: 5",
                                                                  "Content-Length: %d" % (5 + len(smuggled))],
                                           text + smuggled), 400, "bad-request")
        one_answer_then_close("%s: 'Content-Length : 5' (a blank before the colon)" % who, port,
                              http_request(method, path, base + ["Content-Length : 5"], text + smuggled),
                              400, "bad-request")
        one_answer_then_close("%s: Content-Length: +5" % who, port,
                              http_request(method, path, base + ["Content-Length: +5"], text + smuggled),
                              400, "bad-request")
        one_answer_then_close("%s: Content-Length: 0x5" % who, port,
                              http_request(method, path, base + ["Content-Length: 0x5"], text + smuggled),
                              400, "bad-request")
        one_answer_then_close("%s: Content-Length with Transfer-Encoding: chunked" % who, port,
                              http_request(method, path, base + ["Content-Length: 10", "Transfer-Encoding: chunked"],
                                           b"5\r\nAPI1:\r\n0\r\n\r\n" + smuggled), 400, "bad-request")
        one_answer_then_close("%s: a folded header line" % who, port,
                              http_request(method, path, base + ["X-Note: a", " folded", "Content-Length: 5"],
                                           text), 400, "bad-request")
        one_answer_then_close("%s: HTTP/1.1 without Host" % who, port,
                              http_request("GET", "/healthz" if who == "verifier" else path, [], host=None),
                              400, "bad-request")
    many = ["X-Filler-%02d: %d" % (i, i) for i in range(69)] + ["X-API-Key: " + CFG["key_default"]]
    one_answer_then_close("verifier: 70 headers, X-API-Key the 70th", pv,
                          http_request("POST", "/api/v1/verify", many[:-1] + ["Content-Type: text/plain", many[-1]],
                                       CFG["text"].encode()), 431, "request-header-fields-too-large")
    one_answer_then_close("issuer: 70 headers", pi,
                          http_request("GET", "/feed/v1/FR-75/checkpoint", many), 431,
                          "request-header-fields-too-large")
    # a control: the same key in a short head is accepted, so the 431 is about the head, not the key
    r = verify(key=CFG["key_default"])
    check("verifier: the default-rate key in a normal head: 200", r is not None and r.status == 200, repr(r))
    still_serves("framing")
    issuer_serves("framing")


# ---------------------------------------------------------------- 7. smaller items

def group_misc():
    pv, pi, pc = CFG["verifier"], CFG["issuer"], CFG["cors"]
    web = CFG["web_root"]
    if web:
        for m in ("PUT", "DELETE", "PATCH", "MKCOL", "PROPFIND"):
            extra = ["Content-Length: 0"] if m in ("PUT", "PATCH", "MKCOL") else []
            if m == "PROPFIND":
                extra = ["Depth: 1", "Content-Length: 0"]
            r = request(pv, http_request(m, "/check/", extra + ["Connection: close"]))
            check("%s /check/: 405 with Allow, no WWW-Authenticate, no 207" % m,
                  r is not None and r.status == 405 and r.header("Allow") and r.header("WWW-Authenticate") is None,
                  repr(r))
        r = request(pv, http_request("OPTIONS", "/check/", ["Connection: close"]))
        check("OPTIONS /check/: no Access-Control-Allow-Origin, no DAV, no WWW-Authenticate",
              r is not None and r.header("Access-Control-Allow-Origin") is None and r.header("DAV") is None
              and r.header("WWW-Authenticate") is None and r.status < 500, repr(r))
        check("OPTIONS /check/ (not a CORS preflight): 405 with Allow: GET, HEAD",
              r is not None and r.status == 405 and r.header("Allow") == "GET, HEAD", repr(r))
        r = request(pv, http_request("OPTIONS", "/check/", ["Origin: https://caf.example",
                                                           "Access-Control-Request-Method: GET", "Connection: close"]))
        check("a CORS preflight without --cors-origin: 204, and no CORS header",
              r is not None and r.status == 204 and r.header("Access-Control-Allow-Origin") is None, repr(r))
        r = get(pv, "/check/index.html%00.png")
        check("GET /check/index.html%00.png: 400", r is not None and r.status == 400, repr(r))
        size = os.path.getsize(os.path.join(web, "check", "index.html"))
        r = get(pv, "/check/index.html", ["Range: bytes=99999999-"])
        check("Range: bytes=99999999- on /check/index.html: 416 with Content-Range: bytes */%d" % size,
              r is not None and r.status == 416 and r.header("Content-Range") == "bytes */%d" % size, repr(r))
        r = get(pv, "/check/index.html", ["Range: bytes=0-9"])
        first = open(os.path.join(web, "check", "index.html"), "rb").read(10)
        check("Range: bytes=0-9 on /check/index.html: 206 with those 10 bytes",
              r is not None and r.status == 206 and r.body == first
              and r.header("Content-Range") == "bytes 0-9/%d" % size, repr(r))
    else:
        print("ok WebDAV methods, OPTIONS and ranges on the pages skipped: web/dist not built", flush=True)
    for m in ("PUT", "PROPFIND"):
        r = request(pv, http_request(m, "/api/v1/trust-list", ["Content-Length: 0", "Connection: close"]))
        check("%s /api/v1/trust-list: 405 with Allow, no WWW-Authenticate" % m,
              r is not None and r.status == 405 and r.header("Allow") and r.header("WWW-Authenticate") is None,
              repr(r))
    # CORS on the second verifier
    pre = ["Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type", "Connection: close"]
    r = request(pc, http_request("OPTIONS", "/api/v1/verify", ["Origin: https://caf.example"] + pre))
    check("CORS verifier: preflight from https://caf.example: 204 with Access-Control-Allow-Origin",
          r is not None and r.status == 204 and r.header("Access-Control-Allow-Origin") == "https://caf.example",
          repr(r))
    r = request(pc, http_request("OPTIONS", "/api/v1/verify", ["Origin: https://evil.example"] + pre))
    check("CORS verifier: preflight from https://evil.example: no Access-Control-Allow-Origin",
          r is not None and r.status < 500 and r.header("Access-Control-Allow-Origin") is None, repr(r))
    r = request(pc, http_request("POST", "/api/v1/verify", ["Origin: https://evil.example", "Content-Type: text/plain",
                                                             "Connection: close"], CFG["text"].encode()))
    check("CORS verifier: a POST from https://evil.example carries no Access-Control-Allow-Origin",
          r is not None and r.status == 200 and r.header("Access-Control-Allow-Origin") is None, repr(r))
    r = get(pc, "/metrics") or NO_ANSWER
    five = [l for l in r.body.decode(errors="replace").splitlines()
            if l.startswith("api_verifier_requests_total{") and 'status="5' in l]
    check("CORS verifier: after the preflights, /metrics counts no 5xx", r.status == 200 and not five,
          "; ".join(five) or repr(r))
    r = get(pv, "/metrics%00")
    check("GET /metrics%00: 400", r is not None and r.status == 400, repr(r))
    # Expect: 100-continue
    body = CFG["text"].encode()
    c = Conn(pv, timeout=10)
    try:
        c.send(http_request("POST", "/api/v1/verify", ["Content-Type: text/plain", "Expect: 100-continue",
                                                       "Content-Length: %d" % len(body), "Connection: close"]))
        interim = c.read_response()
        check("Expect: 100-continue: the server first sends HTTP/1.1 100 Continue",
              interim is not None and interim.status == 100 and interim.version == "HTTP/1.1", repr(interim))
        c.send(body)
        final = c.read_response()
        j = final.json() if final else None
        check("... then, after the body, 200 valid",
              final is not None and final.status == 200 and isinstance(j, dict) and j.get("result") == "valid",
              repr(final))
    except OSError as e:
        check("Expect: 100-continue", False, repr(e))
    finally:
        c.close()
    r = request(pv, http_request("POST", "/api/v1/verify", ["Content-Type: text/plain", "Expect: something-else",
                                                             "Connection: close"], body))
    expect_problem("Expect: something-else", r, 417, "expectation-failed")
    # absolute-form targets
    r = request(pv, http_request("GET", "http://127.0.0.1:%d/healthz" % pv, ["Connection: close"],
                                 host="127.0.0.1:%d" % pv))
    check("GET http://127.0.0.1:<its port>/healthz: 200", r is not None and r.status == 200, repr(r))
    # sent at once after the connection opens, as clients do; ten times, since a lost answer may be a race
    for who, port, path in (("verifier", pv, "/healthz"), ("issuer", pi, "/feed/v1/FR-75/checkpoint")):
        got, r = [], None
        for _ in range(10):
            r = request(port, http_request("GET", "http://other.example" + path, ["Connection: close"],
                                           host="other.example"))
            got.append(r.status if r else "closed without an answer")
            if not is_problem(r, 421, "misdirected-request"):
                break
        check("%s: GET http://other.example%s HTTP/1.1 (another port): 421 misdirected-request, 10 times of 10"
              % (who, path), len(got) == 10 and all(g == 421 for g in got),
              "attempt %d: %s" % (len(got), repr(r) if r else got[-1]))
        got = []
        for _ in range(10):
            r = request(port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got.append(r.status if r else "closed without an answer")
            if r is None or r.status != 204:
                break
        check("%s: OPTIONS * HTTP/1.1: 204, 10 times of 10" % who, len(got) == 10 and all(g == 204 for g in got),
              "attempt %d: %s" % (len(got), got[-1]))
    # Connection: close on the issuer
    c = Conn(pi, timeout=10)
    try:
        c.send(http_request("GET", "/feed/v1/FR-75/checkpoint", ["Connection: close"]))
        r = c.read_response()
        check("issuer: Connection: close is answered with Connection: close",
              r is not None and r.status == 200 and (r.header("Connection") or "").lower() == "close", repr(r))
        rest, took, closed = c.wait_closed(5)
        check("issuer: ... and the connection is closed (%.2f s)" % took, closed and not rest,
              "closed=%s after %.2f s, then %s" % (closed, took, short(rest)))
    finally:
        c.close()
    still_serves("smaller items")
    issuer_serves("smaller items")


# ---------------------------------------------------------------- 8. the attacks in /metrics

def group_metrics():
    r = get(CFG["verifier"], "/metrics") or NO_ANSWER
    values = {}
    for line in r.body.decode(errors="replace").splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            values[k] = v
    for name in ('api_verifier_connections_refused_total{reason="per_address"}', "api_verifier_bodies_cut_total",
                 'api_verifier_http_refused_total{reason="framing"}',
                 'api_verifier_http_refused_total{reason="too_many_headers"}'):
        v = values.get(name)
        try:
            n = float(v)
        except (TypeError, ValueError):
            n = -1
        check("metrics: %s > 0 (%s)" % (name, v), n > 0, "value %r" % v)
    for name in sorted(values):
        if name.startswith(("api_verifier_connections_", "api_verifier_bodies_", "api_verifier_http_refused")):
            note("%s %s" % (name, values[name]))
    still_serves("metrics")


GROUPS = {
    "deep-json": group_deep_json,
    "deadlines": group_deadlines,
    "limits": group_limits,
    "mirror": group_mirror,
    "redirects": group_redirects,
    "memory": group_memory,
    "headers": group_headers,
    "framing": group_framing,
    "misc": group_misc,
    "metrics": group_metrics,
}


def main():
    if len(sys.argv) < 3 or any(g not in GROUPS for g in sys.argv[2:]):
        sys.stderr.write("usage: hostile_http.py CONFIG.json GROUP...\ngroups: %s\n" % " ".join(GROUPS))
        return 2
    CFG.update(json.load(open(sys.argv[1])))
    for g in sys.argv[2:]:
        try:
            GROUPS[g]()
        except Exception as e:  # noqa: BLE001 - a client error is a failed check, not a silent stop
            import traceback
            traceback.print_exc()
            print("FAIL group %s stopped on %r" % (g, e), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
