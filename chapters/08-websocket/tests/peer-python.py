#!/usr/bin/python3
"""A reference peer for the chapter's conformance tests: Python's
`websockets` library (Debian's python3-websockets) on the other end.

    peer-python.py client URL FAMILY   check ws-server, as a client
    peer-python.py server FAMILY       a server for ws-client --echo: prints
                                       "listening on 127.0.0.1:PORT", runs
                                       the family against the first client,
                                       prints "ok" or "FAIL ..." and exits

FAMILY is one of framing, pings, fragmentation, utf8, limits, closing.
Exit status 0 when every check held, 1 otherwise, 77 when the library is
missing.
"""
import asyncio
import os
import sys

try:
    import websockets
except ImportError:
    print("python3-websockets is not installed", file=sys.stderr)
    sys.exit(77)


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def pattern(n, seed=0):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20]
TEXTS = ["Hello", "\u03ba\u1f79\u03c3\u03bc\u03b5", "\U0001F600", "\U0010FFFF", "\x00", "a" * 70000]


# ---- the client side: checks of ws-server ---------------------------------------

async def client_framing(url):
    async with websockets.connect(url, max_size=None) as ws:
        for n in SIZES:
            await ws.send(pattern(n, n))
            check(await ws.recv() == pattern(n, n), f"binary echo of {n} bytes")
            await ws.send("x" * n)
            check(await ws.recv() == "x" * n, f"text echo of {n} bytes")


async def client_pings(url):
    async with websockets.connect(url) as ws:
        for payload in [b"", b"ping", pattern(125)]:
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, 5)
        await ws.pong(b"unsolicited")
        await ws.send("after")
        check(await ws.recv() == "after", "echo after an unsolicited pong")


async def client_fragmentation(url):
    async with websockets.connect(url) as ws:
        await ws.send(["frag", "men", "", "ted"])  # one message in four frames
        check(await ws.recv() == "fragmented", "fragmented text")
        await ws.send([pattern(1000, 1), pattern(70000, 2), b"end"])
        check(await ws.recv() == pattern(1000, 1) + pattern(70000, 2) + b"end",
              "fragmented binary")


async def client_utf8(url):
    async with websockets.connect(url) as ws:
        for text in TEXTS:
            await ws.send(text)
            check(await ws.recv() == text, f"text {text[:10]!r}")


async def client_limits(url):
    # ws-server is started with --max-message 100000 for this family
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(pattern(100000))
        check(await ws.recv() == pattern(100000), "a message at the limit")
        await ws.send(pattern(100001))
        try:
            await ws.recv()
            raise Fail("a message over the limit was echoed")
        except websockets.ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1009,
                  f"close code {closed.rcvd and closed.rcvd.code}, expected 1009")


async def client_closing(url):
    for code, reason in [(1000, ""), (1001, "going"), (4000, "custom"), (3000, "x" * 123)]:
        ws = await websockets.connect(url)
        await ws.close(code, reason)
        check(ws.close_code == code, f"close code {ws.close_code}, expected {code} echoed")
    # The server closes the TCP connection after the handshake (§7.1.1).
    ws = await websockets.connect(url)
    await ws.close()
    await asyncio.wait_for(ws.wait_closed(), 5)


# ---- the server side: checks of ws-client --echo ------------------------------------

async def server_framing(ws):
    for n in SIZES:
        await ws.send(pattern(n, n))
        check(await ws.recv() == pattern(n, n), f"binary echo of {n} bytes")
        await ws.send("y" * n)
        check(await ws.recv() == "y" * n, f"text echo of {n} bytes")
    await ws.close(1000)


async def server_pings(ws):
    for payload in [b"", b"ping", pattern(125)]:
        waiter = await ws.ping(payload)
        await asyncio.wait_for(waiter, 5)
    await ws.send("after pings")
    check(await ws.recv() == "after pings", "echo after pings")
    await ws.close(1000)


async def server_fragmentation(ws):
    await ws.send(["frag", "men", "ted"])
    check(await ws.recv() == "fragmented", "fragmented text")
    await ws.send([pattern(300, 1), pattern(70000, 2)])
    check(await ws.recv() == pattern(300, 1) + pattern(70000, 2), "fragmented binary")
    await ws.close(1000)


async def server_utf8(ws):
    for text in TEXTS:
        await ws.send(text)
        check(await ws.recv() == text, f"text {text[:10]!r}")
    await ws.close(1000)


async def server_limits(ws):
    # ws-client runs with --max-message 100000 for this family
    await ws.send(pattern(100000))
    check(await ws.recv() == pattern(100000), "a message at the limit")
    await ws.send(pattern(100001))
    try:
        await ws.recv()
        raise Fail("a message over the limit was echoed")
    except websockets.ConnectionClosed as closed:
        check(closed.rcvd is not None and closed.rcvd.code == 1009,
              f"close code {closed.rcvd and closed.rcvd.code}, expected 1009")


async def server_closing(ws):
    await ws.send("last")
    check(await ws.recv() == "last", "echo before closing")
    await ws.close(1000, "done")
    check(ws.close_code == 1000, f"the client answered {ws.close_code}, not 1000")


async def run_server(family):
    result = {}
    done = asyncio.Event()

    async def handler(ws, path=None):
        try:
            await FAMILIES_SERVER[family](ws)
            result["outcome"] = "ok"
        except Fail as e:
            result["outcome"] = f"FAIL {e}"
        except Exception as e:  # the connection broke: that is a failure too
            result["outcome"] = f"FAIL {type(e).__name__}: {e}"
        done.set()

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.wait_for(done.wait(), 30)
    print(result["outcome"], flush=True)
    return 0 if result["outcome"] == "ok" else 1


FAMILIES_CLIENT = {
    "framing": client_framing, "pings": client_pings,
    "fragmentation": client_fragmentation, "utf8": client_utf8,
    "limits": client_limits, "closing": client_closing,
}
FAMILIES_SERVER = {
    "framing": server_framing, "pings": server_pings,
    "fragmentation": server_fragmentation, "utf8": server_utf8,
    "limits": server_limits, "closing": server_closing,
}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "client" and sys.argv[3] in FAMILIES_CLIENT:
        try:
            asyncio.run(asyncio.wait_for(FAMILIES_CLIENT[sys.argv[3]](sys.argv[2]), 30))
        except Fail as e:
            print(f"FAIL {e}")
            return 1
        print("ok")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "server" and sys.argv[2] in FAMILIES_SERVER:
        return asyncio.run(run_server(sys.argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
