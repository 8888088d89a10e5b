#!/usr/bin/env python3
"""Issue 6's durability check, a pass/fail step of scripts/test.sh: a burst of 1,000 Hana
deliveries while the gateway is killed with SIGKILL part-way and restarted on the same inbox.
Every delivery that got a 2xx must be in /events afterwards exactly once (0 lost, none twice);
the unacknowledged ones are sent again after the restart (as a sender retries) and must be
acknowledged then. Prints the p99 answer time of the acknowledged deliveries.

Exit status 0 only if all of that holds (and the kill really landed mid-burst); 1 otherwise.

Usage: python3 bench/webhook_burst.py [--binary .build/debug/crm-gateway] [--n 1000] [--kill-after 400]
"""
import argparse, collections, concurrent.futures, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error

ap = argparse.ArgumentParser()
ap.add_argument("--binary", default=".build/release/crm-gateway")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--kill-after", type=int, default=400, help="SIGKILL once this many deliveries have been answered")
ap.add_argument("--workers", type=int, default=32)
args = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="crm-burst.")
db = os.path.join(tmp, "events.sqlite")
state = {"base": None, "proc": None}


def start():
    """Starts `serve --sandbox --port 0` on the inbox file; returns the process and its base URL."""
    out_path = os.path.join(tmp, "serve.out")
    out = open(out_path, "w+")
    p = subprocess.Popen([args.binary, "serve", "--sandbox", "--port", "0", "--events-db", db],
                         stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(400):
        out.seek(0)
        m = re.search(r"listening on (http://[0-9.]+:\d+)", out.read())
        if m:
            return p, m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.025)
    p.kill()
    raise SystemExit("webhook_burst: the gateway did not start")


def body(i):
    return json.dumps({"application": {"id": "app"}, "lead": {
        "id": {"nomalizeData": f"burst-{i}", "rawData": f"burst-{i}"},
        "baseName": {"nomalizeData": f"Khách {i}", "rawData": f"Khách {i}"}}}).encode()


def deliver(i, base):
    req = urllib.request.Request(f"{base}/webhooks/hana/lead.created?token=sandbox-secret", data=body(i), method="POST",
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
            return i, r.status, time.perf_counter() - t
    except urllib.error.HTTPError as e:
        return i, e.code, time.perf_counter() - t
    except Exception:
        return i, None, time.perf_counter() - t


def ok(status):
    return status is not None and 200 <= status < 300


def main():
    began = time.monotonic()
    gateway, base = start()
    state["proc"] = gateway
    lock = threading.Lock()
    answered = [0]
    killed = threading.Event()

    def tracked(i):
        r = deliver(i, base)
        with lock:
            answered[0] += 1
            if answered[0] >= args.kill_after and not killed.is_set():
                killed.set()
                gateway.send_signal(signal.SIGKILL)
        return r

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        first = list(pool.map(tracked, range(args.n)))
    if not killed.is_set():
        gateway.kill()  # too late to test anything; reported below
    gateway.wait()
    ok_first = [i for i, s, _ in first if ok(s)]
    latencies = [d for _, s, d in first if ok(s)]
    pending = [i for i, s, _ in first if not ok(s)]

    gateway, base = start()  # the same inbox file, as after a crash
    state["proc"] = gateway
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        second = list(pool.map(lambda i: deliver(i, base), pending))
    ok_second = [i for i, s, _ in second if ok(s)]
    latencies += [d for _, s, d in second if ok(s)]

    subjects, after = [], 0
    while True:
        with urllib.request.urlopen(f"{base}/events?after={after}&limit=500", timeout=10) as r:
            page = json.load(r)
        subjects += [e["subject_id"] for e in page["data"]]
        if not page["data"]:
            break
        after = page["next_after"]
    gateway.send_signal(signal.SIGTERM)
    gateway.wait(timeout=15)

    counts = collections.Counter(s for s in subjects if s.startswith("hana:lead:burst-"))
    acked = set(ok_first) | set(ok_second)
    lost = sorted(i for i in acked if counts[f"hana:lead:burst-{i}"] == 0)
    twice = sorted(s for s, c in counts.items() if c > 1)
    never_acked = sorted(set(range(args.n)) - acked)
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("nan")
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    report = {"deliveries": args.n, "acked_before_kill": len(ok_first), "not_acked_before_kill": len(pending),
              "acked_after_restart": len(ok_second), "acked_total": len(acked), "events_stored": sum(counts.values()),
              "lost": len(lost), "stored_twice": len(twice), "never_acked": len(never_acked),
              "p50_ms": round(p50 * 1000, 2), "p99_ms": round(p99 * 1000, 2), "seconds": round(time.monotonic() - began, 1)}
    print(json.dumps(report, indent=1))
    print(f"webhook_burst: p99 answer time {report['p99_ms']} ms over {len(latencies)} acknowledged deliveries")
    failures = []
    if not pending:
        failures.append("the kill landed after the last delivery: nothing was tested")
    if lost:
        failures.append(f"{len(lost)} acknowledged deliveries are not in /events, e.g. {lost[:5]}")
    if twice:
        failures.append(f"{len(twice)} deliveries are in /events more than once, e.g. {twice[:5]}")
    if never_acked:
        failures.append(f"{len(never_acked)} deliveries were still refused after the restart, e.g. {never_acked[:5]}")
    for f in failures:
        print("webhook_burst: FAIL:", f)
    if not failures:
        print("webhook_burst: PASS: every acknowledged delivery is in /events exactly once")
    return 1 if failures else 0


try:
    code = main()
finally:
    p = state["proc"]
    if p is not None and p.poll() is None:
        p.kill()
        p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(code)
