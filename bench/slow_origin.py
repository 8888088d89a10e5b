#!/usr/bin/env python3
"""An origin that answers every request with bench/payload.json after a fixed delay
(bench/instructions.sh, ORIGIN_DELAY_MS): slow_origin.py PORT DELAY_MS PAYLOAD_FILE.

Under callgrind our server runs ~50x slower than natively, so a fast origin's answer is
often already there when curl first looks, right after sending: curl then finishes the
transfer in the same pass. Whether it does flips from run to run and moves the count by
6-8k instructions per request. A delay of a few ms makes the answer always come later, as it
does natively, so every run works each transfer the same way. Loopback only."""
import asyncio, sys
port, delay, payload = int(sys.argv[1]), int(sys.argv[2]) / 1000.0, open(sys.argv[3], "rb").read()
head = (b"HTTP/1.1 200 OK\r\nServer: slow-origin\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\nConnection: keep-alive\r\n\r\n")

async def serve(reader, writer):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = await reader.read(65536)
                if not d:
                    return
                buf += d
            _, _, buf = buf.partition(b"\r\n\r\n")  # GET only: no request body
            await asyncio.sleep(delay)
            writer.write(head + payload)
            await writer.drain()
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()

asyncio.run(main())
