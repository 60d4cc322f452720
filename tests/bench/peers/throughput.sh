# tests/bench/peers/throughput.sh — sourced by tests/bench/peers.sh (benchmark, not a test): part "throughput".
# Established-flow throughput: iperf3 (IPv6, one TCP stream, pod -> net over the veth) with no filtering, with
# nfegress holding 100k CIDRs in 1,000 EgressNetworks (the server is in an Allow network: the flow is decided in the
# kernel), and with ip6tables (iptables-nft, then iptables-legacy) holding 10k rules, one per CIDR (the server
# matches none: every packet walks them all). nfegress-100k-noguard: the same without the netdev egress guard
# (--no-egress-guard), which shows what the guard's per-packet hook costs; conntrack: one output rule that only
# tracks connections (`ct state established accept`), the share of any stateful filter (off by default).
# THROUGHPUT_SECS (default 3) per run, REPS runs per case (cases interleaved), median; THROUGHPUT_CASES picks cases;
# THROUGHPUT_PIN=0,1 pins the client to CPU 0 and the server to CPU 1 (iperf3 -A; unpinned runs on this 2-CPU VM
# were bimodal, 19-21 or 26-30 Gbit/s in every case, by where the scheduler put the two).
throughput_case() {  # throughput_case CASE: set the pod's ruleset up for CASE
  pod_reset
  case $1 in
    none) ;;
    conntrack) in_pod nft add table inet ctonly && in_pod nft add chain inet ctonly output \
        '{ type filter hook output priority filter; policy accept; }' &&
        in_pod nft add rule inet ctonly output ct state established accept || fail "conntrack-only table" ;;
    nfegress-100k) in_pod "$NFEGRESS_BIN" init "$NS_TMP/policy100k.yaml" --namespace app \
        --cluster-networks 198.51.100.0/24 > "$NS_TMP/init.log" 2>&1 || fail "nfegress init 100k" ;;
    nfegress-100k-noguard) in_pod "$NFEGRESS_BIN" init "$NS_TMP/policy100k.yaml" --namespace app \
        --cluster-networks 198.51.100.0/24 --no-egress-guard > "$NS_TMP/init.log" 2>&1 || fail "nfegress init 100k" ;;
    iptables-nft-10k | iptables-legacy-10k)
      local ipt=${1%-10k}; ipt=ip6tables-${ipt#iptables-}-restore
      in_pod "$ipt" "$NS_TMP/iptables10k.rules" || fail "$ipt 10k" ;;
  esac
}

part_throughput() {
  command -v iperf3 >/dev/null || fail "needs iperf3"
  peers_topology
  python3 "$HERE/gen_policy.py" 1000 100 > "$NS_TMP/policy100k.yaml"
  python3 "$HERE/gen_peers.py" iptables 100 100 > "$NS_TMP/iptables10k.rules"
  ns_bg "$NET" "$NS_TMP/iperf3.log" iperf3 -s -B 2001:db8:3e7::10 >/dev/null
  sleep 0.5
  local raw=$OUT/throughput_raw.csv secs=${THROUGHPUT_SECS:-3} rep c gbps
  echo "case,rep,gbps,load1" > "$raw"
  for rep in $(seq "$REPS"); do
    for c in ${THROUGHPUT_CASES:-none nfegress-100k nfegress-100k-noguard iptables-nft-10k iptables-legacy-10k}; do
      throughput_case "$c"
      in_pod iperf3 -c 2001:db8:3e7::10 -t "$secs" -O 1 ${THROUGHPUT_PIN:+-A "$THROUGHPUT_PIN"} -J > "$NS_TMP/iperf.json" ||
        fail "iperf3 $c"
      gbps=$(python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$NS_TMP/iperf.json")
      echo "  $c run $rep: $gbps Gbit/s"
      echo "$c,$rep,$gbps,$(cut -d' ' -f1 /proc/loadavg)" >> "$raw"
    done
  done
  pod_reset
  echo "=== established-flow throughput (iperf3 -t $secs, one IPv6 stream), median of $REPS; x none = ratio"
  python3 "$HERE/peers/summarize.py" "$raw" "$OUT/throughput.csv" - case none gbps | tee "$OUT/throughput.txt"
}
