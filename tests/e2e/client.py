#!/usr/bin/env python3
"""tests/e2e/client.py — one long-lived client connection for the reload and restart scenarios.

Connects once (plain TCP or TLS with SNI), then sends `GET PATH` with keep-alive every INTERVAL seconds until
STOPFILE exists, reading each response. Prints one line per request (`ok N` or `error N: why`) and exits 0 (and prints
`done`) only when every request on that single connection got `200`.

usage: client.py --addr IP --port P --host NAME [--tls CAFILE] [--path /get] [--interval 0.2] --stop FILE
"""
import argparse, os, socket, ssl, sys, time

def read_response(f):
    status = f.readline()
    if not status:
        raise ConnectionError("connection closed")
    length = 0
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed in headers")
        if line in (b"\r\n", b"\n"):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    body = f.read(length)
    return status.split(b" ")[1].decode() if b" " in status else "?", body

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--tls")
    ap.add_argument("--path", default="/get")
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--max", type=float, default=60.0)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.create_connection((a.addr, a.port), timeout=5) if fam == socket.AF_INET else \
        socket.create_connection((a.addr, a.port, 0, 0), timeout=5)
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.tls)
        s = ctx.wrap_socket(s, server_hostname=a.host)
    f = s.makefile("rb")
    n = 0
    start = time.time()
    while not os.path.exists(a.stop) and time.time() - start < a.max:
        n += 1
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.path, a.host)).encode())
            code, _ = read_response(f)
        except Exception as e:  # noqa: BLE001
            print("error %d: %s" % (n, e), flush=True)
            return 1
        if code != "200":
            print("error %d: HTTP %s" % (n, code), flush=True)
            return 1
        print("ok %d" % n, flush=True)
        time.sleep(a.interval)
    print("done", flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
