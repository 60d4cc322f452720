#!/usr/bin/env python3
"""tests/bench/gen_policy.py NETWORKS CIDRS_PER_NETWORK [VARIANT] — a large policy for the programming benchmark.

NETWORKS EgressNetworks in linkerd-egress (alternating Deny/Allow, every fourth with a TCPRoute on 5432), each with
CIDRS_PER_NETWORK disjoint, non-adjacent /64s from the documentation range 2001:db8::/32 (so nothing merges and the
kernel holds exactly NETWORKS*CIDRS_PER_NETWORK intervals). VARIANT 1 moves the CIDRs of network 0 (a one-network
change for the update benchmark). YAML on stdout.
"""
import sys


def write_tcproute(out, n):
    """A TCPRoute on port 5432 of EgressNetwork net<n> (shared with gen_blocklist.py)."""
    out.write("---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n")
    out.write("metadata: {name: db%04d, namespace: linkerd-egress}\n" % n)
    out.write("spec:\n  parentRefs: [{name: net%04d, kind: EgressNetwork, group: policy.linkerd.io, port: 5432}]\n" % n)
    out.write("  rules: [{backendRefs: [{name: net%04d, kind: EgressNetwork, group: policy.linkerd.io, port: 5432}]}]\n" % n)


def main():
    networks, per = int(sys.argv[1]), int(sys.argv[2])
    variant = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out = sys.stdout
    for n in range(networks):
        policy = "Deny" if n % 2 == 0 else "Allow"
        shift = 1 if (variant and n == 0) else 0
        out.write("---\napiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n")
        out.write("metadata: {name: net%04d, namespace: linkerd-egress}\n" % n)
        out.write("spec:\n  trafficPolicy: %s\n  networks:\n" % policy)
        for i in range(per):
            # 2001:db8:NNNN:IIII::/64 with IIII even: a gap after every prefix.
            out.write('  - {cidr: "2001:db8:%x:%x::/64"}\n' % (n, 2 * i + shift))
        if n % 4 == 0:
            write_tcproute(out, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
