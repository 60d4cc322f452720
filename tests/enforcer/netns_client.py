#!/usr/bin/env python3
"""tests/enforcer/netns_client.py — crafted clients for the enforcer's namespace tests. Prints one word:
`open` (the server answered / the connection stayed usable) or `reset` (ECONNRESET/refused, or closed unanswered).

  netns_client.py hello ADDR PORT FILE SPLIT...   send a TLS first flight in segments at the given offsets
  netns_client.py records ADDR PORT FILE SIZES... re-frame the ClientHello into TLS records of these sizes
  netns_client.py keepalive ADDR PORT HOST PATH... one HTTP/1.1 connection, one request per path, in turn
"""
import socket, sys, time

def connect(addr, port):
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def send_segments(s, data, cuts):
    prev = 0
    for c in list(cuts) + [len(data)]:
        if c > prev:
            s.sendall(data[prev:c])
            time.sleep(0.05)  # separate segments on the wire
        prev = c

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
        s = connect(addr, port)
    except (ConnectionResetError, ConnectionRefusedError):
        print("reset")
        return
    if mode in ("hello", "records"):
        data = open(sys.argv[4], "rb").read()
        nums = [int(x) for x in sys.argv[5:]]
        if mode == "records":
            data, nums = rerecord(data, nums), [len(data) // 3, 2 * len(data) // 3]
        try:
            send_segments(s, data, nums)
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
            results.append("open" if data.startswith(b"HTTP/1.1 200") else "reset")
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            results.append("reset")
    print(" ".join(results))

main()
