#!/usr/bin/env python3
"""Parse wrk --latency outputs written by bench/bench.sh and summarise them.

    summarize.py line FILE        one-line digest of one wrk output
    summarize.py summary DIR      markdown summary of DIR/runs.tsv (+ meta.txt)

Per target the median over rounds is reported for req/s, p50 and p99
(each median taken on its own). Latencies are wrk's, in ms.
"""
import os
import re
import statistics
import sys

UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
UNITS_B = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"bad latency {text!r}")
    return float(m.group(1)) * UNITS_S[m.group(2)] * 1e3


def parse_wrk(path):
    """Return a dict with rps, p50/p75/p90/p99 (ms), requests, bytes_per_req, errors."""
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {"rps": None, "errors": 0, "non2xx": 0, "requests": None, "bytes_per_req": None}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    for pct, val in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", text, re.M):
        out[f"p{pct}"] = to_ms(val)
    m = re.search(r"^\s+(\d+) requests in ([\d.]+\w+), ([\d.]+)(B|KB|MB|GB|TB) read", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
        total = float(m.group(3)) * UNITS_B[m.group(4)]
        if out["requests"]:
            out["bytes_per_req"] = total / out["requests"]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    if out["rps"] is None or "p50" not in out or "p99" not in out:
        raise ValueError(f"{path}: not a complete wrk --latency output")
    return out


def fmt_ms(v):
    return "-" if v is None else (f"{v:.3f}" if v < 1 else f"{v:.2f}")


def fmt_ratio(a, b):
    if a is None or b in (None, 0):
        return "-"
    return f"{a / b:.2f}x"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_meta(d):
    meta, targets, skipped = {}, [], []
    p = os.path.join(d, "meta.txt")
    if os.path.exists(p):
        for line in open(p, encoding="utf-8"):
            k, _, v = line.rstrip("\n").partition("=")
            if k == "target":
                name, desc, url = (v.split("|") + ["", ""])[:3]
                targets.append((name, desc, url))
            elif k == "skipped":
                skipped.append(v)
            else:
                meta[k] = v
    return meta, targets, skipped


def summary(d):
    meta, targets, skipped = read_meta(d)
    clk = float(meta.get("clk_tck", 100) or 100)
    rows = {}
    order = []
    with open(os.path.join(d, "runs.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rec = dict(zip(header, line.rstrip("\n").split("\t")))
            w = parse_wrk(os.path.join(d, rec["raw"]))
            real = float(rec["wrk_real"])
            w["server_cpu"] = int(rec["server_ticks"]) / clk / real * 100
            w["extra_cpu"] = int(rec["extra_ticks"]) / clk / real * 100
            w["wrk_cpu"] = (float(rec["wrk_user"]) + float(rec["wrk_sys"])) / real * 100
            w["rss_mb"] = int(rec["server_rss_kb"]) / 1024
            w["group"] = rec["group"]
            t = rec["target"]
            if t not in rows:
                rows[t] = []
                order.append(t)
            rows[t].append(w)

    agg = {}
    for t in order:
        runs = rows[t]
        a = {k: median([r.get(k) for r in runs]) for k in
             ("rps", "p50", "p90", "p99", "server_cpu", "extra_cpu", "wrk_cpu", "bytes_per_req", "rss_mb")}
        a["runs_rps"] = [r["rps"] for r in runs]
        a["errors"] = sum(r["errors"] for r in runs)
        a["non2xx"] = sum(r["non2xx"] for r in runs)
        a["group"] = runs[0]["group"]
        # Throughput per CPU-second the server spent: efficiency, useful when unpinned.
        a["rps_per_cpu"] = (a["rps"] / (a["server_cpu"] / 100)) if a["server_cpu"] else None
        agg[t] = a

    groups = []
    for spec in meta.get("groups", "").split():
        g, _, base = spec.partition(":")
        groups.append((g, base))
    desc = {n: (ds, url) for n, ds, url in targets}

    out = []
    out.append(f"# Benchmark: {meta.get('mode', '?')} ({meta.get('date', '?')})")
    out.append("")
    out.append(f"- host: {meta.get('host', '?')}; load average before {meta.get('load_before', '?')}, "
               f"after {meta.get('load_after', '?')}")
    out.append(f"- client: `{meta.get('wrk', '?')} URL` (wrk {meta.get('wrk_version', '?')}); "
               f"{meta.get('run', '?')}")
    out.append(f"- pinning: {meta.get('pinning', '?')}")
    out.append(f"- payload: {meta.get('payload', '?')}; nginx {meta.get('nginx', '?')}")
    out.append("- numbers: median over rounds (req/s, p50, p99 each on its own); latencies in ms "
               "as wrk measures them (closed loop, so p99 includes queueing at the connection count used)")
    for s in skipped:
        out.append(f"- skipped: {s}")
    out.append("")

    for g, base in groups:
        members = [t for t in order if agg[t]["group"] == g]
        if not members:
            continue
        b = agg.get(base)
        out.append(f"## {g}" + (f" (ratios vs {base})" if b else ""))
        out.append("")
        out.append("| target | req/s | req/s per round | p50 ms | p99 ms | req/s ratio | p99 ratio "
                   "| server CPU % | req per server CPU-s | other CPU % | wrk CPU % | bytes/resp | RSS MB | errors |")
        out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for t in members:
            a = agg[t]
            errs = a["errors"] + a["non2xx"]
            out.append("| {t} | {rps:,.0f} | {runs} | {p50} | {p99} | {rr} | {pr} | {sc:.0f} | {rpc} | {ec} | {wc:.0f} | {bpr} | {rss:.1f} | {errs} |".format(
                t=t, rps=a["rps"], runs=" / ".join(f"{x:,.0f}" for x in a["runs_rps"]),
                p50=fmt_ms(a["p50"]), p99=fmt_ms(a["p99"]),
                rr=fmt_ratio(a["rps"], b["rps"]) if b else "-",
                pr=fmt_ratio(a["p99"], b["p99"]) if b else "-",
                sc=a["server_cpu"], rpc=f"{a['rps_per_cpu']:,.0f}" if a["rps_per_cpu"] else "-",
                ec=f"{a['extra_cpu']:.0f}" if a["extra_cpu"] else "-",
                wc=a["wrk_cpu"], bpr=f"{a['bytes_per_req']:.0f}" if a["bytes_per_req"] else "-",
                rss=a["rss_mb"], errs=errs))
        out.append("")
        # Head to head: every pair in the group.
        pairs = [(x, y) for i, x in enumerate(members) for y in members[i + 1:]]
        for x, y in pairs:
            # Round k of x ran right next to round k of y (the rounds alternate), so their
            # ratio sees the same machine; the median of those ratios is less moved by the
            # machine's speed drifting between rounds than the ratio of the two medians.
            rx, ry = agg[x]["runs_rps"], agg[y]["runs_rps"]
            per = [a / b for a, b in zip(rx, ry) if a and b]
            paired = (f"; per-round req/s ratios {' / '.join(f'{r:.2f}' for r in per)}, "
                      f"median {median(per):.2f}x") if len(per) > 1 else ""
            out.append(f"- {x} / {y}: req/s {fmt_ratio(agg[x]['rps'], agg[y]['rps'])}, "
                       f"p50 {fmt_ratio(agg[x]['p50'], agg[y]['p50'])}, "
                       f"p99 {fmt_ratio(agg[x]['p99'], agg[y]['p99'])}{paired}")
        failed = [f"{t} ({agg[t]['errors'] + agg[t]['non2xx']})" for t in members if agg[t]["errors"] + agg[t]["non2xx"]]
        if failed:
            out.append(f"- **not valid**: wrk saw socket errors or non-2xx answers from {', '.join(failed)}: "
                       "errors are fast, so those req/s and every ratio with them are meaningless")
        warn = [t for t in members if agg[t]["wrk_cpu"] and agg[t]["wrk_cpu"] > 90]
        if warn:
            out.append(f"- note: wrk used >90% of a core for {', '.join(warn)}: the client may be the "
                       "bottleneck there, so that server's req/s is a lower bound")
        if meta.get("mode") == "compare":
            starved = [f"{t} ({agg[t]['server_cpu']:.0f}%)" for t in members
                       if agg[t]["server_cpu"] < 85 and agg[t]["wrk_cpu"] < 90]
            if starved:
                out.append(f"- note: {', '.join(starved)} used well under its pinned core while wrk was not "
                           "saturated either: waiting on something (origin, other load on the machine, "
                           "thread hand-offs); req per server CPU-s is the steadier figure there")
        bad = [t for t in members if agg[t]["errors"] + agg[t]["non2xx"]]
        if bad:
            out.append(f"- WARNING: socket errors or non-2xx responses for {', '.join(bad)} (see raw/)")
        out.append("")

    out.append("Targets:")
    out.append("")
    for n, ds, url in targets:
        out.append(f"- `{n}`: {ds} — {url}")
    out.append("")
    out.append("Columns: *server CPU %* is the CPU time of the server process tree during the measured run "
               "divided by wall time (100 = one core); *other CPU %* is the origin nginx for proxy targets; "
               "*wrk CPU %* the client's; *RSS MB* the server's resident memory after the run.")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("line", "summary"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "line":
        w = parse_wrk(sys.argv[2])
        extra = ""
        if w["errors"] or w["non2xx"]:
            extra = f"  errors {w['errors']} non-2xx {w['non2xx']}"
        print(f"{w['rps']:>10,.0f} req/s  p50 {fmt_ms(w['p50'])} ms  p99 {fmt_ms(w['p99'])} ms{extra}")
    else:
        sys.stdout.write(summary(sys.argv[2]))


if __name__ == "__main__":
    main()
