#!/usr/bin/env python3
"""tests/netns/dns_query.py SERVER NAME [A|AAAA] — one DNS query over UDP (test helper, stdlib only: no dig in the
test image). Prints the A/AAAA addresses of the answer, one per line; exit 1 when none came within 2 s, 2 when the
answer has none (NXDOMAIN, NODATA)."""
import ipaddress
import random
import socket
import struct
import sys


def query(name, qtype):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return qid, q + b"\0" + struct.pack(">HH", qtype, 1)


def skip_name(m, i):
    while True:
        n = m[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def main():
    server, name = sys.argv[1], sys.argv[2]
    qtype = 28 if len(sys.argv) > 3 and sys.argv[3].upper() == "AAAA" else 1
    qid, q = query(name, qtype)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, (server, 53))
    try:
        m, _ = s.recvfrom(4096)
    except socket.timeout:
        return 1
    rid, _, qd, an = struct.unpack(">HHHH", m[:8])
    if rid != qid:
        return 1
    i = 12
    for _ in range(qd):
        i = skip_name(m, i) + 4
    found = 0
    for _ in range(an):
        i = skip_name(m, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", m[i:i + 10])
        i += 10
        if rtype in (1, 28):
            print(ipaddress.ip_address(m[i:i + rdlen]))
            found += 1
        i += rdlen
    return 0 if found else 2


if __name__ == "__main__":
    sys.exit(main())
