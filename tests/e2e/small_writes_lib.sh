#!/usr/bin/env bash
# tests/e2e/small_writes_lib.sh — sourced by tests/e2e/small_writes.sh (pod mode) and tests/netns/gateway_small_writes.sh
# (gateway mode): one case of issue 19's "no stall" check, a real first flight written in small pieces through
# tests/e2e/small_writes_peer.py. The caller defines sw_client CMD... (runs CMD in the client's namespace) and sets
# DATA (the first flights), LOG (the peer server's log), WAIT (s the server waits for a first byte), MAX_MS, FAILED;
# SERVER is the server address (default 203.0.113.10). A failed case is appended to FAILED; the caller fails at the end.
SW_PEER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/small_writes_peer.py
gap_for() { case $1 in 1) echo 2 ;; 7) echo 5 ;; *) echo 20 ;; esac; }  # ms between writes

# one_case WHAT FILE PORT SIZE NODELAY WANT: WANT allow = every byte within MAX_MS of the last write; deny = 0 bytes.
# To SERVER (default 203.0.113.10).
one_case() {
  local what=$1 file=$2 port=$3 size=$4 nodelay=$5 want=$6 out got cport
  [[ $file == /* ]] || file=$DATA/$file
  out=$(sw_client python3 "$SW_PEER" client "${SERVER:-203.0.113.10}" "$port" "$file" \
    "$size" "$(gap_for "$size")" "$nodelay") || fail "$what: client failed"
  cport=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$out")
  for _ in $(seq $((WAIT * 10 + 20))); do
    got=$(grep "\"port\": $cport," "$LOG" | head -1)
    [ -n "$got" ] && break
    sleep 0.1
  done
  [ -n "$got" ] || { FAILED="$FAILED\n  $what (the server logged no connection)"; return 0; }
  python3 "$SW_PEER" check "$what" "$want" "$(stat -c %s "$file")" "$MAX_MS" "$size" \
    "$nodelay" "$out" "$got" || FAILED="$FAILED\n  $what"
}

