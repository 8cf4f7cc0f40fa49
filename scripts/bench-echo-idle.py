#!/usr/bin/env python3
"""bench-echo-idle.py - holds COUNT idle connections open to an echo server.

    python3 scripts/bench-echo-idle.py HOST PORT COUNT

Connects COUNT times, prints "ready COUNT" when all are connected, and keeps
them open, sending nothing, until it is sent SIGTERM.
scripts/bench-echo uses it to measure one busy connection among many idle
ones: the case where poll() pays for every idle connection on every call and
epoll does not.
"""
import resource
import signal
import socket
import sys


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 64), hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    held = [socket.create_connection((host, port)) for _ in range(count)]
    print("ready", len(held), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
