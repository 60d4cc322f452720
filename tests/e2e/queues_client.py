#!/usr/bin/env python3
"""tests/e2e/queues_client.py — the client of e2e_queues_threads (issue 19): many connections at once from the pod,
each from its own source port, of four kinds, and one JSON line per connection saying what the wire did:
  tls_ok    TLS to allowed.example:443 (SNI allowed.example), GET /get: expects the server's `ok allowed.example`
  tls_deny  TLS to denied.example:443 (SNI denied.example): expects the handshake to fail (the enforcer resets)
  http_ok   HTTP to allowed.example:80, GET /get/N: expects `ok allowed.example`
  http_deny HTTP to denied.example:80: expects the enforcer's `403 traffic not allowed`
Connection N leaves from the Nth of the SOURCES (round robin, default the pod's own address): the kernel's NFQUEUE
balancing hashes the address pair (not the ports), so several sources spread the connections over the queues.
Output lines: {"kind": K, "src": "ADDR:PORT", "ok": true|false, "detail": "..."}.

usage: queues_client.py CA_CERT TLS_OK TLS_DENY HTTP_OK HTTP_DENY [THREADS [SOURCE,SOURCE...]]
"""
import concurrent.futures, json, socket, ssl, sys

ADDR = {"allowed.example": "203.0.113.10", "denied.example": "203.0.113.20"}


def connect(host, port, source):
    return socket.create_connection((ADDR[host], port), timeout=8, source_address=(source, 0) if source else None)


def read_all(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if length and len(body) >= int(length[0].split(b":")[1]):
                break
    return data


def one(kind, i, ca, source):
    host = "denied.example" if kind.endswith("deny") else "allowed.example"
    sport, ok, detail = "", False, ""
    try:
        s = connect(host, 443 if kind.startswith("tls") else 80, source)
        sport = "%s:%d" % s.getsockname()[:2]
        req = ("GET /get/%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (i, host)).encode()
        if kind.startswith("tls"):
            ctx = ssl.create_default_context(cafile=ca)
            try:
                t = ctx.wrap_socket(s, server_hostname=host)
            except (ssl.SSLError, OSError) as e:
                detail = "handshake failed: %s" % e.__class__.__name__
                ok = kind == "tls_deny"
                s.close()
                return {"kind": kind, "src": sport, "ok": ok, "detail": detail}
            t.sendall(req)
            data = read_all(t)
            t.close()
        else:
            s.sendall(req)
            data = read_all(s)
            s.close()
        body = data.partition(b"\r\n\r\n")[2].decode(errors="replace")
        detail = body.strip()[:60]
        if kind == "http_deny":
            ok = data.startswith(b"HTTP/1.1 403") and "traffic not allowed" in body
        else:
            ok = kind.endswith("_ok") and body.startswith("ok allowed.example")
    except OSError as e:
        detail = "%s: %s" % (e.__class__.__name__, e)
    return {"kind": kind, "src": sport, "ok": ok, "detail": detail}


def main():
    ca = sys.argv[1]
    counts = dict(zip(["tls_ok", "tls_deny", "http_ok", "http_deny"], map(int, sys.argv[2:6])))
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 16
    sources = sys.argv[7].split(",") if len(sys.argv) > 7 else [None]
    jobs = [(k, i) for k, n in counts.items() for i in range(n)]
    jobs = [jobs[j] for j in sorted(range(len(jobs)), key=lambda j: (j * 7919) % len(jobs))]  # kinds mixed
    jobs = [(k, i, sources[n % len(sources)]) for n, (k, i) in enumerate(jobs)]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for r in pool.map(lambda j: one(j[0], j[1], ca, j[2]), jobs):
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
