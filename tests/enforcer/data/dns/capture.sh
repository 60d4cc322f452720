#!/usr/bin/env bash
# tests/enforcer/data/dns/capture.sh — how the *.bin answers here were captured: dnsmasq in a private network
# namespace (documentation addresses only), queried over UDP and TCP from Python sockets. Each .bin is one DNS
# message as it came off the socket (a UDP payload); tcp-*.bin is a TCP stream (2-byte lengths included).
# Run as root from this directory: ./capture.sh (needs dnsmasq-base). Never touches the host's namespace.
set -euo pipefail
NS=nfeg-dnscap-$$
cleanup() { [[ -n "${PID:-}" ]] && kill "$PID" 2>/dev/null; ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address=127.0.0.1 --port=53 --local-ttl=300 --pid-file= \
  --address=/allowed.example/203.0.113.7 --address=/allowed.example/2001:db8::7 \
  --address=/multi.example/203.0.113.10 --address=/multi.example/203.0.113.11 \
  --address=/multi.example/203.0.113.12 \
  --host-record=target.example,203.0.113.20,2001:db8::20,120 \
  --cname=alias.example,mid.example,600 --cname=mid.example,target.example,600 \
  --address=/nx.example/ \
  --dns-rr=ech.example,65,0001:00:0001:0003:026832:0004:0004:cb007107:0005:0004:deadbeef \
  --dns-rr=ech2.example,65,0001:00:0000:0004:0001:0005:0001:0003:026832:0005:0004:deadbeef &
PID=$!
sleep 0.5
ip netns exec "$NS" python3 - <<'PY'
import socket, struct
def query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)
def udp(file, name, qtype, qid):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query(name, qtype, qid), ("127.0.0.1", 53))
    open(file, "wb").write(s.recv(4096))
udp("a-allowed.bin", "allowed.example", 1, 0x1001)
udp("aaaa-allowed.bin", "allowed.example", 28, 0x1002)
udp("a-multi.bin", "multi.example", 1, 0x1003)
udp("a-cname-chain.bin", "alias.example", 1, 0x1004)
udp("aaaa-cname-chain.bin", "Alias.Example", 28, 0x1005)
udp("a-nxdomain.bin", "nx.example", 1, 0x1006)
udp("https-ech.bin", "ech.example", 65, 0x1007)
udp("https-ech-mandatory.bin", "ech2.example", 65, 0x1008)
open("query-a-allowed.bin", "wb").write(query("allowed.example", 1, 0x1009))  # the query itself (QR=0)
t = socket.create_connection(("127.0.0.1", 53), timeout=2)
for name, qtype, qid in (("allowed.example", 1, 0x2001), ("alias.example", 28, 0x2002)):
    q = query(name, qtype, qid)
    t.sendall(struct.pack(">H", len(q)) + q)
data = b""
while True:
    chunk = t.recv(4096)
    if not chunk:
        break
    data += chunk
    # both answers read: lengths add up
    off, n = 0, 0
    while off + 2 <= len(data):
        l = struct.unpack(">H", data[off:off + 2])[0]
        if off + 2 + l > len(data):
            break
        off += 2 + l
        n += 1
    if n == 2:
        break
open("tcp-two-answers.bin", "wb").write(data)
PY
