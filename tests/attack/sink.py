#!/usr/bin/env python3
"""tests/attack/sink.py — the attack suite's witness in the "internet" namespace: it records every byte it
receives, so a test can ask "did marker M arrive?" (`grep -raF M DIR`, see lib.sh's arrived()).

usage: sink.py --dir DIR [--tcp ADDR:PORT[/MODE]]... [--udp ADDR:PORT]... [--icmp] [--host-witness]
  --tcp   a TCP listener (IPv6 as [addr]:port). MODE http (default): a plain HTTP/1.1 keep-alive server
          (Content-Length and chunked bodies, SO_OOBINLINE off, `Upgrade` answered with 200, never 101) that
          answers `200 ok HOST PATH` to each request and appends "HOST PATH" to DIR/requests.log.
          MODE rst: read once, then close with SO_LINGER 0 (the client's connection is reset by the server).
  --udp   a UDP listener; every datagram is appended to DIR/udp-ADDR-PORT.bin
  --host-witness  raw TCP and UDP sockets (IPv4, IPv6): every TCP segment and UDP datagram the namespace
          receives, also those no socket takes (data on a reset, in a SYN, to a closed port), is appended to
          DIR/host-tcp4.bin, host-tcp6.bin, host-udp4.bin, host-udp6.bin
  --icmp  raw ICMP and ICMPv6 sockets: every ICMP/ICMPv6 message the namespace receives (echo, neighbour
          discovery, ...) is appended to DIR/icmp4.bin / DIR/icmp6.bin (ICMPv6: with the contents of its
          hop-by-hop and destination options headers)
Every TCP connection's bytes go to their own file DIR/tcp-ADDR-PORT-N.bin, appended as they arrive (a marker split
over segments is still found). Files are written unbuffered before anything is answered.
"""
import argparse, itertools, os, socket, struct, threading

counter = itertools.count()
lock = threading.Lock()


def parse_addr(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def append(path, data):
    with lock:
        with open(path, "ab", buffering=0) as f:
            f.write(data)


class HttpParser:
    """Just enough HTTP/1.1 server framing: heads, Content-Length and chunked bodies, keep-alive."""

    def __init__(self, reqlog):
        self.buf = b""
        self.reqlog = reqlog
        self.state = "head"
        self.need = 0

    def feed(self, data):
        """Returns the number of complete requests seen in data (each gets one response)."""
        self.buf += data
        done = 0
        while True:
            if self.state == "head":
                if b"\r\n\r\n" not in self.buf:
                    return done
                head, self.buf = self.buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                while lines and lines[0] == "":
                    lines.pop(0)
                parts = (lines[0] if lines else "").split(" ")
                path = parts[1] if len(parts) > 1 else "?"
                host, length, chunked = "", 0, False
                for l in lines[1:]:
                    k, _, v = l.partition(":")
                    k, v = k.strip().lower(), v.strip()
                    if k == "host":
                        host = v
                    elif k == "content-length":
                        try:
                            length = int(v)
                        except ValueError:
                            length = 0
                    elif k == "transfer-encoding" and "chunked" in v.lower():
                        chunked = True
                append(self.reqlog, ("%s %s\n" % (host, path)).encode("latin-1"))
                done += 1
                if chunked:
                    self.state = "chunk-size"
                elif length:
                    self.state, self.need = "body", length
            elif self.state == "body":
                if len(self.buf) < self.need:
                    self.need -= len(self.buf)
                    self.buf = b""
                    return done
                self.buf = self.buf[self.need:]
                self.state = "head"
            elif self.state == "chunk-size":
                if b"\r\n" not in self.buf:
                    return done
                line, self.buf = self.buf.split(b"\r\n", 1)
                try:
                    n = int(line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    n = 0
                self.state, self.need = ("chunk-data", n + 2) if n else ("trailer", 0)
            elif self.state == "chunk-data":
                if len(self.buf) < self.need:
                    self.need -= len(self.buf)
                    self.buf = b""
                    return done
                self.buf = self.buf[self.need:]
                self.state = "chunk-size"
            elif self.state == "trailer":
                if b"\r\n" not in self.buf:
                    return done
                line, self.buf = self.buf.split(b"\r\n", 1)
                if line == b"":
                    self.state = "head"


def handle(conn, name, mode, d):
    path = os.path.join(d, "tcp-%s-%d.bin" % (name, next(counter)))
    open(path, "ab").close()
    parser = HttpParser(os.path.join(d, "requests.log"))
    try:
        conn.settimeout(20)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            append(path, data)
            if mode == "rst":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            for _ in range(parser.feed(data)):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(spec, d):
    mode = "http"
    if "/" in spec:
        spec, mode = spec.split("/", 1)
    host, port = parse_addr(spec)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn, "%s-%d" % (host, port), mode, d), daemon=True).start()
    return loop


def serve_udp(spec, d):
    host, port = parse_addr(spec)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    path = os.path.join(d, "udp-%s-%d.bin" % (host, port))

    def loop():
        while True:
            append(path, s.recv(65536) + b"\n")
    return loop


def serve_raw(family, proto, name, d):
    s = socket.socket(family, socket.SOCK_RAW, proto)
    if family == socket.AF_INET6:  # an ICMPv6 socket gets the message only: ask for the options headers too
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPOPTS, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVDSTOPTS, 1)
    path = os.path.join(d, name)

    def loop():
        while True:
            data, anc, _, _ = s.recvmsg(65536, 8192)
            append(path, data + b"".join(c[2] for c in anc) + b"\n")
    return loop


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tcp", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    ap.add_argument("--icmp", action="store_true")
    ap.add_argument("--host-witness", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    loops = [serve_tcp(s, a.dir) for s in a.tcp] + [serve_udp(s, a.dir) for s in a.udp]
    if a.icmp:
        loops.append(serve_raw(socket.AF_INET, socket.IPPROTO_ICMP, "icmp4.bin", a.dir))
        loops.append(serve_raw(socket.AF_INET6, socket.IPPROTO_ICMPV6, "icmp6.bin", a.dir))
    if a.host_witness:
        for proto, name in ((socket.IPPROTO_TCP, "tcp"), (socket.IPPROTO_UDP, "udp")):
            loops.append(serve_raw(socket.AF_INET, proto, "host-%s4.bin" % name, a.dir))
            loops.append(serve_raw(socket.AF_INET6, proto, "host-%s6.bin" % name, a.dir))
    threads = [threading.Thread(target=l, daemon=True) for l in loops]
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
