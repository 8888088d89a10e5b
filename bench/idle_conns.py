#!/usr/bin/env python3
"""Hold N idle keep-alive HTTP/1.1 connections open and measure a server's memory.

    bench/idle_conns.py --pid PID --port PORT [-n 10000] [--hold 10]

1. reads the server's VmRSS (/proc/PID/status; with its child processes, so
   nginx's master PID covers its workers; --no-children for PID alone),
2. opens N TCP connections to HOST:PORT with non-blocking sockets (selectors,
   at most --concurrency handshakes in flight), sends one
   `GET /healthz HTTP/1.1` on each and reads the whole response, keeping the
   connection open (keep-alive),
3. reads VmRSS again once all are open and idle (after --settle seconds),
4. holds them for --hold seconds, watching for the server closing any,
5. prints RSS before / after, the growth in MB and per connection, and how
   many connections are still open after the hold.

This process needs N + some file descriptors: it raises its own RLIMIT_NOFILE
(the hard limit too when run as root). The server needs the same, e.g. start
it from a shell after `ulimit -n 20000` (bench/bench.sh idle does this).

With more connections than the ephemeral port range holds (about 28k on
Linux by default), connections are spread over source addresses 127.0.0.1,
127.0.0.2, ... (--sources, automatic by default).
"""
import argparse
import errno
import os
import resource
import selectors
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def rss_kb(pid, children=True):
    """VmRSS in kB of pid (and its descendants), and the pids counted."""
    pids = [pid]
    if children:
        i = 0
        while i < len(pids):
            p = pids[i]
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        pids.extend(int(x) for x in f.read().split())
            except OSError:
                pass
            i += 1
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            if p == pid:
                raise
    return total, pids


def fd_count(pids):
    n = 0
    for p in pids:
        try:
            n += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            pass
    return n


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    try:
        # Raising the hard limit needs root (CAP_SYS_RESOURCE).
        new_hard = hard if hard == resource.RLIM_INFINITY else max(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, new_hard))
    except (ValueError, OSError):
        if hard != resource.RLIM_INFINITY:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ephemeral_ports():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
            return hi - lo + 1
    except OSError:
        return 28000


class Conn:
    __slots__ = ("sock", "state", "buf", "need", "src")

    def __init__(self, sock, src):
        self.sock, self.state, self.buf, self.need, self.src = sock, "connecting", b"", None, src


def response_complete(buf):
    """Length of the full response at the start of buf, or None if incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1")
    status = head.split("\r\n", 1)[0]
    length = 0
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
        elif k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
            # enough for a small chunked body: wait for the last chunk
            term = buf.find(b"\r\n0\r\n\r\n", end)
            return None if term < 0 else term + 7
    if not status.startswith("HTTP/1.1 2") and not status.startswith("HTTP/1.0 2"):
        raise ValueError(status)
    total = end + 4 + length
    return total if len(buf) >= total else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int, required=True, help="server PID whose VmRSS is measured")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("-n", "--connections", type=int, default=10000)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--hold", type=float, default=10.0, help="seconds to hold the idle connections")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds between the last response and the RSS reading")
    ap.add_argument("--concurrency", type=int, default=1000, help="handshakes/requests in flight at once")
    ap.add_argument("--sources", type=int, default=0,
                    help="spread over source addresses 127.0.0.1..127.0.0.K (0: automatic)")
    ap.add_argument("--timeout", type=float, default=60.0, help="give up opening after this many seconds")
    ap.add_argument("--no-children", action="store_true", help="measure PID alone, not its child processes")
    args = ap.parse_args()
    n = args.connections
    children = not args.no_children

    limit = raise_nofile(n + 256)
    if limit < n + 64:
        sys.exit(f"RLIMIT_NOFILE is {limit}, need {n + 64}: run as root or raise the hard limit (ulimit -Hn)")

    sources = args.sources
    if sources <= 0:
        per_src = int(ephemeral_ports() * 0.8)
        sources = 1 if n <= per_src else -(-n // per_src)
    if sources > 1 and not args.host.startswith("127."):
        sys.exit("several source addresses only work for a loopback target")

    rss0, pids = rss_kb(args.pid, children)
    fds0 = fd_count(pids)
    print(f"server pid {args.pid} (counting {len(pids)} process{'es' if len(pids) > 1 else ''}: "
          f"{' '.join(map(str, pids))}); RLIMIT_NOFILE here {limit}")
    print(f"before: VmRSS {rss0 / 1024:.1f} MB, {fds0} fds")

    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               f"User-Agent: idle_conns.py\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    idle = []            # connections that got their response
    failed = {}          # reason -> count
    started = 0
    inflight = 0
    t0 = time.monotonic()

    def fail(c, reason):
        nonlocal inflight
        failed[reason] = failed.get(reason, 0) + 1
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        inflight -= 1

    while (started < n or inflight) and time.monotonic() - t0 < args.timeout:
        while started < n and inflight < args.concurrency:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            src = None
            if sources > 1:
                src = f"127.0.0.{1 + started % sources}"
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((src, 0))
            c = Conn(s, src)
            started += 1
            inflight += 1
            rc = s.connect_ex((args.host, args.port))
            if rc not in (0, errno.EINPROGRESS):
                fail(c, f"connect: {errno.errorcode.get(rc, rc)}")
                continue
            sel.register(s, selectors.EVENT_WRITE, c)
        for key, ev in sel.select(timeout=0.5):
            c = key.data
            s = c.sock
            if c.state == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(c, f"connect: {errno.errorcode.get(err, err)}")
                    continue
                try:
                    s.send(request)        # tiny: fits in the socket buffer
                except OSError as e:
                    fail(c, f"send: {errno.errorcode.get(e.errno, e)}")
                    continue
                c.state = "reading"
                sel.modify(s, selectors.EVENT_READ, c)
            else:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(c, f"recv: {errno.errorcode.get(e.errno, e)}")
                    continue
                if not data:
                    fail(c, "closed before the response")
                    continue
                c.buf += data
                try:
                    done = response_complete(c.buf)
                except ValueError as e:
                    fail(c, f"status: {e}")
                    continue
                if done is not None:
                    c.state, c.buf = "idle", b""
                    idle.append(c)
                    inflight -= 1
                    # stay registered for reads: data or EOF now means the server closed it
    t_open = time.monotonic() - t0
    timed_out = started < n or inflight
    if timed_out:
        failed["still opening at timeout"] = failed.get("still opening at timeout", 0) + (n - started) + inflight

    print(f"opened {len(idle)}/{n} connections, each answered, in {t_open:.2f}s "
          f"({sources} source address{'es' if sources > 1 else ''})")
    if failed:
        for reason, k in sorted(failed.items(), key=lambda x: -x[1]):
            print(f"  failed: {k} x {reason}")

    closed = 0

    def watch(seconds):
        nonlocal closed
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            for key, _ in sel.select(timeout=min(left, 0.5)):
                c = key.data
                if c.state != "idle":
                    continue
                try:
                    data = c.sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:           # EOF or reset: the server closed it
                    sel.unregister(c.sock)
                    c.sock.close()
                    c.state = "closed"
                    closed += 1

    watch(args.settle)
    rss1, pids1 = rss_kb(args.pid, children)
    fds1 = fd_count(pids1)
    grow = (rss1 - rss0) / 1024
    open_now = len(idle) - closed
    per = (rss1 - rss0) / max(open_now, 1)
    print(f"after opening: VmRSS {rss1 / 1024:.1f} MB, {fds1} fds; growth {grow:+.1f} MB "
          f"({per:.2f} kB per open connection)")

    watch(args.hold)
    rss2, pids2 = rss_kb(args.pid, children)
    still = len(idle) - closed
    print(f"after holding {args.hold:g}s: {still}/{len(idle)} still open; "
          f"VmRSS {rss2 / 1024:.1f} MB ({(rss2 - rss0) / 1024:+.1f} MB vs before)")
    print(f"RESULT connections={n} opened={len(idle)} open_after_hold={still} "
          f"rss_before_mb={rss0 / 1024:.1f} rss_idle_mb={rss1 / 1024:.1f} growth_mb={grow:.1f} "
          f"kb_per_conn={per:.2f} open_seconds={t_open:.2f}")
    for c in idle:
        if c.state == "idle":
            c.sock.close()
    return 0 if still == n else 1


if __name__ == "__main__":
    sys.exit(main())
