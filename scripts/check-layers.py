#!/usr/bin/env python3
"""check-layers.py: the include lines of the C code against the map of layers.

The map is the block between "<!-- layers" and "-->" in docs/architecture.md:
one line per folder (or per file), "folder: the folders it may include". A
file may always include its own folder. Every include of the project names
its folder ("qr/cose.h") from the one include root, so a crossing is seen in
review and here. Prints each include that goes where the map says it must
not, and every folder of C code the map does not name; exit status 1 if any.

  scripts/check-layers.py            the tree this script is in
  scripts/check-layers.py --list     the map, as read
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "architecture.md")
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^">]+)[">]', re.M)


def read_map():
    text = open(DOC, encoding="utf-8").read()
    m = re.search(r"<!-- layers\n(.*?)-->", text, re.S)
    if not m:
        sys.exit("check-layers: no '<!-- layers' block in docs/architecture.md")
    rules = {}
    for line in m.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        who, _, allowed = line.partition(":")
        rules[who.strip()] = set(allowed.split())
    return rules


def project_headers():
    found = set()
    for d, _, files in os.walk(ROOT):
        rel = os.path.relpath(d, ROOT)
        if rel.startswith((".git", "build", "web", "bin")):
            continue
        for f in files:
            if f.endswith((".h", ".c")):
                found.add(os.path.normpath(os.path.join(rel, f)))
    return found


def main():
    rules = read_map()
    if "--list" in sys.argv:
        for k, v in rules.items():
            print("%s: %s" % (k, " ".join(sorted(v))))
        return 0
    known = project_headers()
    problems = []
    folders = sorted({os.path.dirname(p) for p in known if not p.startswith("tests")})
    for f in folders:
        if f not in rules:
            problems.append("%s/: a folder of C code that docs/architecture.md's map does not name" % f)
    for path in sorted(known):
        folder = os.path.dirname(path)
        rule = rules.get(path, rules.get(folder))
        text = open(os.path.join(ROOT, path), encoding="utf-8", errors="replace").read()
        for m in INCLUDE.finditer(text):
            kind, name = m.group(1), m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            if kind == "<":
                if os.path.normpath(name) in known:
                    problems.append("%s:%d: <%s>: a project header in <>: write \"%s\"" % (path, line, name, name))
                continue
            target = os.path.normpath(name)
            if target not in known:
                problems.append("%s:%d: \"%s\" names no file from the include root (write its folder: \"qr/cose.h\")"
                                % (path, line, name))
                continue
            if rule is None:  # tests: any layer, as long as the folder is named
                continue
            to = os.path.dirname(target)
            if to != folder and to not in rule:
                problems.append("%s:%d: includes %s: %s may include only %s" % (
                    path, line, name, path if path in rules else folder + "/",
                    ", ".join(sorted(rule)) or "its own folder"))
    for p in problems:
        print(p)
    print("check-layers: %d files, %d problems" % (len(known), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
