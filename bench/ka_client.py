#!/usr/bin/env python3
"""Sends exactly N GET requests over C keep-alive connections, one in flight per connection
(bench/instructions.sh): ka_client.py HOST PORT PATH N C [EXTRA-HEADER-LINE]. Loopback only."""
import selectors, socket, sys, time
host, port, path, n, c = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
extra = sys.argv[6] if len(sys.argv) > 6 else ""
req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
sel = selectors.DefaultSelector()
sent = done = 0
state = {}
def send(s):
    global sent
    s.sendall(req); sent += 1
    state[s] = b""
for _ in range(min(c, n)):
    s = socket.create_connection((host, port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sel.register(s, selectors.EVENT_READ); send(s)
t0 = time.time(); statuses = {}
while done < n:
    for key, _ in sel.select(60):
        s = key.fileobj
        d = s.recv(65536)
        if not d: raise SystemExit("closed")
        buf = state[s] + d
        while True:
            he = buf.find(b"\r\n\r\n")
            if he < 0: break
            head = buf[:he].decode("latin1")
            cl = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.lower() == "content-length": cl = int(v)
            if len(buf) < he + 4 + cl: break
            st = head.split(" ")[1]; statuses[st] = statuses.get(st, 0) + 1
            buf = buf[he + 4 + cl:]
            done += 1
            if sent < n: send(s); buf = b""
        state[s] = buf
print(f"done {done} in {time.time()-t0:.1f}s statuses {statuses}", file=sys.stderr)
