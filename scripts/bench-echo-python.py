#!/usr/bin/env python3
"""bench-echo-python.py - a Python echo server on the selectors module.

The classic single-threaded readiness loop, the peer that scripts/bench-echo
measures echo-epoll against: nonblocking sockets, one output buffer per
connection, write interest only while output is pending, reading paused
while it is.  Nagle's algorithm is off, as in the course's servers.

    python3 scripts/bench-echo-python.py [PORT]
"""
import selectors
import signal
import socket
import sys

sel = selectors.DefaultSelector()


def accept(listener):
    try:
        conn, _ = listener.accept()
    except (BlockingIOError, OSError):
        return
    conn.setblocking(False)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sel.register(conn, selectors.EVENT_READ, bytearray())


def close(conn):
    sel.unregister(conn)
    conn.close()


def serve(key, events):
    conn, pending = key.fileobj, key.data
    try:
        if events & selectors.EVENT_READ:
            data = conn.recv(65536)
            if not data:
                close(conn)
                return
            pending += data
        if pending:
            sent = conn.send(pending)
            del pending[:sent]
    except BlockingIOError:
        pass
    except OSError:
        close(conn)
        return
    want = selectors.EVENT_WRITE if pending else selectors.EVENT_READ
    if key.events != want:
        sel.modify(conn, want, pending)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    print("listening on 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            for key, events in sel.select():
                if key.data is None:
                    accept(key.fileobj)
                else:
                    serve(key, events)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
