#!/usr/bin/env python3
"""Checks a running `api-issuer serve --admin-listen` against docs/issuer-openapi.yaml.

The same checks as tests/cli/openapi_check.py (whose Document and Checker it
uses): every documented operation is called, each answer's status, media type,
body and required headers are checked against the document; undocumented
paths must be 404 problems and undocumented methods 405 problems with the
documented Allow. Input: a JSON file of fixtures written by
tests/cli/test_issuer_openapi.sh (tokens of each role, a holder object).
Output: one line per check, "ok   NAME" or "FAIL NAME (why)".
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check as oc  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--doc", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    try:
        doc = oc.Document(args.doc)
    except Exception as e:  # noqa: BLE001
        oc.bad("document: parses, every $ref resolves", e)
        return 1
    oc.ok("document: parses, every $ref resolves")
    fx = json.load(open(args.fixtures, encoding="utf-8"))
    c = oc.Checker(doc, args.base.rstrip("/"))
    try:
        oc.check_document(doc)
        run(c, doc, fx)
    except Exception as e:  # noqa: BLE001
        oc.bad("the checks ran to their end", "%s: %s" % (type(e).__name__, e))
    if c.no_nosniff:
        oc.bad("every answer carries X-Content-Type-Options: nosniff", ", ".join(sorted(c.no_nosniff)[:8]))
    else:
        oc.ok("every answer carries X-Content-Type-Options: nosniff")
    print("checker: %d passed, %d failed" % (oc.passed, oc.failed))
    return 0 if oc.failed == 0 else 1


def run(c, doc, fx):
    tok = fx["tokens"]
    auth = lambda role: {"Authorization": "Bearer " + tok[role], "Content-Type": "application/json"}  # noqa: E731
    holder = fx["holder"]
    body = lambda v: json.dumps(v).encode()  # noqa: E731
    call = lambda name, m, p, b=None, role="manage", **kw: c.call(name, m, p, b, auth(role) if role else  # noqa: E731
                                                             {"Content-Type": "application/json"}, profile="none", **kw)
    a = call("POST /attestations: 201", "POST", "/api/v1/attestations", body(holder), "issue", want=201)
    aid = a.json()["id"]
    b = call("POST /attestations with replaces: 201", "POST", "/api/v1/attestations",
             body(dict(holder, replaces=aid)), "issue", want=201)
    bid = b.json()["id"]
    call("POST /attestations with replaces of a superseded one: 409", "POST", "/api/v1/attestations",
         body(dict(holder, replaces=aid)), "issue", want=409, slug="forbidden-transition")
    call("POST /attestations, a bad field: 422", "POST", "/api/v1/attestations", body(dict(holder, birth_date="x")),
         "issue", want=422, slug="invalid-body")
    call("POST /attestations, too large: 413", "POST", "/api/v1/attestations", b"[" + b" " * 70000 + b"]", "issue",
         want=413)
    call("POST /attestations without a token: 401", "POST", "/api/v1/attestations", body(holder), None, want=401)
    call("POST /attestations as read: 403", "POST", "/api/v1/attestations", body(holder), "read", want=403,
         slug="forbidden")
    h = auth("issue")
    h["Idempotency-Key"] = "openapi-1"
    c.call("POST /attestations with an Idempotency-Key: 201", "POST", "/api/v1/attestations", body(holder), h,
           want=201, profile="none")
    c.call("the same key, another body: 422", "POST", "/api/v1/attestations", body(dict(holder, family_name="AUTRE")),
           h, want=422, slug="idempotency-key-reused", profile="none")
    h["Idempotency-Key"] = "bad key"
    c.call("a bad Idempotency-Key: 400", "POST", "/api/v1/attestations", body(holder), h, want=400,
           profile="none")
    call("POST /attestations/batch: 200", "POST", "/api/v1/attestations/batch",
         body([holder, {"family_name": "X"}, 7]), "issue", want=200)
    call("POST /attestations/batch of 1001: 422", "POST", "/api/v1/attestations/batch", body([{}] * 1001), "issue",
         want=422)
    call("GET /attestations: 200", "GET", "/api/v1/attestations", role="read", want=200)
    call("GET /attestations?status=superseded&limit=1: 200", "GET", "/api/v1/attestations?status=superseded&limit=1",
         role="read", want=200)
    call("GET /attestations?expiring-within=90d: 200", "GET", "/api/v1/attestations?expiring-within=90d", role="read",
         want=200)
    call("GET /attestations?limit=0: 400", "GET", "/api/v1/attestations?limit=0", role="read", want=400)
    call("GET /attestations/{id}: 200", "GET", "/api/v1/attestations/" + aid, role="read", want=200)
    call("GET /attestations/{id} unknown: 404", "GET", "/api/v1/attestations/" + "0" * 24, role="read", want=404,
         slug="not-found")
    for fmt in ("png", "svg", "pdf"):
        call("GET /attestations/{id}.%s: 200" % fmt, "GET", "/api/v1/attestations/%s.%s" % (bid, fmt), role="read",
             want=200)
    call("GET /attestations/{id}.pdf unknown: 404", "GET", "/api/v1/attestations/%s.pdf" % ("0" * 24), role="read",
         want=404)
    p = "/api/v1/attestations/" + bid
    call("suspend: 200", "POST", p + "/suspend", b"{}", want=200)
    call("suspend as issue: 403", "POST", p + "/suspend", b"{}", "issue", want=403)
    call("suspend again: 409", "POST", p + "/suspend", b"{}", want=409, slug="forbidden-transition")
    call("resume: 200", "POST", p + "/resume", b"{}", want=200)
    call("extend to a bad date: 422", "POST", p + "/extend", body({"until": "2026-13-01"}), want=422)
    call("extend: 200", "POST", p + "/extend", body({"until": fx["extend_until"]}), want=200)
    call("supersede without a decision: 422", "POST", p + "/supersede", b"{}", want=422)
    call("revoke an unknown id: 404", "POST", "/api/v1/attestations/%s/revoke" % ("0" * 24),
         body({"reason": "error"}), want=404)
    c2 = call("POST /attestations: 201 (to supersede)", "POST", "/api/v1/attestations", body(holder), "issue",
              want=201).json()["id"]
    call("supersede: 200", "POST", "/api/v1/attestations/%s/supersede" % c2, body({"decision": "refused"}), want=200)
    call("revoke: 200", "POST", p + "/revoke", body({"reason": "withdrawn"}), want=200)
    qr = a.json()["qr_text"]
    call("adopt one the registry holds: 200", "POST", "/api/v1/attestations/adopt", body({"qr_text": qr}), want=200)
    call("adopt as issue: 403", "POST", "/api/v1/attestations/adopt", body({"qr_text": qr}), "issue", want=403,
         slug="forbidden")
    call("adopt a damaged text: 422", "POST", "/api/v1/attestations/adopt",
         body({"qr_text": qr[:40] + ("A" if qr[40] != "A" else "B") + qr[41:]}), want=422, slug="invalid-qr-text")
    call("adopt without qr_text: 422", "POST", "/api/v1/attestations/adopt", body({"text": qr}), want=422,
         slug="invalid-body")
    call("renew-pending: 200", "POST", "/api/v1/renew-pending", body({"expiring_within": "15d", "by": "3m"}),
         want=200)
    call("renew-pending with a bad duration: 422", "POST", "/api/v1/renew-pending", body({"by": "soon"}), want=422)
    # the reverse: paths the document does not name, methods it does not list
    for path in ("/api/v1/", "/api/v1/attestation", "/api/v1/attestations/%s/delete" % aid,
                 "/api/v1/attestations/%s.gif" % aid, "/api/v2/attestations", "/feed/v1/FR-75/checkpoint"):
        call("undocumented: GET %s is 404" % path, "GET", path, role="read", want=404, slug="not-found")
    samples = {"/api/v1/attestations/{id}": "/api/v1/attestations/" + aid,
               "/api/v1/attestations/{id}.{format}": "/api/v1/attestations/%s.png" % aid}
    for template, _, item in doc.templates:
        path = samples.get(template, template.replace("{id}", aid))
        documented = set(doc.methods(item))
        for m in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            if m not in documented:
                call("undocumented: %s %s is 405" % (m, template), m, path,
                     b"{}" if m in ("POST", "PUT", "PATCH") else None, want=405, slug="method-not-allowed")


if __name__ == "__main__":
    sys.exit(main())
