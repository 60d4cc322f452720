# tests/bench/peers/tls.sh — sourced by tests/bench/peers.sh (benchmark, not a test): part "tls".
# New TLS connections per second and connect-to-first-byte latency (bench_tls_client: connect, TLS 1.3 handshake
# with SNI, GET /, first byte, read to EOF, close) from the pod to nginx (http, `return 200`) in the net namespace:
#   none      no ruleset in the pod
#   kernel    nfegress, port 443 allowed by a TCPRoute (decided in the kernel, nothing queued)
#   inspect   nfegress, port 443 decided by a TLSRoute on the SNI (`nfegress enforce` running)
#   nginx     no ruleset; the client connects to an nginx `stream` proxy (ssl_preread, SNI allow-list map)
#   nfq       the NFQUEUE floor: an ip6tables/iptables-nft rule queues the same 2 packets nfegress queues (the
#             handshake's last ACK and the ClientHello: conntrack packets 2-3 of the connection) to bench_nfq_accept
#   inspect-noanchor  (only when named in TLS_CASES) inspect with --syn-ack-anchor off: both packets queued
#   nfq1      the floor under the SYN-ACK anchor (issue 19): only the ClientHello (packet 3) is queued, as nfegress
#             queues it when the kernel anchors the stream (the handshake's ACK stays in the kernel)
# TLS_THREADS (default "1 8": concurrent clients), TLS_SECS (default 4) per run, TLS_REPS (default REPS) runs,
# cases interleaved.
tls_write_conf() {
  local cert=$NS_TMP/cert.pem key=$NS_TMP/key.pem
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=allowed.example \
    -addext "subjectAltName=DNS:allowed.example" -keyout "$key" -out "$cert" 2>/dev/null || fail "openssl req"
  local common="worker_processes 2; daemon off; error_log stderr warn;
events { worker_connections 4096; }"
  mkdir -p "$NS_TMP/ngx-server" "$NS_TMP/ngx-proxy"
  cat > "$NS_TMP/ngx-server/nginx.conf" <<NGX
$common
pid $NS_TMP/ngx-server/nginx.pid;
http {
  access_log off;
  server {
    listen 203.0.113.10:443 ssl;
    ssl_certificate $cert; ssl_certificate_key $key;
    ssl_protocols TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
    location / { return 200 "ok\n"; }
  }
}
NGX
  cat > "$NS_TMP/ngx-proxy/nginx.conf" <<NGX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
$common
pid $NS_TMP/ngx-proxy/nginx.pid;
stream {
  map \$ssl_preread_server_name \$upstream {
    allowed.example 203.0.113.10:443;
    default         127.0.0.1:9;
  }
  server { listen 203.0.113.20:443; ssl_preread on; proxy_pass \$upstream; }
}
NGX
  # kernel: deny all but any TCP to port 443 (a TCPRoute); inspect: deny all but TLS to SNI allowed.example on 443
  { yaml_network all Deny; yaml_route TCPRoute tcp-ok all:443 backend=self; } > "$NS_TMP/kernel.yaml"
  cp "$NS_POLICIES/allowed-example.yaml" "$NS_TMP/inspect.yaml"  # (its HTTP route on port 80 is unused here)
}

TLS_HELPER="" TLS_TICKS0=0
tls_case_up() {  # tls_case_up CASE [KERNEL_YAML INSPECT_YAML]: the pod's ruleset and helper process for CASE
  pod_reset      # (policies default to this part's kernel.yaml and inspect.yaml; peers/keepalive.sh gives its own)
  # TLS_QUEUE_TOTAL (default: the enforcer's own, one queue per CPU): init's and enforce's --queue-total
  local opts=(--namespace app --cluster-networks 198.51.100.0/24 ${TLS_QUEUE_TOTAL:+--queue-total "$TLS_QUEUE_TOTAL"})
  local kernel=${2:-$NS_TMP/kernel.yaml}
  local inspect=${3:-$NS_TMP/inspect.yaml}
  case $1 in
    none) ;;
    kernel) in_pod "$NFEGRESS_BIN" init "$kernel" "${opts[@]}" > "$NS_TMP/init.log" 2>&1 ||
        fail "nfegress init kernel" ;;
    inspect|inspect-noanchor)  # inspect-noanchor: --syn-ack-anchor off (the handshake's ACK queued too)
      [ "$1" == inspect-noanchor ] && opts+=(--syn-ack-anchor off)
      in_pod "$NFEGRESS_BIN" init "$inspect" "${opts[@]}" > "$NS_TMP/init.log" 2>&1 || fail "nfegress init inspect"
      TLS_HELPER=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$NFEGRESS_BIN" enforce "$inspect" "${opts[@]}")
      tls_wait_ready "$NS_TMP/enforce.log"
      TLS_TICKS0=$(awk '{print $14 + $15}' "/proc/$TLS_HELPER/stat") ;;  # without the start-up
    nfq|nfq1)
      local from=2; [ "$1" == nfq1 ] && from=3
      in_pod iptables-nft -A OUTPUT -p tcp --dport 443 -m connbytes --connbytes "$from:3" --connbytes-dir original \
        --connbytes-mode packets -j NFQUEUE --queue-num 0 || fail "iptables NFQUEUE rule"
      TLS_HELPER=$(ns_bg "$POD" "$NS_TMP/nfq.log" "$BUILD/tests/bench/bench_nfq_accept" 0)
      tls_wait_ready "$NS_TMP/nfq.log"
      TLS_TICKS0=$(awk '{print $14 + $15}' "/proc/$TLS_HELPER/stat") ;;
  esac
}
tls_wait_ready() {
  local i
  for i in $(seq 50); do grep -q ready "$1" && return 0; sleep 0.1; done
  cat "$1" >&2; fail "no ready line in $1"
}
tls_case_down() {  # tls_case_down CASE REP CONNS: stop the helper; its CPU time per connection to HELPER_CSV
                   # (default tls_helper_raw.csv)
  [ -z "$TLS_HELPER" ] && return 0
  local ticks
  ticks=$(($(awk '{print $14 + $15}' "/proc/$TLS_HELPER/stat") - TLS_TICKS0))  # utime + stime, including the
  ns_stop "$TLS_HELPER" || true  # reinjected packets' path
  TLS_HELPER=""
  echo "$1,$2,$3,$(python3 -c "import os,sys; t=int(sys.argv[1])/os.sysconf('SC_CLK_TCK'); print('%.2f,%.1f' % (t, t*1e6/int(sys.argv[2])))" "$ticks" "$3")" \
    >> "${HELPER_CSV:-$OUT/tls_helper_raw.csv}"
}

part_tls() {
  command -v nginx >/dev/null || fail "needs nginx and libnginx-mod-stream"
  [ -x "$BUILD/tests/bench/bench_tls_client" ] || fail "no bench_tls_client in $BUILD"
  [ -x "$BUILD/tests/bench/bench_nfq_accept" ] || fail "no bench_nfq_accept (libnetfilter-queue-dev, rerun cmake)"
  peers_topology
  tls_write_conf
  local d
  for d in server proxy; do
    ns_bg "$NET" "$NS_TMP/ngx-$d.log" nginx -p "$NS_TMP/ngx-$d" -c "$NS_TMP/ngx-$d/nginx.conf" -e stderr >/dev/null
  done
  ns_wait_port "$NET" 203.0.113.10 443
  ns_wait_port "$NET" 203.0.113.20 443
  local raw=$OUT/tls_raw.csv secs=${TLS_SECS:-4} rep c t addr conns errors p50 p99 rate total
  echo "threads,case,rep,conns,errors,p50_ms,p99_ms,conn_per_s,load1" > "$raw"
  echo "case,rep,conns,cpu_s,us_per_conn" > "$OUT/tls_helper_raw.csv"
  local client=$BUILD/tests/bench/bench_tls_client
  for rep in $(seq "${TLS_REPS:-$REPS}"); do
    for c in ${TLS_CASES:-none kernel inspect nginx nfq nfq1}; do
      tls_case_up "$c"
      addr=203.0.113.10; [ "$c" == nginx ] && addr=203.0.113.20
      read -r total _ < <(in_pod "$client" "$addr" 443 allowed.example 2 1) || fail "tls warm-up $c"
      for t in ${TLS_THREADS:-1 8}; do
        read -r conns errors p50 p99 rate < <(in_pod "$client" "$addr" 443 allowed.example "$t" "$secs") ||
          fail "tls client $c"
        echo "  $c threads $t run $rep: $conns conns ($errors errors), p50 $p50 ms, p99 $p99 ms, $rate conn/s"
        echo "$t,$c,$rep,$conns,$errors,$p50,$p99,$rate,$(cut -d' ' -f1 /proc/loadavg)" >> "$raw"
        total=$((total + conns))
      done
      tls_case_down "$c" "$rep" "$total"
      [ "${c%-noanchor}" != inspect ] || grep '^counters:' "$NS_TMP/enforce.log" | tail -1 | sed 's/^/  /'
    done
  done
  pod_reset
  echo "=== new TLS connections (${secs} s per run), median of ${TLS_REPS:-$REPS}; x none = ratio to no filtering, same threads"
  python3 "$HERE/peers/summarize.py" "$raw" "$OUT/tls.csv" threads case none conn_per_s p50_ms p99_ms |
    tee "$OUT/tls.txt"
  echo "=== CPU time (user + sys) of the userspace helper per connection, median of ${TLS_REPS:-$REPS}; x nfq = ratio"
  python3 "$HERE/peers/summarize.py" "$OUT/tls_helper_raw.csv" "$OUT/tls_helper.csv" - case nfq us_per_conn |
    tee -a "$OUT/tls.txt"
  echo "=== the same, x nfq1 = ratio to the one-packet floor (what nfegress queues under the SYN-ACK anchor)"
  python3 "$HERE/peers/summarize.py" "$OUT/tls_helper_raw.csv" "$OUT/tls_helper1.csv" - case nfq1 us_per_conn |
    tee -a "$OUT/tls.txt"
}
