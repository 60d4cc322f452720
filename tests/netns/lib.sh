#!/usr/bin/env bash
# tests/netns/lib.sh — sourced by every privileged test and the demo. Creates private network namespaces with
# unique names and removes them (and every process inside) on exit, also on failure or interrupt. Never touches
# the host's own ruleset or interfaces.
#
#   ns_require_root                   skip (exit 77) when not root; under CI=true fail loudly instead
#   ns_add VAR SHORT                  one more namespace, its name stored in VAR
#   ns_topology                       "pod" and "net" namespaces joined by a veth pair (MTU 1500):
#                                     pod 192.0.2.1/24 + 2001:db8:1::1/64, net 192.0.2.254/24 + 2001:db8:1::fe/64,
#                                     pod's default routes via net. $POD and $NET hold the namespace names.
#   ns_add_host NS ADDR [NAME...]     add a test host address (203.0.113.10, 2001:db8:ff::10, ...) to NS's lo;
#                                     NAMEs resolve in the pod (its hosts file and its resolver, 127.0.0.53)
#   in_pod CMD... / in_net CMD...     run a command inside the namespace
#   ns_bg NS LOGFILE CMD...           start a background process inside NS (killed at cleanup)
#   ns_stop PID [SIGNAL]              signal an ns_bg process and wait until it is gone (up to 5 s)
#   fail MSG / pass MSG / expect_eq   tiny assertion helpers (fail exits 1)
#   log_wait FILE ERE [COUNT] [TIMEOUT_S]   wait until COUNT (1) lines of an enforcer's log FILE match the grep -E
#                                     pattern ERE (up to TIMEOUT_S, 10 s), then 0.3 s more; 1 on timeout (no fail)
#   log_settle FILE                   wait until FILE's decision lines have been flushed (0.35 s), for absences
#   $NS_POLICIES                      tests/data/policies/: whole policy files several tests share
#   yaml_network NAME POLICY [CIDR...]
#                                     policy YAML (stdout) for one EgressNetwork, trafficPolicy POLICY (Deny|Allow),
#                                     networks CIDR... (none: every address outside the cluster networks)
#   yaml_route KIND NAME NETWORK:PORT [hostnames=H,H...] [path=TYPE:VALUE] [backend=self]
#                                     policy YAML for one TCPRoute, TLSRoute or HTTPRoute on NETWORK's PORT with one
#                                     rule that lets its traffic through: matching the path (HTTPRoute, TYPE PathPrefix
#                                     or Exact; default every request), backendRef NETWORK itself (backend=self) or
#                                     none (the default; the two mean the same). NAME is NAME in linkerd-egress or
#                                     NAMESPACE/NAME. Each piece starts with `---`: concatenate them into one manifest.
set -uo pipefail

NS_ID="nfe$$$RANDOM"
NS_LIST=()
NS_TMP=$(mktemp -d /tmp/nfegress-test.XXXXXX)
NS_FAILED=0

fail() { echo "FAIL: $*" >&2; NS_FAILED=1; exit 1; }
pass() { echo "ok: $*"; }
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

ns_require_root() {
  local why=""
  if [ "$(id -u)" != 0 ]; then why="not root"
  elif ! command -v ip >/dev/null; then why="iproute2 missing"
  elif ! ip netns add "${NS_ID}-probe" 2>/dev/null; then why="cannot create a network namespace"
  else ip netns del "${NS_ID}-probe"; return 0; fi
  if [ "${CI:-}" == "true" ]; then
    echo "FAIL: privileged test cannot run under CI: $why" >&2
    exit 1
  fi
  echo "SKIP: $why" >&2
  exit 77
}

ns_cleanup() {
  local ns pid
  trap '' INT TERM  # a second Ctrl-C must not abort the cleanup half-way
  for ns in "${NS_LIST[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  sleep 0.1
  for ns in "${NS_LIST[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  NS_LIST=()
  if [ "$NS_FAILED" == 0 ]; then rm -rf "$NS_TMP"; else echo "logs kept in $NS_TMP" >&2; fi
}
trap ns_cleanup EXIT
trap 'exit 130' INT TERM

ns_add() {  # ns_add VAR SHORTNAME: creates namespace "$NS_ID-SHORTNAME" and stores its name in VAR
  local -n _ns_var=$1
  local name="${NS_ID}-$2"
  ip netns add "$name" || fail "ip netns add $name"
  NS_LIST+=("$name")
  ip -n "$name" link set lo up
  _ns_var=$name
}

ns_topology() {
  ns_add POD pod
  ns_add NET net
  ip link add vp0 netns "$POD" type veth peer name vn0 netns "$NET" || fail "veth"
  ip -n "$POD" link set vp0 mtu 1500 up
  ip -n "$NET" link set vn0 mtu 1500 up
  ip -n "$POD" addr add 192.0.2.1/24 dev vp0
  ip -n "$NET" addr add 192.0.2.254/24 dev vn0
  ip -n "$POD" addr add 2001:db8:1::1/64 dev vp0 nodad
  ip -n "$NET" addr add 2001:db8:1::fe/64 dev vn0 nodad
  ip -n "$POD" route add default via 192.0.2.254
  ip -n "$POD" -6 route add default via 2001:db8:1::fe
  # Hosts file inside the pod (ip netns exec bind-mounts /etc/netns/NAME/hosts over /etc/hosts).
  mkdir -p "/etc/netns/$POD"
  echo "127.0.0.1 localhost" > "/etc/netns/$POD/hosts"
  ns_pod_resolver
}

# The pod's resolver: dnsmasq on the pod's 127.0.0.53 (like a node-local cache or systemd-resolved's stub), its
# resolv.conf naming it, serving exactly the names of the pod's hosts file (ns_add_host) and nothing else (no
# upstream: no query leaves the pod). `nfegress enforce` resolves through it a name it has no binding for (issue
# 17); it never learns from it (an answer on lo can be forged), so bindings come from resolve-on-miss here.
ns_pod_resolver() {
  command -v dnsmasq >/dev/null || fail "dnsmasq is missing (deploy/dev.sh installs dnsmasq-base)"
  echo "nameserver 127.0.0.53" > "/etc/netns/$POD/resolv.conf"
  mkdir -p "$NS_TMP/pod-hosts.d"
  : > "$NS_TMP/pod-hosts.d/hosts"
  # --hostsdir: dnsmasq reads the files of the directory again when they change (inotify); ns_add_host appends.
  ns_bg "$POD" "$NS_TMP/pod-dns.log" dnsmasq --keep-in-foreground --log-facility=- --no-resolv \
    --no-hosts --hostsdir="$NS_TMP/pod-hosts.d" --listen-address=127.0.0.53 --bind-interfaces --local-ttl=60 \
    --pid-file= --user=root >/dev/null
}

ns_add_host() {  # ns_add_host NS ADDR [NAME...]: address on NS's lo; names resolvable in the pod
  local ns=$1 addr=$2; shift 2
  if [[ $addr == *:* ]]; then ip -n "$ns" addr add "$addr/128" dev lo nodad; else ip -n "$ns" addr add "$addr/32" dev lo; fi
  local n
  for n in "$@"; do
    echo "$addr $n" >> "/etc/netns/$POD/hosts"
    # The pod's resolver reads it again by itself (inotify, within milliseconds).
    [ ! -d "$NS_TMP/pod-hosts.d" ] || echo "$addr $n" >> "$NS_TMP/pod-hosts.d/hosts"
  done
}

in_pod() { ip netns exec "$POD" "$@"; }
in_net() { ip netns exec "$NET" "$@"; }

ns_bg() {  # ns_bg NS LOGFILE CMD...
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" "$@" > "$log" 2>&1 &
  echo $!
}

# ns_stop PID [SIGNAL]: signal (default TERM) a process started with ns_bg and wait until it is gone, up to 5 s
# (returns 1 if it is still there). `wait PID` cannot do this: ns_bg runs in a command substitution, so the process
# is not this shell's child and `wait` returns at once, before the process has exited or written its last lines.
ns_stop() {
  local pid=$1 i
  kill "-${2:-TERM}" "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  echo "process $pid did not stop after SIG${2:-TERM} in 5 s" >&2
  return 1
}

# ns_wait_port NS ADDR PORT: wait until something listens (up to 5 s)
ns_wait_port() {
  local i
  for i in $(seq 50); do
    ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on $2:$3 in $1"
}

# The decision log (the JSON lines an enforcer writes to stdout; the tests capture stdout and stderr into one file)
# is buffered per queue worker and written on the worker's 100 ms tick (or when 64 KiB pile up, or at exit): a line
# may reach the file ~100 ms (more under load) after the client that caused it has returned. A test reading decision
# lines while the enforcer runs waits for them first; lines read after the enforcer has exited (SIGTERM, ns_stop:
# it writes what it holds on the way out) need no wait, nor do its stderr text lines (written at once).
#
# log_wait FILE ERE [COUNT=1] [TIMEOUT_S=10]: poll every 50 ms until at least COUNT lines of FILE match the grep -E
# pattern ERE, then wait 0.3 s more (three ticks) so that a line that must NOT be there (an exact count, an absence)
# has arrived too before the caller asserts. On timeout it says so on stderr and returns 1 without failing: the
# caller's own assertion reports what is missing. TIMEOUT_S is whole seconds.
log_wait() {
  local file=$1 ere=$2 want=${3:-1} timeout=${4:-10} n=0
  for _ in $(seq $((timeout * 20))); do
    n=$(grep -acE -- "$ere" "$file" 2>/dev/null) || n=0
    if [ "$n" -ge "$want" ]; then
      sleep 0.3
      return 0
    fi
    sleep 0.05
  done
  echo "log_wait: $n of $want line(s) matching '$ere' in $file after ${timeout} s" >&2
  return 1
}

# log_settle FILE: wait until every decision line caused so far has been written to FILE: 0.35 s, more than the
# worker's 100 ms tick plus scheduling. For an assertion that a line is ABSENT, or a read of all lines, where no
# expected line can be waited for; where one can, log_wait on it is both faster to pass and surer.
log_settle() {
  [ -e "$1" ] || echo "log_settle: no file $1" >&2
  sleep 0.35
}

NS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS_POLICIES=$(cd "$NS_LIB_DIR/../data/policies" && pwd)

_yaml_meta() {  # _yaml_meta [NAMESPACE/]NAME
  local ns=linkerd-egress name=$1
  if [[ $name == */* ]]; then ns=${name%%/*} name=${name#*/}; fi
  printf 'metadata: {name: %s, namespace: %s}\n' "$name" "$ns"
}

yaml_network() {  # yaml_network NAME POLICY [CIDR...]
  local name=$1 policy=$2 cidr; shift 2
  printf -- '---\napiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n'
  _yaml_meta "$name"
  if [ $# == 0 ]; then printf 'spec: {trafficPolicy: %s}\n' "$policy"; return 0; fi
  printf 'spec:\n  trafficPolicy: %s\n  networks:\n' "$policy"
  for cidr in "$@"; do printf '  - {cidr: "%s"}\n' "$cidr"; done
}

yaml_route() {  # yaml_route KIND NAME NETWORK:PORT [hostnames=H,H...] [path=TYPE:VALUE] [backend=self]
  local kind=$1 name=$2 net=${3%:*} port=${3##*:} api=gateway.networking.k8s.io/v1alpha2 hosts="" rule="" opt
  shift 3
  [ "$kind" != HTTPRoute ] || api=gateway.networking.k8s.io/v1
  local self="group: policy.linkerd.io, kind: EgressNetwork, name: $net"
  for opt in "$@"; do
    case $opt in
      hostnames=*) hosts=${opt#*=} ;;
      path=*) opt=${opt#*=}; rule+="${rule:+, }matches: [{path: {type: ${opt%%:*}, value: ${opt#*:}}}]" ;;
      backend=self) rule+="${rule:+, }backendRefs: [{$self}]" ;;
      *) fail "yaml_route $kind $name: unknown option '$opt'" ;;
    esac
  done
  printf -- '---\napiVersion: %s\nkind: %s\n' "$api" "$kind"
  _yaml_meta "$name"
  printf 'spec:\n'
  if [ -n "$hosts" ]; then printf '  hostnames: ["%s"]\n' "${hosts//,/\", \"}"; fi
  printf '  parentRefs: [{%s, port: %s}]\n  rules: [{%s}]\n' "$self" "$port" "$rule"
}
