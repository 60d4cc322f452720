#!/usr/bin/env bash
# tests/attack/lib.sh — sourced by the attack scripts of tests/attack/ (issue 16; docs/security.md maps each
# attack to its script). Builds on tests/e2e/lib.sh (namespaces, cleanup, policy, init, enforce):
#
#   attack_sandbox           pod + internet namespaces, the policy below, a recording server (sink.py) on every
#                            address, and the attack harness table; nothing enforces yet
#   attack_enforce           `nfegress init` + `nfegress enforce` in the pod (namespace app, default options), then
#                            both namespaces forget their neighbours (the controls resolve them again)
#   net_verify_checksums     the internet side's veth verifies checksums like a host behind a real network
#   marker NAME              a unique marker for one attempt (lowercase, usable in a host name)
#   attack CAPS TECHNIQUE ARGS...   attack.py in the pod as uid 1000 / gid 1000, no groups, with exactly CAPS
#                            (none | net_raw | setuid | ...) as effective, ambient and bounding set (setpriv)
#   expect_arrived WHAT M    positive control: the server DID receive marker M (the harness sees bytes)
#   expect_blocked WHAT M    the server received 0 bytes of marker M; a leak is reported with its evidence (the
#                            server's file and what it served; the pod's ruleset and conntrack table at the first
#                            three leaks, in evidence.txt) and the script goes on, so one run lists every leak;
#                            attack_finish then fails
#   expect_not_served WHAT M as expect_blocked, but a marker the host received and its TCP discarded is only noted
#   attack_finish            PASS, or FAIL with the list of leaks
#
# The policy (namespace app): EgressNetwork linkerd-egress/all Deny (every address outside the cluster
# networks) with an HTTPRoute on port 80 (Host allowed.example, paths /get...) and a TLSRoute on port 443 (SNI
# allowed.example); EgressNetwork linkerd-egress/open Allow for 198.51.100.0/24 and 2001:db8:aa::/48.
# Internet hosts: $DENY4 / $DENY6 (allowed.example and evil.example share these addresses, like names on a CDN)
# and $OPEN4 / $OPEN6 in the Allow network. The sink listens on TCP 80 (HTTP/1.1 keep-alive), 443 (resets each
# connection after its first read), 9999 (HTTP) and UDP 5353 of each, UDP 67 of $DENY4, and raw ICMP/ICMPv6;
# raw TCP and UDP sockets witness every segment and datagram the namespace receives, also those no socket takes
# (a payload on a reset or in a SYN, a closed port): a marker counts as arrived when it reached the host.
# The harness table `inet attack_harness` (pod, priority -300, before conntrack and nfegress) only DROPS: the pod
# kernel's resets for TCP connections that attack.py crafts by hand (source ports 40000-40999). It never lets
# anything through.
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/e2e/lib.sh"
ATTACK_DIR=$E2E_ROOT/tests/attack
SINK=$NS_TMP/sink
DENY4=203.0.113.10 DENY6=2001:db8:ff::10 OPEN4=198.51.100.10 OPEN6=2001:db8:aa::10
POD4=192.0.2.1 POD6=2001:db8:1::1
LEAKS=()
ATTACK_EXTRA_HOSTS=(${ATTACK_EXTRA_HOSTS[@]+"${ATTACK_EXTRA_HOSTS[@]}"})  # set by a script before attack_sandbox
# attack.py runs as uid 1000: it needs an interpreter that user can execute (not a pyenv shim under /root).
ATTACK_PYTHON=${ATTACK_PYTHON:-}
if [ -z "$ATTACK_PYTHON" ]; then
  for ATTACK_PYTHON in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
    [ -x "$ATTACK_PYTHON" ] && setpriv --reuid=1000 --regid=1000 --clear-groups "$ATTACK_PYTHON" -c '' 2>/dev/null && break
  done
fi
FLIGHTS=$E2E_ROOT/tests/data/first-flights  # ClientHellos captured from real clients

attack_sandbox() {
  command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
  ns_topology
  mkdir -p "$POLICY" "$SINK"
  chmod 755 "$NS_TMP"
  e2e_host "$DENY4" allowed.example evil.example
  e2e_host "$DENY6" allowed.example evil.example
  e2e_host "$OPEN4"
  e2e_host "$OPEN6"
  for a in "${ATTACK_EXTRA_HOSTS[@]}"; do e2e_host "$a"; done  # more hosts (no names), sinks like the others
  # Container runtimes (Docker, containerd) open ping sockets to every group: the unprivileged echo path exists.
  in_pod sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "ping_group_range"
  local args=(--dir "$SINK" --icmp --host-witness) a
  local extra=()
  for a in "${ATTACK_EXTRA_HOSTS[@]}"; do if [[ $a == *:* ]]; then extra+=("[$a]"); else extra+=("$a"); fi; done
  for a in "$DENY4" "[$DENY6]" "$OPEN4" "[$OPEN6]" "${extra[@]}"; do
    args+=(--tcp "$a:80" --tcp "$a:443/rst" --tcp "$a:9999" --udp "$a:5353")
  done
  args+=(--udp "$DENY4:67")  # the DHCP server port: the guard of packet sockets lets DHCP client broadcasts out
  ns_bg "$NET" "$NS_TMP/sink.log" python3 "$ATTACK_DIR/sink.py" "${args[@]}" >/dev/null
  _e2e_wait_all "$DENY4:80" "$DENY4:443" "[$DENY6]:80" "$OPEN4:80" "[$OPEN6]:80"
  in_pod nft -f - <<'NFT' || fail "harness table"
table inet attack_harness {
  chain output {
    type filter hook output priority -300; policy accept;
    tcp sport 40000-40999 tcp flags & rst == rst counter drop
  }
}
NFT
  GW_MAC=$(ip -n "$NET" -br link show vn0 | awk '{print $3}')
  e2e_policy <<YAML
$(yaml_network all Deny)
$(yaml_network open Allow 198.51.100.0/24 2001:db8:aa::/48)
$(yaml_route HTTPRoute http-ok all:80 hostnames=allowed.example path=PathPrefix:/get)
$(yaml_route TLSRoute tls-ok all:443 hostnames=allowed.example)
YAML
}

attack_enforce() {
  e2e_init app
  e2e_enforce_start app
  # Forget the neighbours: every control after this resolves its next hop again (ARP, neighbour discovery) through
  # whatever nfegress programmed, so a guard that also stops legitimate ARP/ND fails the controls.
  ip -n "$POD" neigh flush all
  ip -n "$NET" neigh flush all
  echo "nfegress: $BIN (init + enforce running, namespace app)"
}

# net_verify_checksums: the internet side's veth verifies TCP/UDP checksums of what it receives, as a host behind a
# real network does (veth otherwise marks a packet without a checksum status as verified). Legacy ethtool ioctl
# ETHTOOL_SRXCSUM; no ethtool binary needed.
net_verify_checksums() {
  in_net python3 - <<'PY' || fail "rx checksum offload off on vn0"
import ctypes, fcntl, socket, struct
val = ctypes.create_string_buffer(struct.pack("II", 0x15, 0), 8)  # ETHTOOL_SRXCSUM, data 0
ifr = struct.pack("16sP", b"vn0", ctypes.addressof(val))
fcntl.ioctl(socket.socket(), 0x8946, ifr)  # SIOCETHTOOL
PY
}

marker() { echo "mk$1x$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"; }

attack() {  # attack CAPS TECHNIQUE ARGS...: the marker is the first argument after TECHNIQUE's name in ARGS
  local caps=$1; shift
  local set=-all
  [ "$caps" == none ] || set="-all,+${caps//,/,+}"
  local amb=-all
  [ "$caps" == none ] || amb="+${caps//,/,+}"
  echo "--- attack [$caps] $*" >> "$NS_TMP/attack.log"
  ip netns exec "$POD" setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps="$set" --ambient-caps="$amb" \
    --bounding-set="$set" "$ATTACK_PYTHON" "$ATTACK_DIR/attack.py" --caps "$caps" "$@" >> "$NS_TMP/attack.log" 2>&1
  local rc=$?
  [ $rc == 0 ] || { tail -5 "$NS_TMP/attack.log" >&2; fail "attack.py exited $rc: $*"; }
}

arrived() {  # the sink's files that hold marker $1 (basenames, one line), empty when none
  sleep "${SETTLE:-0.3}"
  grep -rlaF "$1" "$SINK" 2>/dev/null | grep -v requests.log | xargs -r -n1 basename | sort | tr '\n' ' '
}

expect_arrived() {  # expect_arrived WHAT MARKER
  local f
  f=$(arrived "$2")
  [ -n "$f" ] || { tail -20 "$NS_TMP/attack.log" >&2; fail "control: $1: marker $2 never reached the server"; }
  pass "control: $1 (reached the server: $f)"
}

expect_blocked() {  # expect_blocked WHAT MARKER
  local f
  f=$(arrived "$2")
  if [ -z "$f" ]; then pass "blocked: $1 (0 bytes of $2 at the server)"; return 0; fi
  LEAKS+=("$1")
  NS_FAILED=1
  echo "LEAK: $1: marker $2 reached the server in: $f" >&2
  local one
  for one in $f; do
    echo "  $one: $(grep -aF "$2" "$SINK/$one" | head -1 | head -c 300 | tr -c '[:print:]' '.')" >&2
  done
  grep -F "$2" "$SINK/requests.log" 2>/dev/null | sed 's/^/  server served: /' >&2
  [ ${#LEAKS[@]} -le 3 ] || return 0  # the pod's state at the first three leaks is evidence enough
  {
    echo "===== LEAK: $1 ($2)"; in_pod nft list ruleset 2>/dev/null; echo "--- conntrack -L"; in_pod conntrack -L 2>&1
  } >> "$NS_TMP/evidence.txt"
}

# expect_not_served WHAT M: as expect_blocked, but only what the server's sockets read counts: marker M may have
# reached the host as a segment its TCP discarded (a duplicate of bytes it already has), which the raw witness
# records and this prints as a note.
expect_not_served() {
  local f
  f=$(arrived "$2")
  if [[ " $f" != *" tcp-"* && " $f" != *" udp-"* ]]; then
    [ -z "$f" ] || echo "  note: $2 reached the host ($f) but no server socket" >&2
    pass "blocked: $1 (0 bytes of $2 read by the server)"
    return 0
  fi
  expect_blocked "$@"
}

attack_finish() {
  e2e_enforce_stop
  if [ ${#LEAKS[@]} != 0 ]; then
    echo "evidence (ruleset, conntrack per leak): $NS_TMP/evidence.txt; attacker log: $NS_TMP/attack.log" >&2
    fail "${#LEAKS[@]} attack(s) got through: $(printf '[%s] ' "${LEAKS[@]}")"
  fi
  echo "PASS"
}
