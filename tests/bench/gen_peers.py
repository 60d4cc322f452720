#!/usr/bin/env python3
"""tests/bench/gen_peers.py MODE ... — what the peers load in tests/bench/peers.sh, for the same CIDRs as
gen_policy.py (network n, prefix i: 2001:db8:n:2i::/64; Deny for even n, Allow for odd n). Text on stdout.

  iptables NETWORKS PER          ip6tables-restore input: one OUTPUT rule per CIDR (DROP / ACCEPT), in network order
  iptables-change PER            ip6tables-restore --noflush input: network 0's PER prefixes move (gen_policy VARIANT 1)
  nft-change PER CHAIN [MAP]     nft -f input: the same move as element changes in nfegress's map MAP (goto CHAIN):
                                 dst6 (interval map, the default) or dst6_64 (the /64 hash map the export holds
                                 once 1,024 or more /64s exist: its elements are the masked addresses)
"""
import sys


def cidr(n, i, shift=0):
    return "2001:db8:%x:%x::/64" % (n, 2 * i + shift)


def main():
    mode, out = sys.argv[1], sys.stdout
    if mode == "iptables":
        networks, per = int(sys.argv[2]), int(sys.argv[3])
        out.write("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
        for n in range(networks):
            target = "DROP" if n % 2 == 0 else "ACCEPT"
            for i in range(per):
                out.write("-A OUTPUT -d %s -j %s\n" % (cidr(n, i), target))
        out.write("COMMIT\n")
    elif mode == "iptables-change":
        per = int(sys.argv[2])
        out.write("*filter\n")
        for i in range(per):
            out.write("-D OUTPUT -d %s -j DROP\n" % cidr(0, i))
        for i in range(per):
            out.write("-A OUTPUT -d %s -j DROP\n" % cidr(0, i, 1))
        out.write("COMMIT\n")
    elif mode == "nft-change":
        per, chain = int(sys.argv[2]), sys.argv[3]
        table_map = sys.argv[4] if len(sys.argv) > 4 else "dst6"
        key = (lambda c: c[:-len("/64")]) if table_map == "dst6_64" else (lambda c: c)
        old = ", ".join(key(cidr(0, i)) for i in range(per))
        new = ", ".join("%s : goto %s" % (key(cidr(0, i, 1)), chain) for i in range(per))
        out.write("delete element inet nfegress %s { %s }\n" % (table_map, old))
        out.write("add element inet nfegress %s { %s }\n" % (table_map, new))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
