#!/usr/bin/env python3
"""An outside client of app-server, written from the interface text alone.

    outside-client.py HOST PORT

Speaks the wire format as the interface describes it (2-byte big-endian
header length, a UTF-8 JSON header with byteorder, content-length,
content-type and content-encoding, then the content) with nothing but
Python's standard library, and checks each promise the interface makes.
Prints "all checks passed" and exits 0, or names the first broken promise
and exits 1.
"""
import json
import socket
import struct
import sys
import time

TIMEOUT = 5.0


def fail(what):
    print("outside-client: FAILED: " + what, file=sys.stderr)
    sys.exit(1)


def encode(content, content_type, encoding):
    header = json.dumps({
        "byteorder": sys.byteorder,
        "content-length": len(content),
        "content-type": content_type,
        "content-encoding": encoding,
    }, ensure_ascii=False).encode("utf-8")
    return struct.pack(">H", len(header)) + header + content


def json_request(action, value):
    content = json.dumps({"action": action, "value": value},
                         ensure_ascii=False).encode("utf-8")
    return encode(content, "text/json", "utf-8")


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            fail("the server closed the connection in the middle of a message")
        data += chunk
    return data


def read_message(sock):
    (header_len,) = struct.unpack(">H", recv_exactly(sock, 2))
    header = json.loads(recv_exactly(sock, header_len).decode("utf-8"))
    if not isinstance(header, dict):
        fail("the header is not a JSON object")
    for key in ("byteorder", "content-length", "content-type", "content-encoding"):
        if key not in header:
            fail("the answer's header has no %r: %r" % (key, header))
    if header["byteorder"] not in ("little", "big"):
        fail("byteorder is %r" % header["byteorder"])
    if not isinstance(header["content-length"], int):
        fail("content-length is not an integer")
    content = recv_exactly(sock, header["content-length"])
    return header, content


def connect(host, port):
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def search(sock, value):
    sock.sendall(json_request("search", value))
    header, content = read_message(sock)
    if header["content-type"] != "text/json" or header["content-encoding"] != "utf-8":
        fail("a search was answered with %r" % header)
    answer = json.loads(content.decode("utf-8"))
    if not isinstance(answer, dict) or "result" not in answer:
        fail("a search answer has no result: %r" % answer)
    return answer["result"]


def expect_closed(sock):
    sock.settimeout(TIMEOUT)
    try:
        data = sock.recv(1)
    except ConnectionResetError:
        return
    except socket.timeout:
        fail("a malformed message did not get the connection closed")
    if data:
        fail("a malformed message got an answer instead of a close")


def main():
    if len(sys.argv) != 3:
        print("usage: outside-client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], int(sys.argv[2])

    # A search gets a text/json answer with a result.
    s = connect(host, port)
    first = search(s, "tcp")
    # Any other value gets a "no match" answer, also a result.
    other = search(s, "surely-not-in-any-table-\u00e9")
    if first == other:
        print("note: 'tcp' is not in the table either", file=sys.stderr)

    # Other content types: binary answer starting with the request's first bytes.
    payload = bytes(range(256)) * 4
    s.sendall(encode(payload, "binary/custom-client-binary-type", "binary"))
    header, content = read_message(s)
    if header["content-type"] != "binary/custom-server-binary-type":
        fail("binary request answered with type %r" % header["content-type"])
    if not content or not payload.startswith(content):
        fail("binary answer %r does not start with the first bytes of the request"
             % content[:16])

    # Many requests on one connection, in one write: answers in order.
    values = ["v%d" % i for i in range(20)]
    batch = b""
    for i, v in enumerate(values):
        if i % 2:
            batch += json_request("search", v)
        else:
            batch += encode(("binary %d" % i).encode(), "application/octet-stream",
                            "binary")
    s.sendall(batch)
    for i, v in enumerate(values):
        header, content = read_message(s)
        if i % 2:
            if header["content-type"] != "text/json":
                fail("answer %d out of order" % i)
        else:
            if not ("binary %d" % i).encode().startswith(content) or not content:
                fail("answer %d out of order: %r" % (i, content))

    # One message in one-byte pieces.
    message = json_request("search", "tcp")
    for b in message:
        s.sendall(bytes([b]))
        time.sleep(0.001)
    header, content = read_message(s)
    if json.loads(content.decode("utf-8")).get("result") != first:
        fail("a request sent byte by byte got a different answer")

    # Malformed messages close their connection; the first client goes on.
    no_length = json.dumps({"byteorder": "big", "content-type": "a",
                            "content-encoding": "b"}).encode()
    huge = json.dumps({"byteorder": "big", "content-type": "a", "content-encoding": "b",
                       "content-length": 1 << 40}).encode()
    malformed = [
        struct.pack(">H", 5) + b"hello",                  # header not JSON
        struct.pack(">H", 2) + b"[]",                     # not an object
        struct.pack(">H", len(no_length)) + no_length,    # a required key missing
        struct.pack(">H", len(huge)) + huge,              # a length over any limit
    ]
    for bad in malformed:
        b = connect(host, port)
        b.sendall(bad)
        expect_closed(b)
        b.close()
        if search(s, "tcp") != first:
            fail("the first client was served differently after a malformed client")

    s.close()
    print("all checks passed")


if __name__ == "__main__":
    main()
