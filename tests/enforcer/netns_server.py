#!/usr/bin/env python3
"""tests/enforcer/netns_server.py — server for the enforcer's namespace tests (plain TCP/HTTP or TLS). Per
connection it logs one JSON line: bytes received before TLS ("raw", counted by peeking until the first byte or a
2 s idle timeout), the HTTP request paths it answered, and the payload bytes it read. A denied flow must show
raw == 0 and no requests. Answers every HTTP request with `200 ok HOST PATH` (keep-alive, Content-Length bodies).

usage: netns_server.py --log FILE [--tls CERT KEY] ADDR:PORT...
"""
import argparse, json, socket, ssl, threading

def handle(conn, listen, ctx, log, lock):
    rec = {"listen": listen, "raw": 0, "bytes": 0, "requests": [], "error": ""}
    try:
        conn.settimeout(2)
        try:
            rec["raw"] = len(conn.recv(65536, socket.MSG_PEEK))
        except socket.timeout:
            return
        if rec["raw"] == 0:
            return
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                rec["bytes"] += len(data)
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            host, length = "", 0
            for l in lines[1:]:
                k, _, v = l.partition(":")
                if k.strip().lower() == "host":
                    host = v.strip()
                if k.strip().lower() == "content-length":
                    length = int(v.strip() or 0)
            remaining = length - len(buf)
            buf = buf[length:]
            while remaining > 0:  # body: counted, not kept
                data = conn.recv(min(remaining, 1 << 20))
                if not data:
                    return
                rec["bytes"] += len(data)
                remaining -= len(data)
            rec["requests"].append(parts[1] if len(parts) > 1 else "?")
            body = ("ok %s %s %d\n" % (host, rec["requests"][-1], length)).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    except Exception as e:  # noqa: BLE001 - a test server logs and goes on
        rec["error"] = type(e).__name__
    finally:
        try:
            conn.close()
        except Exception:
            pass
        with lock:
            log.write(json.dumps(rec) + "\n")
            log.flush()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls", nargs=2)
    ap.add_argument("addrs", nargs="+")
    a = ap.parse_args()
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    log, lock = open(a.log, "a"), threading.Lock()
    socks = []
    for spec in a.addrs:
        host, port = spec.rsplit(":", 1)
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host.strip("[]"), int(port)))
        s.listen(128)
        socks.append((s, spec))
    def serve(s, spec):
        while True:
            c, _ = s.accept()
            threading.Thread(target=handle, args=(c, spec, ctx, log, lock), daemon=True).start()
    ts = [threading.Thread(target=serve, args=x, daemon=True) for x in socks]
    for t in ts:
        t.start()
    print("listening", flush=True)
    for t in ts:
        t.join()

main()
