#!/usr/bin/env python3
"""How fast `crm-gateway serve --sandbox` is usable: time from exec to (a) the start-up line,
(b) the first 200 from the gateway's /_sandbox listing, (c) the first 200 from every
emulator (a real API call with the sandbox credential). Runs N times, prints min/median/max.

    bench/startup.py [--binary .build/release/crm-gateway] [--runs 20]
"""
import argparse, json, re, statistics, subprocess, time, urllib.request

CALLS = {  # one real read per emulator, with its own auth scheme
    "hotprofile": ("POST", "/rest_api/v1/clients/get_entry_list_flow?api_key=sandbox-key", {}),
    "pipedrive": ("GET", "/api/v2/persons?limit=1", {"x-api-token": "sandbox-key"}),
    "textrequest": ("GET", "/api/v3/dashboards/1/contacts?page_size=1", {"x-api-key": "sandbox-key"}),
    "hana": ("GET", "/_sandbox/hana/stats", {}),  # Hana has no read API; its admin path
}

def get(url, method="GET", headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=2) as r:
        return r.status, r.read()

def until_ok(fn):
    while True:
        try:
            if fn()[0] == 200:
                return time.perf_counter()
        except Exception:
            time.sleep(0.002)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/crm-gateway")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    line_t, list_t, all_t = [], [], []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([a.binary, "serve", "--sandbox", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        t1 = time.perf_counter()
        port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
        base = f"http://127.0.0.1:{port}"
        t2 = until_ok(lambda: get(base + "/_sandbox"))
        emulators = json.loads(get(base + "/_sandbox")[1])["emulators"]
        for e in emulators:
            m, path, h = CALLS[e["name"]]
            until_ok(lambda: get(e["base_url"] + path, m, h))
        t3 = time.perf_counter()
        p.terminate(); p.wait()
        line_t.append((t1 - t0) * 1000); list_t.append((t2 - t0) * 1000); all_t.append((t3 - t0) * 1000)
    for name, xs in [("start-up line", line_t), ("GET /_sandbox 200", list_t), ("every emulator answered 200", all_t)]:
        print(f"{name:<30} min {min(xs):7.1f} ms  median {statistics.median(xs):7.1f} ms  max {max(xs):7.1f} ms  (n={len(xs)})")

if __name__ == "__main__":
    main()
