#!/usr/bin/env python3
"""tests/enforcer/netns_client.py — crafted clients for the enforcer's namespace tests. Prints one word:
`open` (the server answered / the connection stayed usable) or `reset` (ECONNRESET/refused, or closed unanswered).

  netns_client.py hello ADDR PORT FILE MSS        send a TLS first flight in one write, segments of MSS bytes
  netns_client.py records ADDR PORT FILE MSS SIZES... the same, the ClientHello re-framed into records of SIZES

The flight goes out in ONE write, split by a small MSS: a client that writes it in several small writes is held
back by its own kernel (Nagle, autocorking) while the enforcer holds the first segments (docs/architecture.md).
  netns_client.py keepalive ADDR PORT HOST PATH... one HTTP/1.1 connection, one request per path, in turn
                                                    (a word each: open = 200, 403, or reset)
"""
import socket, sys

def connect(addr, port, mss=None):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.settimeout(5)
    s.connect((addr, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def outcome(s):
    try:
        data = s.recv(1)
        return "open" if data else "reset"
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"

def rerecord(hello, sizes):
    hs = hello[5:5 + int.from_bytes(hello[3:5], "big")]
    out, pos, i = b"", 0, 0
    while pos < len(hs):
        n = sizes[i] if i < len(sizes) else len(hs) - pos
        i += 1
        out += bytes([22, 3, 1]) + min(n, len(hs) - pos).to_bytes(2, "big") + hs[pos:pos + n]
        pos += n
    return out

def main():
    mode, addr, port = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        s = connect(addr, port, int(sys.argv[5]) if mode in ("hello", "records") else None)
    except (ConnectionResetError, ConnectionRefusedError):
        print("reset")
        return
    if mode in ("hello", "records"):
        data = open(sys.argv[4], "rb").read()
        if mode == "records":
            data = rerecord(data, [int(x) for x in sys.argv[6:]])
        try:
            s.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            print("reset")
            return
        print(outcome(s))
        return
    host, results = sys.argv[4], []
    for path in sys.argv[5:]:
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode())
            data = s.recv(4096)
            results.append("open" if data.startswith(b"HTTP/1.1 200") else
                           "403" if data.startswith(b"HTTP/1.1 403") else "reset")
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            results.append("reset")
    print(" ".join(results))

main()
