# tests/bench/peers/program.sh — sourced by tests/bench/peers.sh (benchmark, not a test): part "program".
# Programming N CIDRs in N/100 EgressNetworks: `nfegress init` vs `nft -f` of nfegress's own export vs
# ip6tables-restore with one rule per CIDR, plus a one-network change after each full load. The timing itself is
# tests/bench/programming.sh (its own `unshare -n` namespace); this only picks the sizes and reports.
# PROGRAM_SIZES: CIDR counts (multiples of 100), default "1000 10000 100000 1000000"; PROGRAM_RUNS (default 3).
# nft's one-network change in an interval map is quadratic in the set size (60 s at 100k), so from 100k on the changes
# are timed in the first run only; at 1M (one run) no change is timed.
# Then the blocklist shape (issue 15; tests/bench/gen_blocklist.py): 100k random, overlapping public IPv4 CIDRs
# /12../32 in 1,000 EgressNetworks, init against nft -f (BLOCKLIST_NETWORKS, default 1000; 0 skips it).
part_program() {
  local raw=$OUT/program_raw.csv n runs change_runs ipts
  echo "tool,cidrs,wall_s,user_s,sys_s,rss_kb" > "$raw"
  for n in ${PROGRAM_SIZES:-1000 10000 100000 1000000}; do
    runs=${PROGRAM_RUNS:-3}
    change_runs=$runs ipts="ip6tables-nft-restore ip6tables-legacy-restore"
    [ "$n" -ge 100000 ] && change_runs=1
    [ "$n" -ge 1000000 ] && runs=1 change_runs=0
    echo "--- programming $n CIDRs in $((n / 100)) EgressNetworks, $runs runs (load $(peers_load))"
    NETWORKS=$((n / 100)) RUNS=$runs CHANGE_RUNS=$change_runs PEERS=1 GBENCH=0 CSV=$raw IPT_RESTORES=$ipts \
      bash "$HERE/programming.sh" "$BUILD" > "$OUT/program_$n.log" 2>&1 ||
      { cat "$OUT/program_$n.log" >&2; fail "programming.sh at $n CIDRs"; }
  done
  echo "=== programming, full load: median wall / CPU / peak RSS; x nft = ratio to nft -f at the same size"
  grep -vE '^[a-z-]+-change,' "$raw" > "$OUT/program_full_raw.csv"
  python3 "$HERE/peers/summarize.py" "$OUT/program_full_raw.csv" "$OUT/program.csv" cidrs tool nft \
    wall_s cpu_s rss_kb | tee "$OUT/program.txt"
  echo "=== programming, one network's 100 prefixes move after a full load (init: a full init of the changed"
  echo "    policy; nft: delete + add element; iptables: restore --noflush of -D/-A); x nft = ratio to nft's change"
  grep -E '^(tool|[a-z-]+-change),' "$raw" | sed 's/-change,/,/' > "$OUT/program_change_raw.csv"
  python3 "$HERE/peers/summarize.py" "$OUT/program_change_raw.csv" "$OUT/program_change.csv" cidrs tool nft \
    wall_s cpu_s rss_kb | tee "$OUT/program_change.txt"
  local bl=${BLOCKLIST_NETWORKS:-1000} blraw=$OUT/program_blocklist_raw.csv
  [ "$bl" -gt 0 ] || return 0
  echo "tool,cidrs,wall_s,user_s,sys_s,rss_kb" > "$blraw"
  echo "--- programming the blocklist shape: $((bl * 100)) random IPv4 CIDRs in $bl EgressNetworks (load $(peers_load))"
  SHAPE=blocklist NETWORKS=$bl RUNS=${PROGRAM_RUNS:-3} GBENCH=0 CSV=$blraw \
    bash "$HERE/programming.sh" "$BUILD" > "$OUT/program_blocklist.log" 2>&1 ||
    { cat "$OUT/program_blocklist.log" >&2; fail "programming.sh, blocklist shape"; }
  echo "=== programming, blocklist shape (random overlapping IPv4 /12../32): median wall / CPU / peak RSS"
  python3 "$HERE/peers/summarize.py" "$blraw" "$OUT/program_blocklist.csv" cidrs tool nft \
    wall_s cpu_s rss_kb | tee "$OUT/program_blocklist.txt"
}
