# tests/bench/peers/micro.sh — sourced by tests/bench/peers.sh (benchmark, not a test): part "micro".
# The Google Benchmark figures the targets of issue 8 name (SNI parse, route match at 10 / 1k / 100k names, HTTP
# parse, compiling 100k CIDRs), medians of REPS repetitions, CPU time, each against its target.
part_micro() {
  local b json=()
  for b in bench_parsers bench_matcher bench_compile; do
    [ -x "$BUILD/tests/bench/$b" ] || fail "no $BUILD/tests/bench/$b"
    "$BUILD/tests/bench/$b" \
      --benchmark_filter="${MICRO_FILTER:-SniExtraction|HttpRequest/|HostIndex|MatchSni|MatchHttp|Compile}" \
      --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 \
      --benchmark_out="$OUT/micro_$b.json" --benchmark_out_format=json > "$OUT/micro_$b.log" 2>&1 ||
      { cat "$OUT/micro_$b.log" >&2; fail "$b"; }
    json+=("$OUT/micro_$b.json")
  done
  echo "=== microbenchmarks (median of $REPS, CPU time); x target = ratio to the issue's target"
  python3 "$HERE/peers/micro.py" "$OUT/micro.csv" "${json[@]}" | tee "$OUT/micro.txt"
}
