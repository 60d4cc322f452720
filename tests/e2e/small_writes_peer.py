#!/usr/bin/env python3
"""tests/e2e/small_writes_peer.py — both ends of tests/e2e/small_writes.sh (issue 19, "no stall").

server LOG WAIT ADDR:PORT...   accept connections; per connection one JSON line in LOG when it ends:
                          {"listen", "port" (the client's), "bytes", "t_done"} where t_done is time.monotonic() when the last byte arrived
                          (written after WAIT s without a first byte, or 1 s after the last one).
client ADDR PORT FILE SIZE GAP_MS NODELAY   connect, write FILE SIZE bytes at a time (GAP_MS between writes, TCP_NODELAY
                          on or off), print {"t_last": monotonic time of the last write, "ok": the server answered, "port": local port}
                          (it answers 1 s after the last byte it got; a denied flow is reset).
check WHAT WANT FILE_SIZE MAX_MS WSIZE NODELAY CLIENT_JSON SERVER_JSON   WANT allow: the server got every byte within
                          MAX_MS of the last write (prints `latency WHAT WSIZE NODELAY MS`); deny: it got 0 bytes.
                          Exit 1 otherwise. Shared by tests/e2e/small_writes.sh and tests/netns/gateway_small_writes.sh.
Both namespaces share CLOCK_MONOTONIC, so t_done - t_last is the decision latency after the last write.
"""
import json
import socket
import sys
import threading
import time


WAIT = 3.0  # seconds a connection may stay silent before its line is written (a denied flow sends nothing)


def serve_one(conn, peer, listen, log, lock):
    total, t_done = 0, None
    conn.settimeout(WAIT)
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            total += len(b)
            t_done = time.monotonic()
            conn.settimeout(1.0)  # the first flight is over when nothing came for 1 s
    except OSError:
        pass
    try:
        conn.sendall(b"ok")
    except OSError:
        pass
    conn.close()
    with lock:
        with open(log, "a") as f:
            f.write(json.dumps({"listen": listen, "port": peer[1], "bytes": total, "t_done": t_done}) + "\n")


def server(log, listens):
    lock = threading.Lock()
    def listener(spec):
        host, port = spec.rsplit(":", 1)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host.strip("[]"), int(port)), family=fam, backlog=64)
    socks = [(listener(l), l) for l in listens]

    def loop(s, l):
        while True:
            c, peer = s.accept()
            threading.Thread(target=serve_one, args=(c, peer, l, log, lock), daemon=True).start()

    for s, l in socks:
        threading.Thread(target=loop, args=(s, l), daemon=True).start()
    threading.Event().wait()


def client(host, port, path, size, gap_ms, nodelay):
    data = open(path, "rb").read()
    s = socket.create_connection((host, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
    port_of = s.getsockname()[1]
    t_last = None
    ok = True
    try:
        for i in range(0, len(data), size):
            if i:
                time.sleep(gap_ms / 1000.0)
            s.sendall(data[i:i + size])
            t_last = time.monotonic()
        s.settimeout(8)  # the server answers 1 s after the last byte it got; a denied flow is reset
        ok = s.recv(100) == b"ok"
    except OSError:
        ok = False
    print(json.dumps({"t_last": t_last, "ok": ok, "port": port_of}))


def check(what, want, size, max_ms, wsize, nodelay, c, s):
    if want == "deny":
        if s["bytes"] != 0:
            print(f"FAIL: {what}: the server received {s['bytes']} bytes of a denied first flight", file=sys.stderr)
            return 1
        print(f"ok: {what}: denied, 0 bytes reached the server")
        return 0
    if s["bytes"] != size:
        print(f"FAIL: {what}: the server received {s['bytes']} of {size} bytes", file=sys.stderr)
        return 1
    ms = (s["t_done"] - c["t_last"]) * 1000
    print(f"latency {what} {wsize} {nodelay} {ms:.1f}")
    if ms > max_ms:
        print(f"FAIL: {what}: the last byte reached the server {ms:.0f} ms after the last write (bound {max_ms:.0f})",
              file=sys.stderr)
        return 1
    print(f"ok: {what}: all {size} bytes {ms:.1f} ms after the last write")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "check":
        a = sys.argv[2:]
        sys.exit(check(a[0], a[1], int(a[2]), float(a[3]), a[4], a[5], json.loads(a[6]), json.loads(a[7])))
    if sys.argv[1] == "server":
        WAIT = float(sys.argv[3])
        server(sys.argv[2], sys.argv[4:])
    else:
        client(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]), sys.argv[7] == "1")
