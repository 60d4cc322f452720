#!/usr/bin/env python3
"""tests/netns/dns_query.py SERVER NAME — one A query over UDP (test helper, stdlib only: no dig in the test image;
the message code is dns_tools.py's). Prints the A addresses of the answer, one per line; exit 1 when none came
within 2 s, 2 when the answer has none (NXDOMAIN, NODATA)."""
import random
import socket
import sys

from dns_tools import answers, build_query


def main():
    server, name = sys.argv[1], sys.argv[2]
    qid = random.randrange(65536)
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(build_query(name, qid), (server, 53))
    try:
        msg, _ = s.recvfrom(4096)
    except socket.timeout:
        return 1
    if int.from_bytes(msg[:2], "big") != qid:
        return 1
    found = answers(msg)
    for a in found:
        print(a)
    return 0 if found else 2


if __name__ == "__main__":
    sys.exit(main())
