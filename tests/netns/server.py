#!/usr/bin/env python3
"""tests/netns/server.py — a test server for namespace tests: plain TCP/HTTP or TLS on the given addresses and
ports. It answers HTTP requests with `200 ok HOST PATH` (keep-alive honoured) and logs, per connection, one JSON
line with the bytes it received, so tests can assert that a denied client's bytes never reached the server.

usage: server.py --log FILE [--tls CERT KEY] [--fastopen] ADDR:PORT...   (IPv6 as [addr]:port)
--fastopen sets TCP_FASTOPEN on the listening sockets (the namespace needs net.ipv4.tcp_fastopen with bit 2).
"""
import argparse, json, socket, ssl, sys, threading

def parse_addr(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)

def handle(conn, peer, listen, ctx, log, lock):
    received = bytearray()
    sni = None
    try:
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
            sni = getattr(conn, "nfegress_sni", None)
        conn.settimeout(10)
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            received += data
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else "?"
                host = ""
                length = 0
                for l in lines[1:]:
                    k, _, v = l.partition(":")
                    if k.strip().lower() == "host":
                        host = v.strip()
                    if k.strip().lower() == "content-length":
                        length = int(v.strip() or 0)
                buf = buf[length:]
                body = ("ok %s %s\n" % (host, path)).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
    except Exception as e:  # noqa: BLE001 - a test server logs and goes on
        sni = sni
    finally:
        try:
            conn.close()
        except Exception:
            pass
        with lock:
            log.write(json.dumps({"listen": listen, "peer": peer[0], "bytes": len(received),
                                  "head": received[:80].decode("latin-1")}) + "\n")
            log.flush()

def serve(sock, listen, ctx, log, lock):
    while True:
        conn, peer = sock.accept()
        threading.Thread(target=handle, args=(conn, peer, listen, ctx, log, lock), daemon=True).start()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--fastopen", action="store_true")
    ap.add_argument("addrs", nargs="+")
    a = ap.parse_args()
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    log = open(a.log, "a")
    lock = threading.Lock()
    threads = []
    for spec in a.addrs:
        host, port = parse_addr(spec)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        if a.fastopen:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 64)  # accept data in the SYN (queue length)
        s.listen(128)
        t = threading.Thread(target=serve, args=(s, spec, ctx, log, lock), daemon=True)
        t.start()
        threads.append(t)
    print("listening", " ".join(a.addrs), flush=True)
    for t in threads:
        t.join()

if __name__ == "__main__":
    sys.exit(main())
