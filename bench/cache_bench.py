#!/usr/bin/env python3
"""Issue 5's benchmark, in one run on this machine (see bench/README.md):

1. Cache hit, `GET /contacts/{id}` (~1 KB body): crm-gateway vs nginx `proxy_cache` hit of the
   same body vs nginx `return 200` of it; wrk with 64 connections; req/s, p50, p99. Servers
   pinned to CPU 0, wrk to CPU 1 (as bench/bench.sh does). nginx runs with `access_log off`,
   so the gateway runs with CRMGW_LOG_REQUESTS=false; a second gateway with its request log
   on (lines to a file) gives the log's cost.
2. 200 concurrent identical cold requests: upstream calls made (the emulator's counter).
3. A burst of 1,000 reads over 20 distinct ids against an upstream limited to 100 calls per
   60 s: upstream calls, client-visible 429s, p99 wait; once as clients normally read (the
   cache in front), once with `Cache-Control: no-cache` on every request (every read must go
   upstream, so the limiter alone decides).

Usage: python3 bench/cache_bench.py [--binary .build/release/crm-gateway] [--duration 10]
"""
import argparse, concurrent.futures, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time
import urllib.request, urllib.error

ap = argparse.ArgumentParser()
ap.add_argument("--binary", default=".build/release/crm-gateway")
ap.add_argument("--duration", type=int, default=10)
ap.add_argument("--connections", type=int, default=64)
ap.add_argument("--rounds", type=int, default=3)
# The hit's record: a HotProfile lead of 967 bytes as the gateway answers it (the issue asks
# for a ~1 KB body; Pipedrive's persons come out at 575-700 bytes).
ap.add_argument("--hit-id", default="hotprofile:lead:7018")
args = ap.parse_args()

procs = []
tmp = tempfile.mkdtemp(prefix="crm-cache-bench.")
os.chmod(tmp, 0o755)


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def get(url, headers=None, timeout=30):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def put(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def start_gateway(port, log_requests=False):
    """nginx in this bench has `access_log off`: our request log is off too unless asked for
    (then its JSON lines go to a file, as a deployment's would)."""
    log = open(os.path.join(tmp, f"gateway-{port}.out"), "w+")
    env = dict(os.environ, CRMGW_LOG_REQUESTS="true" if log_requests else "false")
    err = open(os.path.join(tmp, f"gateway-{port}.log"), "w") if log_requests else subprocess.DEVNULL
    p = subprocess.Popen(["taskset", "-c", "0", args.binary, "serve", "--sandbox", "--port", str(port), "--loops", "1"],
                         stdout=log, stderr=err, env=env)
    procs.append(p)
    for _ in range(200):
        log.seek(0)
        if "listening on" in log.read():
            return f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise SystemExit("the gateway did not start")


def start_nginx(name, server_block):
    conf = os.path.join(tmp, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; daemon off; pid {tmp}/{name}.pid; error_log {tmp}/{name}.err;
events {{ worker_connections 4096; }}
http {{ access_log off; proxy_cache_path {tmp}/{name}-cache keys_zone={name}:10m; {server_block} }}
""")
    p = subprocess.Popen(["taskset", "-c", "0", "nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    procs.append(p)
    time.sleep(0.5)


def wrk(url, headers=()):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url]
    for h in headers:
        cmd[5:5] = ["-H", h]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def stats(base, emulator):
    return json.loads(get(f"{base}/_sandbox/{emulator}/stats")[2])


def burst(base, n, ids, headers=None):
    def one(i):
        t = time.perf_counter()
        status, _, _ = get(f"{base}/contacts/pipedrive:person:{ids[i % len(ids)]}", headers, timeout=30)
        return status, time.perf_counter() - t
    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        return list(pool.map(one, range(n)))


try:
    results = {}
    gw = start_gateway(18180)
    item = f"{gw}/contacts/{args.hit_id}"
    status, _, body = get(item)
    assert status == 200, status
    print(f"body: {len(body)} bytes", file=sys.stderr)

    # 1. cache hit vs nginx proxy_cache hit vs nginx return 200.
    start_nginx("proxycache", f"""server {{ listen 127.0.0.1:18181;
      location / {{ proxy_pass {gw}; proxy_cache proxycache; proxy_cache_valid 200 10m; proxy_http_version 1.1; proxy_set_header Connection "";
                    add_header X-Cache-Status $upstream_cache_status; }} }}""")
    with open(os.path.join(tmp, "body.json"), "wb") as f:
        f.write(body)
    escaped = body.decode().replace("\\", "\\\\").replace("'", "\\'")
    start_nginx("return200", f"""server {{ listen 127.0.0.1:18182;
      location / {{ default_type application/json; return 200 '{escaped}'; }} }}""")
    assert get(f"http://127.0.0.1:18181/contacts/{args.hit_id}")[2] == body
    # The second read through nginx is its cache's (the header says so), not the gateway's.
    assert get(f"http://127.0.0.1:18181/contacts/{args.hit_id}")[1].get("X-Cache-Status") == "HIT"
    assert get("http://127.0.0.1:18182/x")[2] == body
    # The same gateway with its request log on (one JSON line per request), for its cost.
    gw_log = start_gateway(18183, log_requests=True)
    assert get(f"{gw_log}/contacts/{args.hit_id}")[0] == 200
    targets = {"crm-gateway cache hit": item, "nginx proxy_cache hit": f"http://127.0.0.1:18181/contacts/{args.hit_id}",
               "nginx return 200": f"http://127.0.0.1:18182/contacts/{args.hit_id}",
               "crm-gateway hit, log on": f"{gw_log}/contacts/{args.hit_id}"}
    runs = {k: [] for k in targets}
    for _ in range(args.rounds):
        for name, url in targets.items():
            runs[name].append(wrk(url))
    results["hit"] = {}
    for name, rs in runs.items():
        med = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
        results["hit"][name] = med
        print(f"{name:24} {med['rps']:10.0f} req/s  p50 {med['p50_ms']:.2f} ms  p99 {med['p99_ms']:.2f} ms  non-2xx {med['non2xx']}")
    ours = results["hit"]["crm-gateway cache hit"]["rps"]
    print(f"ratio vs nginx proxy_cache: {ours / results['hit']['nginx proxy_cache hit']['rps']:.2f}; "
          f"vs nginx return 200: {ours / results['hit']['nginx return 200']['rps']:.2f}; "
          f"with the request log on: {results['hit']['crm-gateway hit, log on']['rps'] / ours:.2f} of it")

    # 2. 200 concurrent identical cold requests (the upstream answers after 200 ms).
    put(f"{gw}/_sandbox/pipedrive/faults", {"mode": "latency", "latency_ms": 200, "count": -1})
    before = stats(gw, "pipedrive")["by_operation"].get("persons.get", 0)
    cold = burst(gw, 200, [42])
    after = stats(gw, "pipedrive")["by_operation"].get("persons.get", 0)
    put(f"{gw}/_sandbox/pipedrive/faults", {"mode": "none"})
    results["cold"] = {"requests": 200, "ok": sum(1 for s, _ in cold if s == 200), "upstream_calls": after - before}
    print(f"200 concurrent cold requests: {results['cold']['ok']} x 200, upstream calls {after - before}")

    # 3. 1,000 reads over 20 ids, 100 calls / 60 s (the default budget), on a fresh gateway each.
    for label, headers in (("cached reads", None), ("no-cache reads", {"Cache-Control": "no-cache"})):
        gw3 = start_gateway(18190 if headers is None else 18191)
        ids = list(range(100, 120))
        t0 = time.perf_counter()
        rs = burst(gw3, 1000, ids, headers)
        elapsed = time.perf_counter() - t0
        calls = stats(gw3, "pipedrive")["by_operation"].get("persons.get", 0)
        waits = sorted(d for _, d in rs)
        p99 = waits[int(len(waits) * 0.99) - 1]
        r = {"upstream_calls": calls, "ok": sum(1 for s, _ in rs if s == 200), "429": sum(1 for s, _ in rs if s == 429),
             "other": sum(1 for s, _ in rs if s not in (200, 429)), "p99_s": p99, "p50_s": statistics.median(waits), "elapsed_s": elapsed}
        results[label] = r
        print(f"1000 reads / 20 ids, {label}: upstream calls {calls}, 200s {r['ok']}, 429s {r['429']}, other {r['other']}, "
              f"p50 {r['p50_s'] * 1000:.0f} ms, p99 {r['p99_s'] * 1000:.0f} ms, {elapsed:.1f} s in all")
    print(json.dumps(results, indent=1))
finally:
    stop_all()
