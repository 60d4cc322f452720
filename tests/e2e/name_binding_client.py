#!/usr/bin/env python3
"""tests/e2e/name_binding_client.py PREFIX COUNT PORT — issue 17's race test, run in the pod: COUNT times, resolve
a fresh name PREFIX<i>... through the pod's resolver (getaddrinfo: resolv.conf, no hosts entry) and at once connect
to the first address and complete a TLS handshake with that name as SNI (certificate not verified: the server's
is self-signed). Prints "ok N" / "fail N name error" per attempt and "total OK/COUNT"; exit 0 when all passed."""
import socket
import ssl
import sys


def main():
    prefix, count, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ok = 0
    for i in range(count):
        name = "n%d%s" % (i, prefix)
        try:
            addr = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
            with socket.create_connection(addr, timeout=3) as s:
                with ctx.wrap_socket(s, server_hostname=name):
                    pass
            ok += 1
        except Exception as e:  # noqa: BLE001 - a test client reports and goes on
            print("fail %d %s %r" % (i, name, e), flush=True)
    print("total %d/%d" % (ok, count), flush=True)
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
