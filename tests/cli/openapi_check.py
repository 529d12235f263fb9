#!/usr/bin/env python3
"""Checks a running `api-verifier serve` against docs/openapi.yaml, both ways.

Forward: every documented operation is called, and each answer's status must
be one the document lists for that operation, its Content-Type one of that
response's media types, its body valid against that media type's schema
(JSON Schema draft 2020-12, every $ref of the document resolved first), and
the headers the document marks required present and valid. Reports are also
checked against the schema of the caller's profile (ReportAnonymous,
ReportIdentity, ReportEmployer, ReportFull). The document's own examples are
validated against their schemas too.

Reverse: paths the document does not name must be 404 `not-found` problems,
and methods it does not list for a path must be 405 `method-not-allowed`
problems whose Allow header names exactly the documented methods.

Input: a JSON file of fixtures written by tests/cli/test_openapi.sh (QR texts,
images, API keys, the issuer and segment to ask for). Output: one line per
check, "ok   NAME" or "FAIL NAME (why)", read by the shell test.

Runs with the Debian packages python3-yaml and python3-jsonschema (4.10 or
later); nothing else.
"""
import argparse
import base64
import copy
import http.client
import json
import re
import socket
import sys
import urllib.parse

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROFILE_SCHEMA = {
    None: "ReportAnonymous",
    "bank": "ReportIdentity",
    "landlord": "ReportIdentity",
    "employer": "ReportEmployer",
    "social": "ReportFull",
}

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok   " + name, flush=True)


def bad(name, why):
    global failed
    failed += 1
    why = " ".join(str(why).split())
    if len(why) > 600:
        why = why[:600] + "..."
    print("FAIL %s (%s)" % (name, why), flush=True)


# ---- the document -------------------------------------------------------


def pointer(doc, ref):
    if not ref.startswith("#/"):
        raise ValueError("only local references are used here: " + ref)
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def resolve(doc, node, seen=()):
    """The node with every $ref replaced by what it names (siblings kept, in an allOf)."""
    if isinstance(node, list):
        return [resolve(doc, x, seen) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and isinstance(node["$ref"], str):
        ref = node["$ref"]
        if ref in seen:
            raise ValueError("recursive $ref " + ref)
        target = resolve(doc, pointer(doc, ref), seen + (ref,))
        rest = {k: resolve(doc, v, seen) for k, v in node.items() if k != "$ref"}
        if not rest:
            return target
        if isinstance(target, dict) and not any(k in target for k in rest):
            # an OpenAPI object (response, header, example) or a schema with added annotations
            merged = dict(target)
            merged.update(rest)
            return merged
        return {"allOf": [target], **rest}
    return {k: resolve(doc, v, seen) for k, v in node.items()}


class Document:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.raw = yaml.safe_load(f)
        self.doc = resolve(self.raw, self.raw)
        self.templates = []  # (template, regex, path item)
        for template, item in self.doc["paths"].items():
            params = {}
            for p in item.get("parameters", []):
                if p.get("in") == "path":
                    params[p["name"]] = p
            rx = "^"
            for piece in re.split(r"(\{[^}]+\})", template):
                if piece.startswith("{"):
                    rx += "(?P<%s>[^/]+)" % piece[1:-1]
                else:
                    rx += re.escape(piece)
            self.templates.append((template, re.compile(rx + "$"), item))

    def match(self, path):
        """(template, path item, path parameters) for a request path, or None."""
        path = urllib.parse.urlsplit(path).path
        for template, rx, item in self.templates:
            m = rx.match(path)
            if not m:
                continue
            params = m.groupdict()
            good = True
            for p in item.get("parameters", []):
                if p.get("in") == "path" and p["name"] in params:
                    v = urllib.parse.unquote(params[p["name"]])
                    if not schema_ok(p["schema"], v):
                        good = False
            if good:
                return template, item, params
        return None

    def methods(self, item):
        return sorted(m.upper() for m in item if m in METHODS)

    def schema(self, name):
        return self.doc["components"]["schemas"][name]

    def response(self, name):
        return self.doc["components"]["responses"][name]


def validator(schema):
    return jsonschema.Draft202012Validator(schema)


def schema_ok(schema, value):
    return validator(schema).is_valid(value)


def schema_errors(schema, value):
    errs = sorted(validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    out = []
    for e in errs[:3]:
        out.append(best_message(e))
    return "; ".join(out)


def best_message(e):
    """For anyOf / oneOf, the deepest error of the alternatives: the instance itself says little."""
    while e.context:
        e = max(e.context, key=lambda c: (len(list(c.absolute_path)), len(list(c.absolute_schema_path))))
    where = "/".join(str(p) for p in e.absolute_path)
    return ("at %s: " % where if where else "") + e.message[:300]


# ---- HTTP -----------------------------------------------------------------


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lowercase name -> value
        self.body = body

    @property
    def ctype(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def request(base, method, path, body=None, headers=None, timeout=60):
    """One request on its own connection. A body the server refuses early is still answered."""
    u = urllib.parse.urlsplit(base)
    host, port = u.hostname, u.port or 80
    hdrs = {"Host": "%s:%d" % (host, port), "Connection": "close"}
    hdrs.update(headers or {})
    if body is not None:
        hdrs["Content-Length"] = str(len(body))
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs.items()) + "\r\n"
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(head.encode("latin-1"))
        if body:
            try:
                view = memoryview(body)
                for i in range(0, len(body), 65536):
                    sock.sendall(view[i:i + 65536])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered before reading everything: read that answer
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        data = resp.read() if method != "HEAD" else b""
        hd = {k.lower(): v for k, v in resp.getheaders()}
        return Answer(resp.status, hd, data)
    finally:
        sock.close()


# ---- checking an answer against the document ------------------------------


class Checker:
    def __init__(self, doc, base):
        self.doc = doc
        self.base = base
        self.no_nosniff = set()  # requests answered without X-Content-Type-Options: nosniff

    def call(self, name, method, path, body=None, headers=None, want=None, slug=None, profile="anonymous"):
        """Sends the request, checks the answer against the document; returns the Answer or None."""
        try:
            a = request(self.base, method, path, body, headers)
        except Exception as e:  # noqa: BLE001 - any failure to get an answer is a failed check
            bad(name, "%s %s: no answer: %s" % (method, path, e))
            return None
        problems = self.conforms(method, path, a, profile)
        if want is not None and a.status != want:
            problems.insert(0, "status %d, wanted %d" % (a.status, want))
        if slug is not None:
            got = None
            if a.ctype == "application/problem+json":
                try:
                    got = a.json().get("type")
                except ValueError:
                    pass
            if got != "/problems/" + slug:
                problems.append("problem type %r, wanted /problems/%s" % (got, slug))
        if problems:
            detail = "; ".join(problems)
            if a.body and a.ctype in ("application/json", "application/problem+json", "text/plain"):
                detail += " | body: " + a.body[:200].decode("utf-8", "replace")
            bad(name, detail)
        else:
            ok(name)
        return a

    def conforms(self, method, path, a, profile):
        """What is wrong with answer a to METHOD path, according to the document."""
        problems = []
        if a.headers.get("x-content-type-options", "").lower() != "nosniff":
            self.no_nosniff.add("%s %s" % (method, path))
        m = self.doc.match(path)
        if m is None:
            return problems + self.matches_component(method, a, "NotFound", 404)
        template, item, _ = m
        op = item.get(method.lower())
        if op is None and method == "HEAD" and "get" in item:
            op = item["get"]  # HEAD is GET without the body (RFC 9110)
        if op is None:
            problems += self.matches_component(method, a, "MethodNotAllowed", 405)
            if a.status == 405:
                allow = {x.strip().upper() for x in a.headers.get("allow", "").split(",") if x.strip()}
                documented = set(self.doc.methods(item))
                if "GET" in documented:
                    documented.add("HEAD")
                if not allow or not allow <= documented or not set(self.doc.methods(item)) <= allow:
                    problems.append("Allow %r, documented methods %s" % (a.headers.get("allow"), sorted(documented)))
            return problems
        responses = op.get("responses", {})
        spec = responses.get(str(a.status)) or responses.get("%dXX" % (a.status // 100)) or responses.get("default")
        if spec is None:
            return problems + ["status %d is not documented for %s %s (documented: %s)"
                               % (a.status, method, template, ", ".join(sorted(responses)))]
        problems += self.matches(method, a, spec, profile)
        return problems

    def matches_component(self, method, a, name, status):
        if a.status != status:
            return ["status %d, but this request is not documented, so it must be %d" % (a.status, status)]
        return self.matches(method, a, self.doc.response(name), None)

    def matches(self, method, a, spec, profile):
        problems = []
        for hname, h in spec.get("headers", {}).items():
            value = a.headers.get(hname.lower())
            if value is None:
                if h.get("required"):
                    problems.append("no %s header" % hname)
                continue
            if "schema" in h and not schema_ok(h["schema"], value):
                problems.append("header %s: %r: %s" % (hname, value, schema_errors(h["schema"], value)))
        content = spec.get("content")
        if not content:
            if a.body:
                problems.append("a body where the document says none")
            return problems
        if a.ctype not in content:
            problems.append("Content-Type %r, documented: %s" % (a.headers.get("content-type"), ", ".join(content)))
            return problems
        schema = content[a.ctype].get("schema")
        if method == "HEAD":
            if a.body:
                problems.append("a body in the answer to HEAD")
            return problems
        if a.ctype.endswith("json"):
            try:
                value = a.json()
            except ValueError as e:
                return problems + ["not JSON: %s" % e]
        elif a.ctype.startswith("text/"):
            try:
                value = a.body.decode("utf-8")
            except UnicodeDecodeError:
                return problems + ["not UTF-8 text"]
        else:
            value = None
            if a.ctype == "application/cose" and (not a.body or a.body[0] != 0xD2):
                problems.append("not a COSE_Sign1 (CBOR tag 18)")
        if schema is not None and value is not None:
            err = schema_errors(schema, value)
            if err:
                problems.append("schema: " + err)
            elif profile != "none" and isinstance(value, dict) and isinstance(value.get("report"), dict):
                problems += self.profile_problems(value["report"], profile)
            elif profile != "none" and isinstance(value, dict) and "result" in value:
                problems += self.profile_problems(value, profile)
            elif profile != "none" and isinstance(value, dict) and "results" in value:
                for i, r in enumerate(value["results"]):
                    p = self.profile_problems(r.get("report", r), profile)  # a watch result holds its report
                    if p:
                        problems.append("results[%d]: %s" % (i, "; ".join(p)))
                        break
        return problems

    def profile_problems(self, report, profile):
        name = PROFILE_SCHEMA.get(None if profile == "anonymous" else profile)
        if name is None:
            return []
        err = schema_errors(self.doc.schema(name), report)
        return ["not a %s (profile %s): %s" % (name, profile, err)] if err else []


# ---- the checks -------------------------------------------------------------


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def multipart(field, filename, ctype, data):
    boundary = "----api-verifier-check-7d1f0c"
    head = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
            "Content-Type: %s\r\n\r\n" % (boundary, field, filename, ctype)).encode()
    return head + data + ("\r\n--%s--\r\n" % boundary).encode(), "multipart/form-data; boundary=" + boundary


def multipart_field(name, value):
    boundary = "----api-verifier-check-7d1f0c"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n--%s--\r\n"
            % (boundary, name, value, boundary)).encode()
    return body, "multipart/form-data; boundary=" + boundary


def check_document(doc):
    """The document itself: OpenAPI 3.1, operation ids, path parameters, examples valid."""
    raw = doc.raw
    if str(raw.get("openapi", "")).startswith("3.1"):
        ok("document: OpenAPI 3.1")
    else:
        bad("document: OpenAPI 3.1", "openapi: %r" % raw.get("openapi"))
    ids, problems = [], []
    for template, item in doc.doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        if declared != set(re.findall(r"\{([^}]+)\}", template)):
            problems.append("%s: path parameters %s" % (template, sorted(declared)))
        for m in METHODS:
            op = item.get(m)
            if op is None:
                continue
            ids.append(op.get("operationId"))
            if not op.get("responses"):
                problems.append("%s %s: no responses" % (m, template))
            if not op.get("description") and not op.get("summary"):
                problems.append("%s %s: no description" % (m, template))
    if len(ids) != len(set(ids)) or None in ids:
        problems.append("operationIds missing or repeated")
    for name, schema in doc.doc["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append("schema %s: %s" % (name, e.message))
    if problems:
        bad("document: structure", "; ".join(problems))
    else:
        ok("document: every operation has an id, a description and responses; schemas are valid 2020-12")
    n, problems = 0, []

    def walk(node, where):
        nonlocal n
        if isinstance(node, dict):
            if "schema" in node and isinstance(node.get("examples"), dict):
                for ename, ex in node["examples"].items():
                    if isinstance(ex, dict) and "value" in ex:
                        n += 1
                        err = schema_errors(node["schema"], ex["value"])
                        if err:
                            problems.append("%s example %s: %s" % (where, ename, err))
            for k, v in node.items():
                walk(v, where + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, where + "/" + str(i))

    walk(doc.doc["paths"], "paths")
    for pname, schema in [("ReportFull", "ReportFull"), ("ReportAnonymous", "ReportAnonymous"),
                          ("ReportEmployerRevoked", "ReportEmployer"), ("ReportMalformed", "ReportAnonymous")]:
        ex = doc.doc["components"]["examples"].get(pname)
        if ex is not None:
            n += 1
            err = schema_errors(doc.schema(schema), ex["value"])
            if err:
                problems.append("example %s as %s: %s" % (pname, schema, err))
    if problems:
        bad("document: %d examples valid against their schemas" % n, "; ".join(problems))
    else:
        ok("document: %d examples valid against their schemas" % n)


def check_verify(c, fx):
    p = fx["payloads"]
    anon = {"Content-Type": "application/json"}
    a = c.call("verify: JSON payload, anonymous: valid", "POST", "/api/v1/verify",
               json.dumps({"payload": p["valid"]}).encode(), anon, want=200)
    if a and a.status == 200:
        r = a.json()
        if r.get("result") != "valid":
            bad("verify: the valid attestation is valid", "result %r reason %r" % (r.get("result"), r.get("reason")))
        else:
            ok("verify: the valid attestation is valid")
        if "holder" in r and set(r["holder"]) == {"family_name", "given_names"} and "attestation_id" not in r:
            ok("verify: anonymous sees the names, no birth date, no attestation id")
        else:
            bad("verify: anonymous sees the names, no birth date, no attestation id", json.dumps(r)[:300])
    for name, want in (("revoked", "revoked"), ("suspended", "suspended"), ("expired", "expired"),
                       ("unknown_issuer", "unknown_issuer"), ("tampered", None), ("not_api", "malformed")):
        if name not in p:
            continue
        a = c.call("verify: %s" % name, "POST", "/api/v1/verify", json.dumps({"payload": p[name]}).encode(),
                   anon, want=200)
        if a and a.status == 200 and want and a.json().get("result") != want:
            bad("verify: %s gives %s" % (name, want), "result %r" % a.json().get("result"))
        elif a and a.status == 200 and want:
            ok("verify: %s gives %s" % (name, want))

    for profile, key in sorted(fx.get("keys", {}).items()):
        for pname in ("valid", "revoked"):
            a = c.call("verify: profile %s, %s (%s)" % (profile, pname, PROFILE_SCHEMA.get(profile)), "POST",
                       "/api/v1/verify", json.dumps({"payload": p[pname]}).encode(),
                       {"Content-Type": "application/json", "X-API-Key": key}, want=200, profile=profile)
    # Compact answers: one language, none, the keyed caller's Accept-Language; a request without a
    # key keeps both languages whatever its Accept-Language says.
    social = fx.get("keys", {}).get("social")
    if social:
        kh = {"Content-Type": "application/json", "X-API-Key": social}
        body = json.dumps({"payload": p["valid"]}).encode()
        for query, headers, langs, what in (
                ("?lang=fr", kh, ["fr"], "lang=fr: French only"),
                ("?lang=en", kh, ["en"], "lang=en: English only"),
                ("?explain=false", kh, None, "explain=false: no explanation"),
                ("?explain=true", kh, ["en", "fr"], "explain=true: both languages"),
                ("?explain=false&lang=fr", kh, None, "explain=false wins over lang"),
                ("", dict(kh, **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}), ["en"],
                 "a keyed Accept-Language en-GB: English only"),
                ("", dict(kh, **{"Accept-Language": "de-DE,de;q=0.9"}), ["en", "fr"],
                 "a keyed Accept-Language naming neither: both"),
                ("?lang=fr", dict(kh, **{"Accept-Language": "en"}), ["fr"], "lang wins over Accept-Language"),
                ("", dict(anon, **{"Accept-Language": "en"}), ["en", "fr"],
                 "no key: Accept-Language leaves both languages"),
                ("?lang=en", anon, ["en"], "no key, lang=en: English only")):
            prof = "social" if "X-API-Key" in headers else "anonymous"
            a = c.call("verify, compact: " + what, "POST", "/api/v1/verify" + query, body, headers, want=200,
                       profile=prof)
            if a and a.status == 200:
                r = a.json()
                got = sorted(r["explanation"]) if "explanation" in r else None
                if got != langs or r.get("result") != "valid" or b"\n" in a.body:
                    bad("verify, compact: " + what + " (members)",
                        "explanation %r, result %r" % (got, r.get("result")))
                else:
                    ok("verify, compact: " + what + " (members)")
        a = c.call("verify/batch, compact: lang=fr", "POST", "/api/v1/verify/batch?lang=fr",
                   json.dumps({"payloads": [p["valid"], p["revoked"]]}).encode(), kh, want=200, profile="social")
        if a and a.status == 200:
            rs = a.json().get("results", [])
            if len(rs) == 2 and all(sorted(x.get("explanation", {})) == ["fr"] for x in rs):
                ok("verify/batch, compact: every report in French only")
            else:
                bad("verify/batch, compact: every report in French only", a.body[:200].decode("utf-8", "replace"))
        for query, what in (("?lang=de", "lang=de"), ("?lang=", "an empty lang"), ("?explain=no", "explain=no"),
                            ("?lang=%00", "lang with a NUL")):
            c.call("verify, compact: %s is 400" % what, "POST", "/api/v1/verify" + query, body, kh, want=400,
                   slug="invalid-parameter")
    else:
        bad("verify, compact", "no social key in the fixture")
    c.call("verify: an unknown API key is refused", "POST", "/api/v1/verify",
           json.dumps({"payload": p["valid"]}).encode(),
           {"Content-Type": "application/json", "X-API-Key": "no-such-key-0000"}, want=401, slug="unauthorized")

    a = c.call("verify: text/plain", "POST", "/api/v1/verify", p["valid"].encode(),
               {"Content-Type": "text/plain; charset=utf-8"}, want=200)
    if a and a.status == 200 and a.json().get("result") != "valid":
        bad("verify: text/plain is verified", "result %r" % a.json().get("result"))
    a = c.call("verify: text/plain with a final line end", "POST", "/api/v1/verify", (p["valid"] + "\r\n").encode(),
               {"Content-Type": "text/plain"}, want=200)
    if a and a.status == 200 and a.json().get("result") != "valid":
        bad("verify: a final line end is removed", "result %r" % a.json().get("result"))
    img = fx["images"]
    for kind, ctype in (("png", "image/png"), ("jpeg", "image/jpeg")):
        data = open(img[kind], "rb").read()
        a = c.call("verify: %s image" % ctype, "POST", "/api/v1/verify", data, {"Content-Type": ctype}, want=200)
        if a and a.status == 200 and a.json().get("result") != "valid":
            bad("verify: the QR code of the %s image is read" % kind, "result %r" % a.json().get("result"))
    body, ctype = multipart("file", "api.png", "image/png", open(img["png"], "rb").read())
    a = c.call("verify: multipart/form-data with a file part", "POST", "/api/v1/verify", body,
               {"Content-Type": ctype}, want=200)
    if a and a.status == 200 and a.json().get("result") != "valid":
        bad("verify: the multipart image is read", "result %r" % a.json().get("result"))
    c.call("verify: an image without a QR code is 422", "POST", "/api/v1/verify", open(img["blank"], "rb").read(),
           {"Content-Type": "image/png"}, want=422, slug="no-qr-code")

    c.call("verify: a body that is not JSON is 400", "POST", "/api/v1/verify", b"{\"payload\": ",
           anon, want=400, slug="malformed-json")
    c.call("verify: JSON without payload is 400", "POST", "/api/v1/verify", b"{\"text\": \"API1:\"}",
           anon, want=400, slug="invalid-request")
    c.call("verify: a payload that is not a string is 400", "POST", "/api/v1/verify", b"{\"payload\": 42}",
           anon, want=400, slug="invalid-request")
    c.call("verify: a JSON array is 400", "POST", "/api/v1/verify", b"[\"API1:\"]", anon, want=400,
           slug="invalid-request")
    c.call("verify: an unknown content type is 415", "POST", "/api/v1/verify", b"<payload/>",
           {"Content-Type": "application/xml"}, want=415, slug="unsupported-media-type")
    c.call("verify: no content type is 415", "POST", "/api/v1/verify", p["valid"].encode(), None, want=415,
           slug="unsupported-media-type")
    c.call("verify: bytes that are no image are 422", "POST", "/api/v1/verify", b"GIF89a not a png" * 8,
           {"Content-Type": "image/png"}, want=422, slug="unreadable-image")
    body, ctype = multipart_field("payload", p["valid"])
    a = c.call("verify: multipart/form-data with a payload field", "POST", "/api/v1/verify", body,
               {"Content-Type": ctype}, want=200)
    if a and a.status == 200 and a.json().get("result") != "valid":
        bad("verify: the form's payload field is verified", "result %r" % a.json().get("result"))
    body, ctype = multipart_field("other", "nothing to verify")
    c.call("verify: a form with neither image nor payload is 400", "POST", "/api/v1/verify", body,
           {"Content-Type": ctype}, want=400, slug="invalid-request")
    c.call("verify: a 9 MB body is 413", "POST", "/api/v1/verify", b"\x89PNG\r\n\x1a\n" + b"\0" * (9 * 1000 * 1000),
           {"Content-Type": "image/png"}, want=413, slug="body-too-large")


def check_batch(c, fx):
    p = fx["payloads"]
    order = ["valid", "not_api", "revoked", "valid"]
    want = ["valid", "malformed", "revoked", "valid"]
    a = c.call("batch: four payloads", "POST", "/api/v1/verify/batch",
               json.dumps({"payloads": [p[k] for k in order]}).encode(), {"Content-Type": "application/json"},
               want=200)
    if a and a.status == 200:
        got = [r.get("result") for r in a.json().get("results", [])]
        if got == want:
            ok("batch: results in the order of the payloads")
        else:
            bad("batch: results in the order of the payloads", "got %s, wanted %s" % (got, want))
    for profile, key in sorted(fx.get("keys", {}).items()):
        c.call("batch: profile %s" % profile, "POST", "/api/v1/verify/batch",
               json.dumps({"payloads": [p["valid"], p["not_api"]]}).encode(),
               {"Content-Type": "application/json", "X-API-Key": key}, want=200, profile=profile)
    a = c.call("batch: 1,000 payloads", "POST", "/api/v1/verify/batch",
               json.dumps({"payloads": [p["valid"]] * 1000}).encode(), {"Content-Type": "application/json"}, want=200)
    if a and a.status == 200:
        n = len(a.json().get("results", []))
        if n == 1000:
            ok("batch: 1,000 results")
        else:
            bad("batch: 1,000 results", "got %d" % n)
    c.call("batch: 1,001 payloads is 413", "POST", "/api/v1/verify/batch",
           json.dumps({"payloads": ["x"] * 1001}).encode(), {"Content-Type": "application/json"}, want=413,
           slug="batch-too-large")
    c.call("batch: payloads not an array is 400", "POST", "/api/v1/verify/batch", b"{\"payloads\": \"API1:\"}",
           {"Content-Type": "application/json"}, want=400, slug="invalid-request")
    c.call("batch: a payload that is not a string is 400", "POST", "/api/v1/verify/batch",
           b"{\"payloads\": [\"API1:\", 7]}", {"Content-Type": "application/json"}, want=400, slug="invalid-request")
    a = c.call("batch: no payloads at all", "POST", "/api/v1/verify/batch", b"{\"payloads\": []}",
               {"Content-Type": "application/json"}, want=200)
    if a and a.status == 200 and a.json().get("results") != []:
        bad("batch: no payloads, no results", "results %r" % a.json().get("results"))
    c.call("batch: not JSON is 400", "POST", "/api/v1/verify/batch", b"payloads", {"Content-Type": "application/json"},
           want=400, slug="malformed-json")
    c.call("batch: text/plain is 415", "POST", "/api/v1/verify/batch", p["valid"].encode(),
           {"Content-Type": "text/plain"}, want=415, slug="unsupported-media-type")
    c.call("batch: an unknown API key is refused", "POST", "/api/v1/verify/batch",
           json.dumps({"payloads": [p["valid"]]}).encode(),
           {"Content-Type": "application/json", "X-API-Key": "no-such-key-0000"}, want=401, slug="unauthorized")


def check_federation(c, fx):
    signed = open(fx["trust_list"], "rb").read()
    a = c.call("trust list: JSON view", "GET", "/api/v1/trust-list", want=200)
    if a and a.status == 200:
        v = a.json()
        try:
            same = b64url_decode(v.get("signed", "")) == signed
        except ValueError:
            same = False
        if same:
            ok("trust list: signed is the exact signed trust list")
        else:
            bad("trust list: signed is the exact signed trust list", "differs")
        ids = sorted({i.get("id") for i in v.get("issuers", []) if isinstance(i, dict)})
        if ids == sorted(fx["issuers"]):
            ok("trust list: every issuer listed")
        else:
            bad("trust list: every issuer listed", "got %s" % ids)
        c.call("trust list: If-None-Match", "GET", "/api/v1/trust-list",
               headers={"If-None-Match": a.headers.get("etag", '"x"')}, want=304)
    c.call("trust list: HEAD", "HEAD", "/api/v1/trust-list", want=200)
    c.call("trust list: an unknown API key is refused", "GET", "/api/v1/trust-list",
           headers={"X-API-Key": "apik_" + "A" * 43}, want=401, slug="unauthorized")
    for profile, key in sorted(fx.get("keys", {}).items())[:1]:
        c.call("trust list: with an API key (%s)" % profile, "GET", "/api/v1/trust-list", headers={"X-API-Key": key},
               want=200)
    a = c.call("bundle", "GET", "/api/v1/bundle", want=200)
    if a and a.status == 200:
        b = a.json()
        try:
            checks = [
                ("root key", b64url_decode(b.get("root_public_key", "")) == b64url_decode(fx["root_public_key"])),
                ("trust list", b64url_decode(b.get("trust_list", "")) == signed),
                ("issuers", sorted(i.get("iss") for i in b.get("issuers", [])) == sorted(fx["issuers"])),
            ]
        except (ValueError, TypeError, AttributeError) as e:
            checks = [("decodable", False), (str(e), False)]
        seg = fx["segment"]
        for i in b.get("issuers", []):
            if isinstance(i, dict) and i.get("iss") == seg["iss"]:
                s = request(c.base, "GET", "/feed/v1/%s/segments/%d" % (seg["iss"], seg["first"]))
                try:
                    segs = [b64url_decode(x) for x in i.get("segments", [])]
                    snap = i.get("snapshot")
                    snap_bytes = request(c.base, "GET", "/feed/v1/%s/snapshot" % seg["iss"]).body
                    checks.append(("segment of the feed", s.body in segs or
                                   (snap is not None and b64url_decode(snap) == snap_bytes)))
                except (ValueError, TypeError) as e:
                    checks.append(("segments decodable: %s" % e, False))
        wrong = [n for n, good in checks if not good]
        if wrong:
            bad("bundle: holds the root key, the trust list and the feeds served", "wrong: " + ", ".join(wrong))
        else:
            ok("bundle: holds the root key, the trust list and the feeds served")
        c.call("bundle: If-None-Match", "GET", "/api/v1/bundle", headers={"If-None-Match": a.headers.get("etag", '"x"')},
               want=None)
    c.call("bundle: HEAD", "HEAD", "/api/v1/bundle", want=200)

    a = c.call("mirror: signed trust list", "GET", "/trust/v1/trust-list.cose", want=200)
    if a and a.status == 200:
        if a.body == signed:
            ok("mirror: trust list byte for byte")
        else:
            bad("mirror: trust list byte for byte", "differs")
        c.call("mirror: trust list, If-None-Match", "GET", "/trust/v1/trust-list.cose",
               headers={"If-None-Match": a.headers.get("etag", '"x"')}, want=304)
    c.call("mirror: trust list, HEAD", "HEAD", "/trust/v1/trust-list.cose", want=200)
    seg = fx["segment"]
    iss = seg["iss"]
    for kind in ("checkpoint", "snapshot"):
        a = c.call("mirror: %s" % kind, "GET", "/feed/v1/%s/%s" % (iss, kind), want=200)
        c.call("mirror: %s, HEAD" % kind, "HEAD", "/feed/v1/%s/%s" % (iss, kind), want=200)
        if a and a.status == 200:
            c.call("mirror: %s, If-None-Match" % kind, "GET", "/feed/v1/%s/%s" % (iss, kind),
                   headers={"If-None-Match": a.headers.get("etag", '"x"')}, want=None)
    path = "/feed/v1/%s/segments/%d" % (iss, seg["first"])
    a = c.call("mirror: segment", "GET", path, want=200)
    c.call("mirror: segment, HEAD", "HEAD", path, want=200)
    if a and a.status == 200:
        c.call("mirror: segment, If-None-Match", "GET", path, headers={"If-None-Match": a.headers.get("etag", '"x"')},
               want=304)
    if seg.get("inside"):
        a = c.call("mirror: a seq inside a segment", "GET", "/feed/v1/%s/segments/%d" % (iss, seg["inside"]),
                   want=404, slug="segment-not-at-boundary")
        if a and a.status == 404 and a.json().get("containing_segment") != seg["first"]:
            bad("mirror: containing_segment names the segment", "got %r" % a.json().get("containing_segment"))
    c.call("mirror: a segment not published", "GET", "/feed/v1/%s/segments/999999" % iss, want=404,
           slug="segment-not-found")
    c.call("mirror: an unknown issuer", "GET", "/feed/v1/FR-99/checkpoint", want=404, slug="unknown-issuer")

    a = c.call("healthz", "GET", "/healthz", want=200)
    if a and a.status == 200:
        held = sorted(a.json().get("issuers", {}))
        if held == sorted(fx["issuers"]):
            ok("healthz: one entry per issuer")
        else:
            bad("healthz: one entry per issuer", "got %s" % held)
    c.call("healthz: HEAD", "HEAD", "/healthz", want=200)
    a = c.call("metrics", "GET", "/metrics", want=200)
    if a and a.status == 200 and "version=0.0.4" not in a.headers.get("content-type", ""):
        bad("metrics: Prometheus text format 0.0.4", "Content-Type %r" % a.headers.get("content-type"))


def check_watch(c, fx):
    """Following attestations: a social key follows, reads its watches and changes; others are refused."""
    keys, p = fx.get("keys", {}), fx["payloads"]
    social = keys.get("social")
    if not social:
        return
    js = {"Content-Type": "application/json", "X-API-Key": social}
    a = c.call("watch: follow a valid attestation: 201", "POST", "/api/v1/watch",
               json.dumps({"payload": p["valid"]}).encode(), js, want=201, profile="social")
    wid = a.json().get("watch_id") if a and a.status == 201 else None
    c.call("watch: again: 200", "POST", "/api/v1/watch", json.dumps({"payload": p["valid"]}).encode(), js, want=200, profile="social")
    c.call("watch: payloads", "POST", "/api/v1/watch",
           json.dumps({"payloads": [p["suspended"], p["not_api"]]}).encode(), js, want=201, profile="social")
    c.call("watch: an expired attestation is not followable", "POST", "/api/v1/watch",
           json.dumps({"payload": p["expired"]}).encode(), js, want=422, slug="not-followable", profile="social")
    c.call("watch: no key", "POST", "/api/v1/watch", json.dumps({"payload": p["valid"]}).encode(),
           {"Content-Type": "application/json"}, want=401, slug="unauthorized")
    if keys.get("employer"):
        c.call("watch: an employer key", "POST", "/api/v1/watch", json.dumps({"payload": p["valid"]}).encode(),
               {"Content-Type": "application/json", "X-API-Key": keys["employer"]}, want=403, slug="forbidden")
    c.call("watch: no payload", "POST", "/api/v1/watch", b"{}", js, want=400, slug="invalid-request")
    c.call("watch: text/plain", "POST", "/api/v1/watch", b"API1:", {"Content-Type": "text/plain", "X-API-Key": social},
           want=415, slug="unsupported-media-type")
    hk = {"X-API-Key": social}
    c.call("watch: list", "GET", "/api/v1/watch?limit=1", None, hk, want=200, profile="social")
    c.call("watch: list, a bad limit", "GET", "/api/v1/watch?limit=0", None, hk, want=400, slug="invalid-parameter")
    if wid:
        c.call("watch: one", "GET", "/api/v1/watch/" + wid, None, hk, want=200, profile="social")
    c.call("watch: an id that is none", "GET", "/api/v1/watch/ffffffffffffffff", None, hk, want=404, slug="not-found")
    c.call("watch: delete an id that is none", "DELETE", "/api/v1/watch/ffffffffffffffff", None, hk, want=404,
           slug="not-found")
    c.call("changes", "GET", "/api/v1/changes?since=0&limit=10", None, hk, want=200, profile="social")
    c.call("changes: a wait that ends", "GET", "/api/v1/changes?since=0&wait=1", None, hk, want=200, profile="social")
    c.call("changes: wait too long", "GET", "/api/v1/changes?wait=61", None, hk, want=400, slug="invalid-parameter")
    c.call("changes: no key", "GET", "/api/v1/changes", None, None, want=401, slug="unauthorized")
    if wid:
        c.call("watch: delete", "DELETE", "/api/v1/watch/" + wid, None, hk, want=204)
        c.call("watch: deleted", "GET", "/api/v1/watch/" + wid, None, hk, want=404, slug="not-found")


UNDOCUMENTED = [
    "/", "/index.html", "/api", "/api/", "/api/v1", "/api/v1/", "/api/v2/verify", "/api/v1/verify/",
    "/api/v1/verify/extra", "/api/v1/verify/batch/", "/api/v1/verify/batch/1", "/api/v1/trust-list/",
    "/api/v1/trust-list.cose", "/api/v1/bundle/", "/api/v1/bundle.json", "/api/v1/status", "/api/v1/keys",
    "/api/v1/admin", "/api/v1/watches", "/api/v1/changes/", "/healthz/", "/healthz/live", "/health", "/metrics/", "/metrics.json", "/admin",
    "/.env", "/.git/config", "/trust/v1/", "/trust/v1/trust-list.json", "/trust/v1/trust-list.cose/",
    "/trust/v2/trust-list.cose", "/feed/v1/", "/feed/v1/FR-75", "/feed/v1/FR-75/", "/feed/v1/FR-75/events",
    "/feed/v1/FR-75/segments", "/feed/v1/FR-75/segments/", "/feed/v1/FR-75/segments/0",
    "/feed/v1/FR-75/segments/01", "/feed/v1/FR-75/segments/-1", "/feed/v1/fr-75/checkpoint",
    "/feed/v1/FR-75/./checkpoint", "/feed/v1/FR-75/checkpoint/", "/feed/v2/FR-75/checkpoint",
    "/API/V1/VERIFY", "/api//v1/verify", "/check", "/holder", "/static/app.js", "/%2e%2e/etc/passwd",
]


def check_receipts(c, fx):
    """Receipts: the parameter on verify and batch, the member in each profile's report, the keys document."""
    p = fx["payloads"]
    keys = {None: None}
    keys.update(fx.get("keys", {}))
    for profile, key in sorted(keys.items(), key=lambda kv: kv[0] or ""):
        h = {"Content-Type": "application/json"}
        if key:
            h["X-API-Key"] = key
        a = c.call("receipt: verify?receipt=true, %s" % (profile or "anonymous"), "POST", "/api/v1/verify?receipt=true",
                   json.dumps({"payload": p["valid"]}).encode(), h, want=200, profile=profile or "anonymous")
        if a and a.status == 200:
            if str(a.json().get("receipt", "")).startswith("APR1:"):
                ok("receipt: the %s report holds a receipt" % (profile or "anonymous"))
            else:
                bad("receipt: the %s report holds a receipt" % (profile or "anonymous"), json.dumps(a.json())[:200])
    a = c.call("receipt: batch?receipt=true", "POST", "/api/v1/verify/batch?receipt=true",
               json.dumps({"payloads": [p["valid"], p["revoked"]]}).encode(), {"Content-Type": "application/json"},
               want=200)
    if a and a.status == 200:
        n = sum(1 for r in a.json().get("results", []) if str(r.get("receipt", "")).startswith("APR1:"))
        if n == 2:
            ok("receipt: one receipt per report of a batch")
        else:
            bad("receipt: one receipt per report of a batch", "%d receipts" % n)
    c.call("receipt: receipt=yes is a 400", "POST", "/api/v1/verify?receipt=yes",
           json.dumps({"payload": p["valid"]}).encode(), {"Content-Type": "application/json"}, want=400,
           slug="invalid-parameter")
    a = c.call("receipt keys", "GET", "/api/v1/receipt-keys", want=200)
    if a and a.status == 200:
        c.call("receipt keys: If-None-Match", "GET", "/api/v1/receipt-keys",
               headers={"If-None-Match": a.headers.get("etag", '"x"')}, want=304)
    c.call("receipt keys: HEAD", "HEAD", "/api/v1/receipt-keys", want=200)
    # The proof as a page: the service's own receipt drawn, anything else refused.
    a = c.call("receipt: anonymous receipt for the page", "POST", "/api/v1/verify?receipt=true",
               json.dumps({"payload": p["valid"]}).encode(), {"Content-Type": "application/json"}, want=200)
    rec = a.json().get("receipt") if a and a.status == 200 else None
    if rec:
        a = c.call("receipt.pdf: text/plain", "POST", "/api/v1/receipt.pdf", rec.encode(),
                   {"Content-Type": "text/plain"}, want=200)
        if a and a.status == 200 and a.body.startswith(b"%PDF-"):
            ok("receipt.pdf: the answer is a PDF file")
        elif a:
            bad("receipt.pdf: the answer is a PDF file", repr(a.body[:40]))
        c.call("receipt.pdf: JSON", "POST", "/api/v1/receipt.pdf", json.dumps({"receipt": rec}).encode(),
               {"Content-Type": "application/json"}, want=200)
        c.call("receipt.pdf: a changed receipt is 422", "POST", "/api/v1/receipt.pdf",
               (rec[:-3] + ("AAA" if not rec.endswith("AAA") else "BBB")).encode(), {"Content-Type": "text/plain"},
               want=422, slug="invalid-receipt")
    else:
        bad("receipt.pdf", "no receipt to draw")
    c.call("receipt.pdf: an attestation's code is 422", "POST", "/api/v1/receipt.pdf", p["valid"].encode(),
           {"Content-Type": "text/plain"}, want=422, slug="invalid-receipt")
    c.call("receipt.pdf: JSON without receipt is 400", "POST", "/api/v1/receipt.pdf", b'{"text": "APR1:"}',
           {"Content-Type": "application/json"}, want=400, slug="invalid-request")
    c.call("receipt.pdf: an image is 415", "POST", "/api/v1/receipt.pdf", b"\x89PNG\r\n\x1a\n",
           {"Content-Type": "image/png"}, want=415, slug="unsupported-media-type")


def check_reverse(c, fx):
    # no request was sent to these paths above: each must be a 404 problem, for GET and POST alike
    for path in UNDOCUMENTED:
        if c.doc.match(path):
            bad("undocumented path %s" % path, "the document matches it: fix the test's list")
            continue
        c.call("undocumented: GET %s is 404" % path, "GET", path, want=404, slug="not-found")
    for path in ("/api/v1/verify/", "/api/v1/other", "/admin", "/"):
        c.call("undocumented: POST %s is 404" % path, "POST", path, b"{}", {"Content-Type": "application/json"},
               want=404, slug="not-found")
    # every documented path: the methods it does not list are 405 with the right Allow
    seg = fx["segment"]
    samples = {
        "/feed/v1/{iss}/checkpoint": "/feed/v1/%s/checkpoint" % seg["iss"],
        "/feed/v1/{iss}/snapshot": "/feed/v1/%s/snapshot" % seg["iss"],
        "/feed/v1/{iss}/segments/{first_seq}": "/feed/v1/%s/segments/%d" % (seg["iss"], seg["first"]),
    }
    for template, _, item in c.doc.templates:
        path = samples.get(template, template)
        documented = set(c.doc.methods(item))
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            if method in documented:
                continue
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            hdrs = {"Content-Type": "application/json"} if body else None
            c.call("undocumented: %s %s is 405" % (method, template), method, path, body, hdrs, want=405,
                   slug="method-not-allowed")


def check_rate_limit(c, fx):
    """A key with a rate of 1 a second: the third request at once is refused with Retry-After."""
    key = fx.get("limited_key")
    if not key:
        return
    statuses = []
    for i in range(4):
        a = c.call("rate limit: request %d with a key limited to 1/s" % (i + 1), "POST", "/api/v1/verify",
                   json.dumps({"payload": fx["payloads"]["not_api"]}).encode(),
                   {"Content-Type": "application/json", "X-API-Key": key}, want=None, slug=None)
        statuses.append(a.status if a else None)
        if a and a.status == 429:
            if a.json().get("type") == "/problems/rate-limited" and int(a.headers.get("retry-after", "0")) >= 1:
                ok("rate limit: 429 rate-limited with Retry-After")
            else:
                bad("rate limit: 429 rate-limited with Retry-After", "%r %r" % (a.json(), a.headers.get("retry-after")))
            return
    bad("rate limit: 429 rate-limited with Retry-After", "statuses %s" % statuses)


def check_unready(c):
    """A service that holds no trust list yet: 503 where the document says so."""
    c.call("no trust list yet: healthz is 503", "GET", "/healthz", want=503, slug="no-trust-list")
    c.call("no trust list yet: verify is 503", "POST", "/api/v1/verify", b"{\"payload\": \"API1:\"}",
           {"Content-Type": "application/json"}, want=503, slug="no-trust-list")
    c.call("no trust list yet: batch is 503", "POST", "/api/v1/verify/batch", b"{\"payloads\": [\"API1:\"]}",
           {"Content-Type": "application/json"}, want=503, slug="no-trust-list")
    c.call("no trust list yet: trust list view is 503", "GET", "/api/v1/trust-list", want=503, slug="no-trust-list")
    c.call("no trust list yet: bundle is 503", "GET", "/api/v1/bundle", want=503, slug="no-trust-list")
    c.call("no trust list yet: metrics still answer", "GET", "/metrics", want=200)
    c.call("no trust list yet: the signed trust list is 404", "GET", "/trust/v1/trust-list.cose", want=404,
           slug="not-found")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--doc", required=True)
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT of a synced service")
    ap.add_argument("--unready-base", help="http://127.0.0.1:PORT of a service that holds no trust list")
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    try:
        doc = Document(args.doc)
    except Exception as e:  # noqa: BLE001
        bad("document: parses, every $ref resolves", e)
        print("%d passed, %d failed" % (passed, failed))
        return 1
    ok("document: parses, every $ref resolves")
    with open(args.fixtures, encoding="utf-8") as f:
        fx = json.load(f)
    c = Checker(doc, args.base.rstrip("/"))
    u = Checker(doc, args.unready_base.rstrip("/")) if args.unready_base else None
    groups = [(check_document, (doc,)), (check_verify, (c, fx)), (check_batch, (c, fx)),
              (check_federation, (c, fx)), (check_watch, (c, fx)), (check_receipts, (c, fx)),
              (check_reverse, (c, fx)),
              (check_rate_limit, (c, fx))]
    if u:
        groups.append((check_unready, (u,)))
    for fn, fargs in groups:
        try:
            fn(*fargs)
        except Exception as e:  # noqa: BLE001 - an answer the checks did not expect: report it, go on
            bad("%s ran to its end" % fn.__name__, "%s: %s" % (type(e).__name__, e))
    checkers = [c] + ([u] if u else [])
    missing = sorted(set().union(*(x.no_nosniff for x in checkers)))
    if missing:
        bad("every answer carries X-Content-Type-Options: nosniff",
            "%d without it, e.g. %s" % (len(missing), ", ".join(missing[:8])))
    else:
        ok("every answer carries X-Content-Type-Options: nosniff")
    print("checker: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
