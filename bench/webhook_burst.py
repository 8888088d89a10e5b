#!/usr/bin/env python3
"""Issue 6's durability check: a burst of 1,000 Hana deliveries while the gateway is killed
with SIGKILL part-way and restarted on the same inbox. Every delivery that got a 2xx must be
in /events afterwards (0 lost), none twice; the unacknowledged ones are sent again after the
restart (as Hana retries). Reports the p99 answer time of the acknowledged deliveries.

Usage: python3 bench/webhook_burst.py [--binary .build/release/crm-gateway] [--n 1000] [--kill-after 400]
"""
import argparse, concurrent.futures, json, os, signal, subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error

ap = argparse.ArgumentParser()
ap.add_argument("--binary", default=".build/release/crm-gateway")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--kill-after", type=int, default=400)
ap.add_argument("--port", type=int, default=18290)
args = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="crm-burst.")
db = os.path.join(tmp, "events.sqlite")
base = f"http://127.0.0.1:{args.port}"


def start():
    out = open(os.path.join(tmp, "serve.out"), "w+")
    p = subprocess.Popen([args.binary, "serve", "--sandbox", "--port", str(args.port), "--events-db", db],
                         stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(200):
        out.seek(0)
        if "listening on" in out.read():
            return p
        time.sleep(0.05)
    raise SystemExit("the gateway did not start")


def body(i):
    return json.dumps({"application": {"id": "app"}, "lead": {
        "id": {"nomalizeData": f"burst-{i}", "rawData": f"burst-{i}"},
        "baseName": {"nomalizeData": f"Khách {i}", "rawData": f"Khách {i}"}}}).encode()


def deliver(i):
    req = urllib.request.Request(f"{base}/webhooks/hana/lead.created?token=sandbox-secret", data=body(i), method="POST",
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return i, r.status, time.perf_counter() - t
    except urllib.error.HTTPError as e:
        return i, e.code, time.perf_counter() - t
    except Exception:
        return i, None, time.perf_counter() - t


gateway = start()
acked, latencies, sent = {}, [], [0]
lock = threading.Lock()
killed = threading.Event()


def tracked(i):
    r = deliver(i)
    with lock:
        sent[0] += 1
        if sent[0] >= args.kill_after and not killed.is_set():
            killed.set()
            gateway.send_signal(signal.SIGKILL)
    return r


with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
    first = list(pool.map(tracked, range(args.n)))
gateway.wait()
ok_first = [i for i, s, _ in first if s is not None and 200 <= s < 300]
latencies += [d for _, s, d in first if s is not None and 200 <= s < 300]
pending = [i for i, s, _ in first if not (s is not None and 200 <= s < 300)]

gateway = start()  # the same inbox file
with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
    second = list(pool.map(deliver, pending))
ok_second = [i for i, s, _ in second if s is not None and 200 <= s < 300]
latencies += [d for _, s, d in second if s is not None and 200 <= s < 300]

subjects, after = [], 0
while True:
    with urllib.request.urlopen(f"{base}/events?after={after}&limit=500") as r:
        page = json.load(r)
    subjects += [e["subject_id"] for e in page["data"]]
    if not page["data"]:
        break
    after = page["next_after"]
gateway.send_signal(signal.SIGTERM)
gateway.wait()

acked_ids = set(ok_first) | set(ok_second)
stored = [s for s in subjects if s.startswith("hana:lead:burst-")]
lost = [i for i in acked_ids if f"hana:lead:burst-{i}" not in set(stored)]
twice = len(stored) - len(set(stored))
latencies.sort()
p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
print(json.dumps({"deliveries": args.n, "acked_before_kill": len(ok_first), "not_acked_before_kill": len(pending),
                  "acked_after_restart": len(ok_second), "acked_total": len(acked_ids), "events_stored": len(stored),
                  "lost": len(lost), "stored_twice": twice, "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
                  "p99_ms": round(p99 * 1000, 2)}, indent=1))
sys.exit(0 if not lost and twice == 0 and len(acked_ids) == args.n else 1)
