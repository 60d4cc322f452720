#!/usr/bin/env python3
"""tests/fuzz/seed_corpus.py — writes the crafted seeds of the tls/http/reassembly/engine corpora (the real first flights
from tests/data/first-flights/ plus edge cases built from them). Re-run after changing it; the files are
committed so CI replays them without this script. Usage: tests/fuzz/seed_corpus.py [FLIGHTS_DIR]"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FLIGHTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "first-flights")


def write(corpus, name, data):
    d = os.path.join(HERE, "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def flight(name):
    with open(os.path.join(FLIGHTS, name), "rb") as f:
        return f.read()


def records(msg, sizes):
    """Re-wrap a handshake message into TLS records of the given sizes (the last takes the rest)."""
    out, i = b"", 0
    for n in sizes + [len(msg)]:
        part = msg[i:i + n]
        if not part:
            break
        out += b"\x16\x03\x01" + struct.pack(">H", len(part)) + part
        i += len(part)
    return out


def sni_ext(names):
    entries = b"".join(b"\x00" + struct.pack(">H", len(n)) + n for n in names)
    body = struct.pack(">H", len(entries)) + entries
    return struct.pack(">HH", 0, len(body)) + body


def client_hello(exts):
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    ext = b"".join(exts)
    body += struct.pack(">H", len(ext)) + ext
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def tls():
    for f in ("curl.tls.bin", "openssl.tls.bin", "python.tls.bin", "chromium.tls.bin"):
        write("tls", f, flight(f))
    chromium = flight("chromium.tls.bin")
    msg = chromium[5:]
    write("tls", "chromium-3-records", records(msg, [100, 900]))
    write("tls", "chromium-1byte-records", records(msg[:64], [1] * 63) + records(msg[64:], []))
    write("tls", "chromium-truncated", chromium[:1400])
    write("tls", "no-sni", records(client_hello([]), []))
    write("tls", "two-host-names", records(client_hello([sni_ext([b"a.example", b"b.example"])]), []))
    write("tls", "upper-trailing-dot", records(client_hello([sni_ext([b"API.Example.COM."])]), []))
    write("tls", "bad-name", records(client_hello([sni_ext([b"a..b"])]), []))
    write("tls", "ech-grease", records(client_hello([sni_ext([b"outer.example"]),
                                                      struct.pack(">HH", 0xfe0d, 4) + b"\x00\x00\x01\x00"]), []))
    write("tls", "sslv2", b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10" + b"\x00" * 37)
    write("tls", "alert-record", b"\x15\x03\x01\x00\x02\x02\x28")
    write("tls", "hello-then-finished", records(client_hello([]) + b"\x14\x00\x00\x00", []))
    write("tls", "empty", b"")


def http():
    curl, wget = flight("curl.http.bin"), flight("wget.http.bin")
    write("http", "curl.http.bin", curl)
    write("http", "wget.http.bin", wget)
    write("http", "pipelined", curl + wget + curl)
    write("http", "content-length-then-next",
          b"POST /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello" + curl)
    write("http", "chunked-then-next",
          b"POST /c HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n" + wget)
    write("http", "absolute-form", b"GET http://Abs.Example:80/p?q HTTP/1.1\r\nHost: abs.example:80\r\n\r\n")
    write("http", "authority-connect", b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n\x16\x03\x01")
    write("http", "upgrade", b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nxx")
    write("http", "duplicate-host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    write("http", "ipv6-host", b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n")
    write("http", "obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n")
    write("http", "http10-no-host", b"GET / HTTP/1.0\r\n\r\n")
    write("http", "h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    write("http", "cl-and-te", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
    write("http", "expect-continue", b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
    write("http", "bare-lf", b"GET / HTTP/1.1\nHost: a\n\n")


def reassembly():
    # isn(4) max_bytes(1) max_segments(1), then ops: op, rel(2), len(1) [, lie(2)] | 3, n(2)
    write("reassembly", "in-order", b"\x00\x00\x00\x01\x40\x08" + b"\x00\x00\x00\x20" + b"\x00\x00\x20\x20")
    write("reassembly", "out-of-order", b"\xff\xff\xff\xf0\x40\x08" + b"\x00\x00\x20\x20\x00\x00\x00\x20"
          + b"\x03\x00\x30")
    write("reassembly", "conflict", b"\x00\x00\x00\x01\x40\x08" + b"\x00\x00\x00\x20" + b"\x01\x00\x10\x20\x05\x01")
    write("reassembly", "wrap-and-advance", b"\xff\xff\xff\xfe\x40\x04" + b"\x00\x00\x00\x40\x03\x00\x10"
          + b"\x00\xff\xf0\x30\x82\x80\x00\x00\x00\x10")
    write("reassembly", "over-limit", b"\x00\x00\x00\x01\x00\x01" + b"\x00\x00\x00\xc7\x00\x00\x05\x01\x00\x00\x08\x01")


def segment(flow, data, rel=256, flags=0x18, truncated=False, anchored=False):
    """fuzz_engine op 0: a TCP segment of flow `flow` at isn + rel - 256 (PSH|ACK by default); `anchored`: queued
    with the mark ALLOW (the SYN-ACK anchor, after a reload)."""
    ctl = (flags & 0x1f) | (0x20 if truncated else 0) | (0x80 if anchored else 0)
    return bytes([0, flow, ctl]) + struct.pack(">HH", rel, len(data)) + data


def split(flow, data, size, rel=256):
    return [segment(flow, data[i:i + size], rel + i) for i in range(0, len(data), size)]


def tick(ms):
    return b"\x02" + struct.pack(">H", ms)


def engine():
    # flows (fuzz_engine.cpp kFlows): 0 v4:443, 1 v4:80, 2 v6:443, 3 v6:80, 4 v4:8080, 5 = flow 0's 5-tuple, new ISN
    chromium, curl_tls, openssl = flight("chromium.tls.bin"), flight("curl.tls.bin"), flight("openssl.tls.bin")
    get = b"GET /get HTTP/1.1\r\nHost: a.example\r\n\r\n"
    post = b"POST /post HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2\r\n\r\nhi"
    write("engine", "tls-allowed-in-order", b"".join(split(0, chromium, 1000)) + tick(100))
    parts = split(2, chromium, 700)
    handshake_ack = segment(2, b"", flags=0x10)  # the handshake's last ACK: tells the engine where data starts
    write("engine", "tls-v6-out-of-order", handshake_ack + b"".join(reversed(parts)) + tick(100))
    write("engine", "tls-denied", segment(0, openssl) + segment(0, openssl, flags=0x11) + tick(10))
    write("engine", "tls-partial-timeout", segment(0, chromium[:900]) + tick(600) + segment(0, chromium[900:], 1156))
    write("engine", "http-keepalive-second-denied", segment(1, get) + segment(1, post, 256 + len(get)) + tick(50))
    write("engine", "http-v6-pipelined", segment(3, get + get + post) + tick(2500))
    write("engine", "overlap-conflict", segment(0, curl_tls[:300]) + segment(0, b"X" * 100, 456) + tick(10))
    write("engine", "reuse-after-decision", segment(0, curl_tls) + segment(5, openssl) + segment(0, curl_tls))
    write("engine", "reload-mid-flow", segment(1, get[:10]) + b"\x03" + segment(1, get[10:], 266) + tick(1))
    write("engine", "raw-and-uninspected", b"\x01\x00\x04\x45\x00\x00\x14" + segment(4, get) +
          segment(0, b"", flags=0x02) + segment(0, b"", flags=0x04))
    write("engine", "too-many-flows", b"".join(segment(f, get[:8]) for f in range(5)) + tick(100))
    write("engine", "truncated-copy", segment(0, chromium[:1200], truncated=True) + tick(100))
    # Issue 19, the SYN-ACK anchor (the reload swaps in the anchored policy): a gap decoy, then the real flight at
    # the anchored start; an unanchored flow until its timeout; an anchored HTTP request split in two.
    write("engine", "anchor-gap-decoy", b"\x03" + segment(0, chromium, rel=4352) + segment(0, openssl, anchored=True)
          + tick(10))
    write("engine", "anchor-unanchored-timeout", b"\x03" + segment(2, chromium[:700]) + tick(400) +
          segment(2, chromium[:700]) + tick(200) + segment(2, chromium[:700]))
    write("engine", "anchor-http-split", b"\x03" + segment(1, get[:10], anchored=True) + segment(1, get[10:], 266) +
          tick(5))


if __name__ == "__main__":
    tls()
    http()
    reassembly()
    engine()
