#!/usr/bin/env python3
"""tests/netns/node_client.py — node/gateway tests' ordinary client: one HTTP/1.1 GET from a chosen source address
(a client namespace holds more than one), printing one line: `response <status line>`, `reset`, `refused`,
`timeout` or `error <text>`. The path carries the test's marker, so the server's records say whether it arrived.

usage: node_client.py SRC DST PORT HOST PATH
Test code only."""
import socket, sys

src, dst, port, host, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.bind((src, 0))
    s.connect((dst, port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    data = b""
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    print("response " + data.split(b"\r\n")[0].decode(errors="replace") if data else "reset")
except ConnectionRefusedError:
    print("refused")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("error %s" % e)
