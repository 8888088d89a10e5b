#!/usr/bin/env python3
"""Contract check of the sandbox emulators against the vendors' own schemas.

Starts `crm-gateway emulate all`, runs the cases in Tests/Contract/<upstream>.json in order
against the emulator they name, and validates every response body against the response
schema the vendor's spec (../shared/upstreams/...) gives for that operation and status.
A 204 must have no body. Exits 1 if any case fails.

A case may list `"accept": [{"path": "/additional_data/next_cursor", "reason": "..."}]`: schema
errors at exactly that instance path are accepted (the vendor documents behaviour its spec
contradicts) and listed in the report with the reason.

    validate.py --binary .build/debug/crm-gateway [--shared ../shared] Tests/Contract/*.json
"""
import argparse
import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URN = "urn:spec"


def load_spec(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f) if path.endswith(".json") else yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        converted = to_json_schema(raw, openapi3="openapi" in raw)
        registry = Registry().with_resource(SPEC_URN, Resource.from_contents(converted, default_specification=DRAFT4))
        cache[path] = (raw, converted, registry)
    return cache[path]


def to_json_schema(node, openapi3):
    """OpenAPI 3.0 / Swagger 2.0 schema objects -> JSON Schema draft 4: `nullable: true`
    allows null; local refs point at the spec's URN so they resolve from any sub-schema."""
    if isinstance(node, list):
        return [to_json_schema(x, openapi3) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "$ref" and isinstance(v, str) and v.startswith("#"):
            out[k] = SPEC_URN + v
        else:
            out[k] = to_json_schema(v, openapi3)
    if openapi3 and out.get("nullable") is True:
        out.pop("nullable")
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            return {"anyOf": [out, {"type": "null"}]}
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = t + ["null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = list(out["enum"]) + [None]
    return out


def response_schema(raw, converted, operation, status):
    method, path = operation.split(" ", 1)
    op = (converted.get("paths") or {}).get(path, {}).get(method.lower())
    if op is None:
        raise LookupError(f"operation {operation} is not in the spec")
    responses = op.get("responses") or {}
    resp = responses.get(str(status)) or responses.get(status) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if resp is None:
        raise LookupError(f"the spec documents no {status} response for {operation}")
    if "$ref" in resp:
        ref = resp["$ref"][len(SPEC_URN) + 2:].split("/")
        node = converted
        for part in ref:
            node = node[part]
        resp = node
    if "openapi" in raw:
        content = resp.get("content") or {}
        media = content.get("application/json") or next((v for k, v in content.items() if "json" in k), None)
        return (media or {}).get("schema"), resp
    return resp.get("schema"), resp


def dig(obj, dotted):
    for part in dotted.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        else:
            obj = obj[part]
    return obj


def substitute(value, saved):
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in saved:
                raise KeyError(f"${{{m.group(1)}}} was not saved by an earlier case")
            return str(saved[m.group(1)])
        return re.sub(r"\$\{([A-Za-z0-9_]+)\}", repl, value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


def send(base, req):
    headers = dict(req.get("headers") or {})
    data = None
    if "json" in req:
        data = json.dumps(req["json"], ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "form" in req:
        data = req["form"].encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif "body" in req:
        data = req["body"].encode()
    path = req["path"]
    # Non-ASCII in the path/query (Japanese search terms) is sent percent-encoded.
    path = urllib.parse.quote(path, safe="/?&=%[]:+,;@!$'()*~-._")
    r = urllib.request.Request(base + path, data=data, method=req.get("method", "GET"), headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            result = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        result = e.code, dict(e.headers), e.read()
    pace(result[1])
    return result


def pace(headers):
    """Behave like a well-mannered client: when the upstream says the burst window is spent
    (Pipedrive's x-ratelimit-remaining: 0), wait the x-ratelimit-reset seconds it names."""
    h = {k.lower(): v for k, v in headers.items()}
    if h.get("x-ratelimit-remaining") == "0":
        try:
            time.sleep(min(float(h.get("x-ratelimit-reset", "1")), 5.0))
        except ValueError:
            time.sleep(1.0)


def start_emulators(binary):
    proc = subprocess.Popen([binary, "emulate", "all", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    bases = {}
    deadline = time.time() + 20
    while len(bases) < 4 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        name, url = line.split()
        bases[name] = url
    if len(bases) < 4:
        proc.kill()
        raise SystemExit(f"emulate all did not print its four addresses (got {bases})")
    return proc, bases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/debug/crm-gateway")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
    ap.add_argument("--report", help="write a JSON summary here")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    upstreams_dir = os.path.join(args.shared, "upstreams")

    proc, bases = start_emulators(args.binary)
    summary = {}
    failures = 0
    try:
        for path in args.files:
            with open(path, encoding="utf-8") as f:
                suite = json.load(f)
            upstream = suite["upstream"]
            base = bases[upstream]
            saved = {}
            ops = {}
            results = {"cases": 0, "passed": 0, "failed": 0, "operations": {}}
            for case in suite["cases"]:
                results["cases"] += 1
                name = case["name"]
                spec_key = case["spec"]
                spec_file = suite["specs"][spec_key]
                problem = None
                try:
                    req = substitute(case["request"], saved)
                    status, headers, body = send(base, req)
                    if status != case["status"]:
                        problem = f"status {status}, expected {case['status']}: {body[:300]!r}"
                    elif status == 204 or status == 304:
                        if body:
                            problem = f"{status} with a body of {len(body)} bytes"
                    elif case.get("validate", True):
                        raw, converted, registry = load_spec(os.path.join(upstreams_dir, spec_file))
                        schema, _ = response_schema(raw, converted, case["operation"], status)
                        if schema is None:
                            problem = f"the spec has no JSON schema for {status}; mark the case validate:false with a note"
                        else:
                            instance = json.loads(body)
                            errors = sorted(Draft4Validator(schema, registry=registry).iter_errors(instance), key=lambda e: list(e.absolute_path))
                            # Documented vendor behaviour the spec gets wrong (e.g. Pipedrive's
                            # next_cursor is null on the last page, the spec says string):
                            # accepted per case, with the reason, and counted in the report.
                            accepted = {a["path"]: a["reason"] for a in case.get("accept", [])}
                            kept = []
                            for e in errors:
                                where = "/" + "/".join(map(str, e.absolute_path))
                                if where in accepted:
                                    results.setdefault("accepted_deviations", {})[where] = accepted[where]
                                else:
                                    kept.append(e)
                            errors = kept
                            if errors:
                                problem = "; ".join(f"at /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5])
                    if problem is None and case.get("save"):
                        doc = json.loads(body)
                        for var, dotted in case["save"].items():
                            saved[var] = dig(doc, dotted)
                except Exception as e:  # noqa: BLE001 - every failure is reported per case
                    problem = f"{type(e).__name__}: {e}"
                key = f"{spec_key} {case['operation']}"
                op = ops.setdefault(key, {"cases": 0, "statuses": set(), "failed": 0})
                op["cases"] += 1
                op["statuses"].add(case["status"])
                if problem:
                    failures += 1
                    results["failed"] += 1
                    op["failed"] += 1
                    print(f"FAIL {upstream}: {name} [{key} -> {case['status']}]: {problem}")
                else:
                    results["passed"] += 1
            for key, op in sorted(ops.items()):
                results["operations"][key] = {"cases": op["cases"], "statuses": sorted(op["statuses"]), "failed": op["failed"]}
            summary[upstream] = results
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()

    print()
    print(f"{'upstream':<12} {'operations':>10} {'cases':>6} {'passed':>7} {'failed':>7}")
    for upstream, r in summary.items():
        print(f"{upstream:<12} {len(r['operations']):>10} {r['cases']:>6} {r['passed']:>7} {r['failed']:>7}")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
