#!/usr/bin/env python3
"""tests/bench/dns_rtt.py SERVER COUNT NAME_SUFFIX — benchmark helper (not a test): COUNT sequential A queries
over UDP for distinct names n<i>NAME_SUFFIX, each timed from send to the answer read. Prints
"p50_us p99_us max_us answered". Stdlib only."""
import random
import socket
import struct
import sys
import time


def main():
    server, count, suffix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))
    rtts, answered = [], 0
    for i in range(count):
        qid = random.randrange(65536)
        q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        for label in ("n%d%s" % (i, suffix)).split("."):
            q += bytes([len(label)]) + label.encode()
        q += b"\0" + struct.pack(">HH", 1, 1)
        t = time.perf_counter()
        s.send(q)
        try:
            while True:
                m = s.recv(4096)
                if m[:2] == q[:2]:
                    break
        except socket.timeout:
            continue
        rtts.append((time.perf_counter() - t) * 1e6)
        answered += 1
    rtts.sort()
    pick = lambda p: rtts[min(len(rtts) - 1, int(p * len(rtts)))] if rtts else float("nan")
    print("%.0f %.0f %.0f %d" % (pick(0.50), pick(0.99), rtts[-1] if rtts else float("nan"), answered))


if __name__ == "__main__":
    sys.exit(main())
