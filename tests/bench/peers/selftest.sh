#!/usr/bin/env bash
# tests/bench/peers/selftest.sh — unit test (ctest bench_peers_selftest; no root, no extra packages): the pure
# helpers of tests/bench/peers.sh. summarize.py's medians and ratios on a known CSV (and report.py's table of
# them), gen_peers.py's rule and element counts, micro.py on a tiny Google Benchmark JSON, and `bash -n` of every
# peers script. Measures nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for s in "$HERE"/../peers.sh "$HERE"/*.sh; do bash -n "$s" || fail "syntax: $s"; done

printf 'case,rep,gbps\nnone,1,10\nnone,2,30\nnone,3,20\nx,1,5\nx,2,15\nx,3,10\n' > "$TMP/raw.csv"
python3 "$HERE/summarize.py" "$TMP/raw.csv" "$TMP/sum.csv" - case none gbps > /dev/null
[ "$(sed -n 3p "$TMP/sum.csv")" == "-,x,3,10,0.5" ] || fail "summarize: $(cat "$TMP/sum.csv")"
mkdir "$TMP/out" && cp "$TMP/sum.csv" "$TMP/out/throughput.csv"
python3 "$HERE/report.py" "$TMP/out" | grep -qx '| x | 3 | 10 | 0.5 |' || fail "report: $(python3 "$HERE/report.py" "$TMP/out")"
printf 'tool,cidrs,wall_s,user_s,sys_s,rss_kb\nnft,100,2,1,1,10\ninit,100,1,0.25,0.25,20\n' > "$TMP/p.csv"
python3 "$HERE/summarize.py" "$TMP/p.csv" "$TMP/ps.csv" cidrs tool nft wall_s cpu_s > /dev/null
[ "$(sed -n 3p "$TMP/ps.csv")" == "100,init,1,1,0.5,0.5,0.25" ] || fail "summarize cpu_s: $(cat "$TMP/ps.csv")"

[ "$(python3 "$HERE/../gen_peers.py" iptables 3 4 | grep -c '^-A OUTPUT -d 2001:db8:')" == 12 ] || fail "iptables rules"
python3 "$HERE/../gen_peers.py" iptables-change 5 > "$TMP/c.rules"
[ "$(grep -c '^-D OUTPUT -d 2001:db8:0:[02468]::/64 -j DROP' "$TMP/c.rules")" == 5 ] || fail "iptables-change -D"
[ "$(grep -c '^-A OUTPUT -d 2001:db8:0:[13579]::/64 -j DROP' "$TMP/c.rules")" == 5 ] || fail "iptables-change -A"
python3 "$HERE/../gen_peers.py" nft-change 3 en_0 > "$TMP/c.nft"
grep -qx 'delete element inet nfegress dst6 { 2001:db8:0:0::/64, 2001:db8:0:2::/64, 2001:db8:0:4::/64 }' "$TMP/c.nft" ||
  fail "nft-change delete: $(cat "$TMP/c.nft")"
[ "$(grep -o 'goto en_0' "$TMP/c.nft" | wc -l)" == 3 ] || fail "nft-change add"

cat > "$TMP/b.json" <<'JSON'
{"benchmarks": [
 {"run_name": "BM_SniExtraction/curl", "run_type": "aggregate", "aggregate_name": "median", "cpu_time": 100,
  "real_time": 120, "time_unit": "ns"},
 {"run_name": "BM_Compile/1000/100", "run_type": "aggregate", "aggregate_name": "median", "cpu_time": 20,
  "real_time": 30, "time_unit": "ms"}]}
JSON
python3 "$HERE/micro.py" "$TMP/m.csv" "$TMP/b.json" > /dev/null
grep -qx 'BM_SniExtraction/curl,100,120,200,0.5,SNI parse <= 200 ns' "$TMP/m.csv" || fail "micro: $(cat "$TMP/m.csv")"
grep -q '^BM_Compile/1000/100,2e+07,3e+07,1e+08,0.2,' "$TMP/m.csv" || fail "micro units: $(cat "$TMP/m.csv")"
echo "ok: peers helpers"
