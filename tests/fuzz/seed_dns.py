#!/usr/bin/env python3
# tests/fuzz/seed_dns.py — writes the seed corpus of fuzz_dns (tests/fuzz/corpus/dns/): the real dnsmasq answers of
# tests/enforcer/data/dns/ and crafted variants (TCP streams, truncation, compression loops, CNAME loops and long
# chains, unrelated records, HTTPS/SVCB with `ech`, queries, state files). Run from the repository root.
import os
import shutil
import struct

SRC = "tests/enforcer/data/dns"
DST = "tests/fuzz/corpus/dns"
os.makedirs(DST, exist_ok=True)
for f in sorted(os.listdir(SRC)):
    if f.endswith(".bin"):
        shutil.copy(os.path.join(SRC, f), os.path.join(DST, "real-" + f))


def rd(f):
    return open(os.path.join(SRC, f), "rb").read()


def w(name, b):
    open(os.path.join(DST, name), "wb").write(b)


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"


def rr(owner, t, ttl, rdata):
    return name(owner) + struct.pack(">HHIH", t, 1, ttl, len(rdata)) + rdata


def msg(q, qt, ans, add=b"", nadd=0, flags=0x8180, qid=0x4242):
    return struct.pack(">HHHHHH", qid, flags, 1, len(ans), 0, nadd) + name(q) + struct.pack(">HH", qt, 1) + b"".join(ans) + add


def svc(params):
    return struct.pack(">H", 1) + b"\0" + params


a, chain = rd("a-allowed.bin"), rd("a-cname-chain.bin")
w("tcp-one-a", struct.pack(">H", len(a)) + a)
w("tcp-partial", struct.pack(">H", len(a)) + a + struct.pack(">H", len(chain)) + chain[:20])
w("trunc-chain-60", chain[:60])
w("self-pointer-question", bytes([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]))
loop = bytearray(a)
loop[-16], loop[-15] = 0xC0, len(a) - 16
w("self-pointer-answer", bytes(loop))
w("cname-loop", msg("a.example", 1, [rr("a.example", 5, 60, name("b.example")), rr("b.example", 5, 60, name("a.example")),
                                     rr("b.example", 1, 60, bytes([203, 0, 113, 1]))]))
w("long-chain", msg("n0.example", 1, [rr("n%d.example" % i, 5, 60, name("n%d.example" % (i + 1))) for i in range(10)]
                    + [rr("n10.example", 1, 60, bytes([203, 0, 113, 10]))]))
w("unrelated-a", msg("evil.example", 1, [rr("allowed.example", 1, 60, bytes([203, 0, 113, 7])),
                                         rr("evil.example", 1, 30, bytes([192, 0, 2, 66]))],
                     rr("allowed.example", 1, 60, bytes([203, 0, 113, 8])), 1))
w("many-addrs", msg("m.example", 1, [rr("m.example", 1, 60, bytes([203, 0, 113, i])) for i in range(12)]
                    + [rr("m.example", 28, 60, bytes.fromhex("20010db8") + bytes(11) + bytes([i])) for i in range(3)]))
p_ech = struct.pack(">HH", 5, 4) + bytes.fromhex("deadbeef")
w("https-ech-only", msg("e.example", 65, [rr("e.example", 65, 60, svc(p_ech))]))
w("https-mandatory-ech-only", msg("e.example", 65, [rr("e.example", 65, 60, svc(struct.pack(">HHH", 0, 2, 5) + p_ech))]))
w("svcb-additional", msg("e.example", 1, [rr("e.example", 1, 60, bytes([203, 0, 113, 5]))],
                         rr("e.example", 64, 60, svc(struct.pack(">HH", 1, 3) + b"\x02h2" + p_ech)), 1))
w("https-bad-params", msg("e.example", 65, [rr("e.example", 65, 60, svc(struct.pack(">HH", 5, 40) + b"\xde"))]))
w("query", msg("allowed.example", 1, [], flags=0x0100))
w("two-questions", struct.pack(">HHHHHH", 1, 0x8180, 2, 0, 0, 0) + name("a.example") + b"\0\1\0\1" + name("b.example") + b"\0\1\0\1")
w("state-file", b"nfegress-bindings 1 1700000000\nalias.example 203.0.113.7 300\nalias.example 2001:db8::7 300\n"
  b"short.example 203.0.113.8 60\n")
w("state-bad-line", b"nfegress-bindings 1 1700000000\na..example 203.0.113.7 300\n")
w("empty", b"")
