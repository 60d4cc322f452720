#!/usr/bin/env python3
"""tests/bench/enforcer_client.py — connect-to-first-byte latency of sequential TLS connections (for
enforcer_netns.sh). Each connection: TCP connect, TLS handshake with SNI, `GET /`, first response byte.
usage: enforcer_client.py ADDR PORT SNI CAFILE N   -> prints "p50_ms p99_ms conn_per_s"
"""
import socket, ssl, sys, time

addr, port, sni, ca, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
lat = []
start = time.perf_counter()
for _ in range(n):
    t0 = time.perf_counter()
    with socket.create_connection((addr, port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: " + sni.encode() + b"\r\n\r\n")
            if not s.recv(1):
                sys.exit("no response")
            lat.append(time.perf_counter() - t0)
total = time.perf_counter() - start
lat.sort()
print("%.3f %.3f %.0f" % (lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, n / total))
