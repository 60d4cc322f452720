# tests/bench/peers/keepalive.sh — sourced by tests/bench/peers.sh (benchmark, not a test): part "keepalive".
# Requests per second on ONE long-lived connection (issue 19: the per-request cost of an inspected keep-alive or
# h2c connection), h2load (nghttp2-client) from the pod to nginx in the net namespace, one request in flight:
#   http1  HTTP/1.1 keep-alive, GET /get/x with Host allowed.example, port 80
#   grpc   h2c (prior knowledge), POST /pkg.Greeter/SayHello, content-type application/grpc, port 8080
#   download  one GET /get/big of KA_BIG_MB (default 256) MiB with curl, HTTP/1.1, port 80: what the client's ACKs
#          of a long response cost when the connection stays inspected (reported as requests/s = 1/time and MiB/s)
# Cases: none (no ruleset), kernel (TCPRoutes on 80 and 8080: decided in the kernel), inspect (HTTPRoute on 80 by
# Host + path, GRPCRoute on 8080 by service/method: `nfegress enforce` decides every request). KA_REQS (default
# 20000) requests per run (a 200-request warm-up connection first), KA_REPS (default REPS) runs, cases interleaved. The enforcer's CPU per request goes to ka_helper_raw.csv.
source "$HERE/peers/tls.sh"  # tls_case_up (its none/kernel/inspect cases)
KA_BIG_MB=${KA_BIG_MB:-256}
ka_write_conf() {
  mkdir -p "$NS_TMP/ngx-ka"
  cat > "$NS_TMP/ngx-ka/nginx.conf" <<NGX
worker_processes 1; daemon off; error_log stderr warn; user root;  # the file is under the test's 0700 directory
events { worker_connections 1024; }
pid $NS_TMP/ngx-ka/nginx.pid;
http {
  access_log off;
  keepalive_requests 100000000; keepalive_timeout 600s;
  server { listen 203.0.113.10:80; location / { return 200 "ok\n"; }
           location = /get/big { alias $NS_TMP/ngx-ka/big; } }
  server { listen 203.0.113.10:8080 http2; location / { return 200 "ok\n"; } }
}
NGX
  { yaml_network all Deny; yaml_route TCPRoute tcp-80 all:80 backend=self
    yaml_route TCPRoute tcp-8080 all:8080 backend=self; } > "$NS_TMP/ka-kernel.yaml"
  { yaml_network all Deny
    yaml_route HTTPRoute get-only all:80 hostnames=allowed.example path=PathPrefix:/get
    cat <<YAML
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter-hello, namespace: linkerd-egress}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 8080}]
  hostnames: [allowed.example]
  rules:
  - matches: [{method: {service: pkg.Greeter, method: SayHello}}]
YAML
  } > "$NS_TMP/ka-inspect.yaml"
  printf '\0\0\0\0\5hello' > "$NS_TMP/grpc-body"  # one gRPC message frame
  head -c $((KA_BIG_MB * 1048576)) /dev/zero > "$NS_TMP/ngx-ka/big"
}

ka_case_up() { tls_case_up "$1" "$NS_TMP/ka-kernel.yaml" "$NS_TMP/ka-inspect.yaml"; }  # ka_case_up CASE

ka_ticks() { [ -n "$TLS_HELPER" ] && awk '{print $14 + $15}' "/proc/$TLS_HELPER/stat" || echo 0; }
ka_download() {  # prints "1 0 REQ_PER_S MIB_PER_S"
  in_pod curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' http://allowed.example/get/big |
    awk '$1 == 200 { printf "1 0 %.4f %.1f\n", 1 / $2, $3 / 1048576 / $2 }'
}

ka_run() {  # ka_run PROTO N: one h2load run of N requests on one connection; prints "2XX FAILED REQ_PER_S"
  # (-n, not -D: this h2load's duration mode reports 0 req/s for h2)
  local args=(-c 1 -m 1 -n "$2")
  if [ "$1" == http1 ]; then
    args+=(--h1 http://allowed.example/get/x)
  else
    args+=(-d "$NS_TMP/grpc-body" -H "content-type: application/grpc" -H "te: trailers"
           http://allowed.example:8080/pkg.Greeter/SayHello)
  fi
  in_pod h2load "${args[@]}" 2>&1 | awk '
    /^finished in/ { gsub(/,/, ""); rate = $4 }
    /^requests:/ { failed = $10 }
    /^status codes:/ { ok = $3 }
    END { if (rate == "") exit 1; print ok + 0, failed + 0, rate }'
}

part_keepalive() {
  need nginx h2load
  peers_topology
  ka_write_conf
  ns_bg "$NET" "$NS_TMP/ngx-ka.log" nginx -p "$NS_TMP/ngx-ka" -c "$NS_TMP/ngx-ka/nginx.conf" -e stderr >/dev/null
  ns_wait_port "$NET" 203.0.113.10 80
  ns_wait_port "$NET" 203.0.113.10 8080
  local raw=$OUT/ka_raw.csv n=${KA_REQS:-20000} rep c p ok failed rate mibs total
  echo "proto,case,rep,requests,failed,req_per_s,mib_per_s,load1" > "$raw"
  echo "proto,rep,requests,cpu_s,us_per_request" > "$OUT/ka_helper_raw.csv"
  for rep in $(seq "${KA_REPS:-$REPS}"); do
    for c in none kernel inspect; do
      ka_case_up "$c"
      total=0
      for p in http1 grpc download; do
        mibs="" t0=$(ka_ticks)
        if [ "$p" == download ]; then
          read -r ok failed rate mibs < <(ka_download) || fail "curl download $c"
        else
          ka_run "$p" 200 > /dev/null || fail "h2load $p $c warm-up"
          t0=$(ka_ticks)
          read -r ok failed rate < <(ka_run "$p" "$n") || fail "h2load $p $c"
        fi
        [ "${ok:-0}" -gt 0 ] || fail "$p $c: no 2xx response (failed $failed)"
        echo "  $p $c run $rep: $ok requests 2xx ($failed failed), $rate req/s${mibs:+, $mibs MiB/s}"
        echo "$p,$c,$rep,$ok,$failed,$rate,${mibs:-0},$(cut -d' ' -f1 /proc/loadavg)" >> "$raw"
        [ -z "$TLS_HELPER" ] || echo "$p,$rep,$ok,$(python3 -c "import os,sys; t=int(sys.argv[1])/os.sysconf('SC_CLK_TCK'); print('%.2f,%.1f' % (t, t*1e6/int(sys.argv[2])))" "$(($(ka_ticks) - t0))" "$ok")" >> "$OUT/ka_helper_raw.csv"
      done
      [ -z "$TLS_HELPER" ] || { ns_stop "$TLS_HELPER" || true; TLS_HELPER=""; }
    done
  done
  pod_reset
  echo "=== requests/s on one connection (${n} requests per run), median of ${KA_REPS:-$REPS}; x none = ratio, same protocol"
  python3 "$HERE/peers/summarize.py" "$raw" "$OUT/keepalive.csv" proto case none req_per_s mib_per_s | tee "$OUT/keepalive.txt"
  echo "=== CPU time (user + sys) of nfegress enforce per inspected request (download: for the whole response)"
  python3 "$HERE/peers/summarize.py" "$OUT/ka_helper_raw.csv" "$OUT/ka_helper.csv" - proto http1 us_per_request |
    tee -a "$OUT/keepalive.txt"
}
