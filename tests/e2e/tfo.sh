#!/usr/bin/env bash
# tests/e2e/tfo.sh — TCP Fast Open cannot smuggle a first flight past the enforcer. With net.ipv4.tcp_fastopen=3
# set inside the test's own namespaces (a per-namespace sysctl; the host is never touched), curl --tcp-fastopen
# puts its HTTP request or TLS ClientHello into the SYN once it holds a cookie for the server. The `inspect` chain
# must hold such a SYN for the enforcer: a denied Host/SNI gets a reset and the server sees no SYN at all (its
# TcpPassiveOpens does not move); an allowed one arrives with its data in the SYN (the server's
# TcpExtTCPFastOpenPassive and the enforcer's nfegress_tfo_syn_data_total both grow). IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
e2e_sandbox
in_pod sysctl -qw net.ipv4.tcp_fastopen=3 || fail "sysctl tcp_fastopen in the pod"
in_net sysctl -qw net.ipv4.tcp_fastopen=3 || fail "sysctl tcp_fastopen in the net namespace"
e2e_host 203.0.113.10 httpbin.org  # a route's hostname is allowed only to its addresses (issue 17)
e2e_host 2001:db8:ff::10 httpbin.org
LISTEN=(203.0.113.10:80 203.0.113.10:443 "[2001:db8:ff::10]:80" "[2001:db8:ff::10]:443")
ns_bg "$NET" "$NS_TMP/http.out" python3 "$E2E_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" --fastopen \
  "${LISTEN[0]}" "${LISTEN[2]}" > /dev/null
ns_bg "$NET" "$NS_TMP/tls.out" python3 "$E2E_ROOT/tests/netns/server.py" --log "$NS_TMP/tls.log" --fastopen \
  --tls "$CERT" "$KEY" "${LISTEN[1]}" "${LISTEN[3]}" > /dev/null
_e2e_wait_all "${LISTEN[@]}"
OPTS=(--cluster-networks 198.51.100.0/24)
# Explicit networks: a network-less Deny would also capture ::/0 and drop the pod's IPv6 neighbour discovery.
e2e_policy < <(yaml_network all Deny 203.0.113.0/24 2001:db8:ff::/48
  yaml_route HTTPRoute web all:80 hostnames=httpbin.org backend=self
  yaml_route TLSRoute tls all:443 hostnames=httpbin.org backend=self)
e2e_init app
e2e_enforce_start app
in_pod nft list chain inet nfegress inspect > "$NS_TMP/inspect.nft" 2>/dev/null || fail "nft list chain inspect"
for doff in 5 10 15; do  # one rule per TCP header length, each loading the byte after the header
  grep -Eq "tcp doff $doff @th,$((32 * doff)),8 >= 0x0 (meta mark set .* )?queue" "$NS_TMP/inspect.nft" ||
    fail "inspect chain has no SYN-with-data rule for a $doff-word TCP header"
done

server_stat() { in_net nstat -asz "$1" | awk -v k="$1" '$1 == k {print $2}'; }  # absolute, history untouched
tfo_inspected() { in_pod curl -s "http://$ADMIN/metrics" | awk '$1 == "nfegress_tfo_syn_data_total" {print $2}'; }

# tfo_case WHAT WANT CURL_ARGS...: one TFO request from the pod whose first flight rides in the SYN.
tfo_case() {
  local what=$1 want=$2 opens tfo seen; shift 2
  opens=$(server_stat TcpPassiveOpens) tfo=$(server_stat TcpExtTCPFastOpenPassive) seen=$(tfo_inspected)
  expect_outcome "$what" "$want" --tcp-fastopen "$@"
  sleep 0.3
  [ "$(tfo_inspected)" -gt "$seen" ] || fail "$what: the enforcer saw no SYN with data (TFO not in use?)"
  if [ "$want" == deny ]; then
    expect_eq "$what: SYNs reaching the server" "$opens" "$(server_stat TcpPassiveOpens)"
  else
    [ "$(server_stat TcpExtTCPFastOpenPassive)" -gt "$tfo" ] || fail "$what: the server took no data in a SYN"
    pass "$what: data arrived in the SYN"
  fi
}

for fam in 4 6; do
  if [ $fam == 4 ]; then host=203.0.113.10; else host="[2001:db8:ff::10]"; fi
  echo "== IPv$fam: a first connection fetches the server's TFO cookie (its SYN has no data)"
  expect_outcome "IPv$fam cookie" allow --tcp-fastopen -H "Host: httpbin.org" "http://$host/"
  echo "== IPv$fam: HTTP request in the SYN"
  tfo_case "IPv$fam HTTP Host httpbin.org in the SYN allowed" allow -H "Host: httpbin.org" "http://$host/"
  tfo_case "IPv$fam HTTP Host evil.example in the SYN denied" deny -H "Host: evil.example" "http://$host/"
  echo "== IPv$fam: TLS ClientHello in the SYN"
  tfo_case "IPv$fam SNI httpbin.org in the SYN allowed" allow --resolve "httpbin.org:443:$host" https://httpbin.org/
  tfo_case "IPv$fam SNI github.com in the SYN denied" deny --resolve "github.com:443:$host" https://github.com/
done
e2e_enforce_stop
