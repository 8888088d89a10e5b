"""Reads what headless Chromium dumped (--dump-dom) for scripts/browser-check.sh.

  check_dom.py opid openapi.yaml METHOD PATH      print that operation's operationId
  check_dom.py cors DOM allowed|blocked           the CORS page's outcome lines
  check_dom.py docs DOM openapi.yaml              /docs lists every operation of the spec
  check_dom.py try DOM OPERATION_ID STATUS        /docs#try=... got STATUS for that operation

Exits 1 with a message naming what differs.
"""
import re
import sys
from html.parser import HTMLParser

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def fail(msg):
    print("browser-check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def spec_operations(path):
    import yaml
    with open(path) as f:
        spec = yaml.safe_load(f)
    ops = {}
    for p, item in spec["paths"].items():
        for m in METHODS:
            if m in item:
                ops[item[m]["operationId"]] = (m.upper(), p)
    return ops


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ops = {}            # data-op -> attrs
        self.stack = []          # (tag, id) of the open elements
        self.text = {}           # id -> text inside that element

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-op" in a:
            self.ops[a["data-op"]] = a
        if tag not in self.VOID:
            self.stack.append((tag, a.get("id") or ""))

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        if "data-op" in a:
            self.ops[a["data-op"]] = a

    def handle_endtag(self, tag):
        # Pop up to the matching open element (the DOM dump is well formed).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        for _, key in self.stack:
            if key:
                self.text[key] = self.text.get(key, "") + data


def parse(path):
    c = Collect()
    with open(path, encoding="utf-8") as f:
        c.feed(f.read())
    return c


def cors(dom, expect):
    lines = parse(dom).text.get("result", "").strip().splitlines()
    if not lines or lines[-1] != "done":
        fail(f"{dom}: the page did not finish (result: {lines!r})")
    outcomes = {}
    for line in lines[1:-1]:
        name, _, rest = line.partition(": ")
        outcomes[name] = rest
    print(f"  {lines[0]}: " + "; ".join(f"{k} {v}" for k, v in outcomes.items()))
    if set(outcomes) != {"get", "post", "auth"}:
        fail(f"{dom}: expected get, post and auth outcomes, got {outcomes!r}")
    for name, rest in outcomes.items():
        if expect == "allowed":
            m = re.fullmatch(r"ok (\d{3}) rid=(\S+)", rest)
            if not m:
                fail(f"{lines[0]}: {name} should have succeeded, got '{rest}'")
            if m.group(2) == "unreadable":
                fail(f"{lines[0]}: {name}: X-Request-Id is not readable (Access-Control-Expose-Headers)")
            want = {"get": "200", "post": "201"}.get(name)
            if want and m.group(1) != want:
                fail(f"{lines[0]}: {name} answered {m.group(1)}, expected {want}")
        elif not rest.startswith("blocked "):
            fail(f"{lines[0]}: {name} should have been blocked by the browser, got '{rest}'")


def docs(dom, spec_path):
    want = spec_operations(spec_path)
    got = parse(dom).ops
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        fail(f"/docs lists {len(got)} operations, openapi.yaml has {len(want)}; missing {missing}, unexpected {extra}")
    for op, (method, path) in want.items():
        a = got[op]
        if (a.get("data-method"), a.get("data-path")) != (method, path):
            fail(f"/docs shows {op} as {a.get('data-method')} {a.get('data-path')}, the spec says {method} {path}")
    print(f"  /docs lists all {len(want)} operations of openapi.yaml")


def tried(dom, op, status):
    c = parse(dom)
    a = c.ops.get(op)
    if a is None:
        fail(f"/docs#try={op}: no such operation on the page")
    if a.get("data-try-status") != status:
        fail(f"/docs#try={op}: try-it status {a.get('data-try-status')!r}, expected {status!r}")
    rid = a.get("data-try-request-id", "")
    if not rid:
        fail(f"/docs#try={op}: no X-Request-Id shown")
    print(f"  /docs#try={op}: {status}, X-Request-Id {rid}")


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd = argv[1]
    if cmd == "opid":
        for op, mp in spec_operations(argv[2]).items():
            if mp == (argv[3].upper(), argv[4]):
                print(op)
                return
        fail(f"no operation {argv[3]} {argv[4]} in {argv[2]}")
    elif cmd == "cors":
        cors(argv[2], argv[3])
    elif cmd == "docs":
        docs(argv[2], argv[3])
    elif cmd == "try":
        tried(argv[2], argv[3], argv[4])
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
