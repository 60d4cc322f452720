#!/usr/bin/env python3
"""tests/bench/gen_blocklist.py NETWORKS CIDRS_PER_NETWORK [SEED] [VARIANT] — a policy shaped like a merged blocklist.

Issue 15: a shape not tuned to nfegress's hash maps. NETWORKS EgressNetworks in linkerd-egress (alternating
Deny/Allow, every fourth with a TCPRoute on 5432), each with CIDRS_PER_NETWORK random public IPv4 CIDRs whose
lengths are uniform in /12../32, so they overlap each other across networks and nest inside one another, as
feeds merged from several sources do. Reserved and special-purpose ranges (RFC 6890: private, loopback, link-local,
shared, documentation, benchmarking, multicast, class E) are never drawn. Seeded (default 15), so every run
programs the same policy. VARIANT 1 redraws network 0's CIDRs (a one-network change). YAML on stdout.

These addresses are only written into a ruleset inside a benchmark's own network namespace; nothing is sent to them.
"""
import ipaddress
import random
import sys

from gen_policy import write_tcproute

RESERVED = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")]


def draw(rng):
    while True:
        length = rng.randint(12, 32)
        net = ipaddress.ip_network((rng.getrandbits(32) >> (32 - length) << (32 - length), length))
        if not any(net.overlaps(r) for r in RESERVED):
            return net


def main():
    networks, per = int(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    variant = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    rng, redraw = random.Random(seed), random.Random(seed + 1)
    out = sys.stdout
    for n in range(networks):
        cidrs = [draw(rng) for _ in range(per)]
        if variant and n == 0:
            cidrs = [draw(redraw) for _ in range(per)]  # the others stay as drawn
        policy = "Deny" if n % 2 == 0 else "Allow"
        out.write("---\napiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n")
        out.write("metadata: {name: net%04d, namespace: linkerd-egress}\n" % n)
        out.write("spec:\n  trafficPolicy: %s\n  networks:\n" % policy)
        for c in dict.fromkeys(cidrs):  # a network lists each CIDR once
            out.write('  - {cidr: "%s"}\n' % c)
        if n % 4 == 0:
            write_tcproute(out, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
