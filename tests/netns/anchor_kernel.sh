#!/usr/bin/env bash
# tests/netns/anchor_kernel.sh — privileged: the SYN-ACK anchor (issue 19) in a real kernel. A client namespace
# with the pod table of testing::small_plan() and the anchor on (tests/netfilter/anchor_tool.cpp; queue bypass, no
# enforcer), one real TCP connection over a veth to an inspected port (443) of a server in a second namespace.
# Asserts: set `first` holds exactly one element, its ct id the connection's and its sequence number the client's
# ISN + 1 (the server's namespace records the SYN's sequence number itself); the flow's ct mark is PENDING; the
# first data segment left with the packet mark ALLOW and the second without; the table reads back in sync; a
# minimal update keeps the element. Usage: anchor_kernel.sh [path/to/netfilter_anchor_tool]
source "$(dirname "$0")/lib.sh"
ns_require_root

TOOL=${1:-$(dirname "${NFEGRESS_BIN:-build/nfegress}")/tests/netfilter/netfilter_anchor_tool}
[ -x "$TOOL" ] || fail "no anchor tool at $TOOL (build netfilter_anchor_tool)"
command -v conntrack >/dev/null || fail "conntrack (conntrack-tools) is missing"
MASK=0x00300000 ALLOW=0x00100000 PENDING=$((0x00300000))  # KernelOptions' default mark_base 0x00100000

ns_add CLI cli
ns_add SRV srv
ip link add va0 netns "$CLI" type veth peer name vb0 netns "$SRV" || fail "veth"
ip -n "$CLI" link set va0 up
ip -n "$SRV" link set vb0 up
ip -n "$CLI" addr add 192.0.2.1/24 dev va0
ip -n "$SRV" addr add 192.0.2.254/24 dev vb0
ip -n "$SRV" addr add 203.0.113.10/32 dev lo  # small_plan: 203.0.113.0/25, port 443 inspected
ip -n "$CLI" route add 203.0.113.0/24 via 192.0.2.254

ip netns exec "$CLI" "$TOOL" probe || fail "the anchor probe failed on this kernel"
ip netns exec "$CLI" "$TOOL" program || fail "programming the table with the anchor"
expect_eq "status right after programming" "in sync" "$(ip netns exec "$CLI" "$TOOL" status)"

# The client's ISN as the server's namespace sees the SYN; the marks the client's segments leave with (a chain
# after nfegress's: an accept or a bypassed queue there goes on to it).
ip netns exec "$SRV" nft -f - <<'EOF' || fail "server-side ISN table"
table inet isn {
	set syn { typeof tcp sequence; flags dynamic; }
	chain input { type filter hook input priority filter; policy accept;
		tcp dport 443 tcp flags & (syn | ack) == syn add @syn { tcp sequence }
	}
}
EOF
ip netns exec "$CLI" nft -f - <<EOF || fail "client-side mark counters"
table inet marks {
	counter allow { }
	counter none { }
	chain output { type filter hook output priority filter + 10; policy accept;
		tcp dport 443 meta mark & $MASK == $ALLOW counter name "allow"
		tcp dport 443 meta mark & $MASK == 0 counter name "none"
	}
}
EOF

cat > "$NS_TMP/client.py" <<'EOF'
import socket, time
s = socket.create_connection(("203.0.113.10", 443), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"hello")
time.sleep(0.2)  # two segments: the first at the anchor, the second past it
s.sendall(b"world")
s.shutdown(socket.SHUT_WR)
s.recv(100)  # the server's close
s.close()
EOF
ns_bg "$SRV" "$NS_TMP/server.out" python3 "$NS_LIB_DIR/server.py" --log "$NS_TMP/server.log" 203.0.113.10:443 >/dev/null
for i in $(seq 50); do  # listening (ss, not a probe connection: that would be a flow of its own)
  [ -n "$(ip netns exec "$SRV" ss -Hltn 'sport = :443')" ] && break
  sleep 0.1
done
ip netns exec "$CLI" timeout 10 python3 "$NS_TMP/client.py" || fail "the connection to 203.0.113.10:443"
for i in $(seq 50); do  # server.py logs the connection right after closing it
  grep -q '"bytes": 10' "$NS_TMP/server.log" 2>/dev/null && break
  sleep 0.1
done
expect_eq "the server received the 10 bytes" 1 "$(grep -c '"bytes": 10' "$NS_TMP/server.log")"

elems=$(ip netns exec "$CLI" nft -j list set inet nfegress first)
isn=$(ip netns exec "$SRV" nft -j list set inet isn syn | python3 -c '
import json, sys
s = [o["set"] for o in json.load(sys.stdin)["nftables"] if "set" in o][0]
e = s.get("elem", [])
print(e[0] if len(e) == 1 else "none: %r" % e)')
read -r n ctid seq <<<"$(python3 -c '
import json, sys
s = [o["set"] for o in json.load(sys.stdin)["nftables"] if "set" in o][0]
e = s.get("elem", [])
vals = [x["elem"]["val"]["concat"] if isinstance(x, dict) and "elem" in x else x["concat"] for x in e]
print(len(vals), *(vals[0] if vals else ["-", "-"]))' <<<"$elems")"
expect_eq "set first holds one element" 1 "$n"
[[ $isn =~ ^[0-9]+$ ]] || fail "the server saw no single SYN: $isn"
expect_eq "its sequence number is the client's ISN + 1" $(((isn + 1) % 4294967296)) "$seq"
ct=$(ip netns exec "$CLI" conntrack -L -p tcp --dport 443 -o id 2>/dev/null)
[ "$(grep -c 'dport=443' <<<"$ct")" == 1 ] || fail "expected one conntrack entry to 443: $ct"
expect_eq "its ct id is the connection's" "$(grep -o 'id=[0-9]*' <<<"$ct" | cut -d= -f2)" "$ctid"
mark=$(grep -o 'mark=[0-9]*' <<<"$ct" | cut -d= -f2)
expect_eq "the flow's ct mark is PENDING" "$PENDING" "$((mark & 0x00300000))"
counts=$(ip netns exec "$CLI" nft -j list counters table inet marks)
allow=$(python3 -c '
import json, sys
c = {o["counter"]["name"]: o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o}
print(c.get("allow"), c.get("none"))' <<<"$counts")
read -r allowed unmarked <<<"$allow"
expect_eq "exactly one segment left with the mark ALLOW (the first data)" 1 "$allowed"
[ "$unmarked" -ge 3 ] || fail "the other segments (SYN, ACKs, the second data, FIN) without mark bits: $unmarked"
pass "the other $unmarked segments left without mark bits"
expect_eq "status after the connection (the set's element is no drift)" "in sync" \
  "$(ip netns exec "$CLI" "$TOOL" status)"

ip netns exec "$CLI" "$TOOL" update >/dev/null || fail "minimal update"
expect_eq "status after a minimal update" "in sync" "$(ip netns exec "$CLI" "$TOOL" status-updated)"
after=$(ip netns exec "$CLI" nft -j list set inet nfegress first | grep -o '"concat"' | wc -l)
expect_eq "a minimal update keeps the anchor's element" 1 "$after"
echo "PASS anchor_kernel"
