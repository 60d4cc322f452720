#!/usr/bin/env python3
"""tests/netns/guard_tools.py — real sockets for tests/netns/init_guard.sh (the kernel mechanics of issue 16).

  guard_tools.py sink LOG ADDR:PORT...        UDP and TCP listener on each ADDR:PORT; appends one line per datagram
                                              or TCP read to LOG: `udp|tcp PORT PAYLOAD` (payload decoded latin-1)
  guard_tools.py frame IFACE DSTMAC SRC DST DPORT MARKER [--sport N] [--ethdst MAC]
                                              writes ONE Ethernet frame (IPv4/UDP, MARKER as payload) to an AF_PACKET
                                              socket on IFACE: the IP stack, and so the inet output hook, never sees
                                              it. Needs CAP_NET_RAW only. Prints `sent BYTES` or `error:ERRNO`
  guard_tools.py reuse-server ADDR PORT LOG   TCP server: logs every read (`conn N PAYLOAD`); a connection whose
                                              first bytes are `first` is reset (SO_LINGER 0) after reading them
  guard_tools.py reuse-client SRC SPORT DST PORT MARK MARKER
                                              connection 1 from SRC:SPORT; sets its conntrack mark to MARK (conntrack -U,
                                              as the enforcer's ALLOW), sends `first`, waits for the server's reset;
                                              connection 2 from the same SRC:SPORT (conntrack reuses the CLOSE entry),
                                              prints the ct mark after its handshake (`mark-after-syn 0x...`), sends
                                              MARKER. Prints `done`
Always exits 0 after printing (the shell asserts on what the server logged).
"""
import errno, os, socket, struct, subprocess, sys, threading, time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def frame(iface, dstmac, src, dst, dport, marker, sport=40000, ethdst=None):
    payload = marker.encode()
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    srcmac = s.getsockname()[4][:6] if len(s.getsockname()) > 4 else b"\0" * 6
    eth = mac(ethdst or dstmac) + srcmac + struct.pack("!H", 0x0800)
    try:
        n = s.send(eth + ip + udp)
        print("sent", n)
    except OSError as e:
        print("error:" + errno.errorcode.get(e.errno, str(e.errno)))


def sink(log, specs):
    lock = threading.Lock()

    def write(line):
        with lock, open(log, "a") as f:
            f.write(line + "\n")

    def udp(addr, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            data, _ = s.recvfrom(65535)
            write("udp %d %s" % (port, data.decode("latin-1")))

    def tcp(addr, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        while True:
            c, _ = s.accept()
            threading.Thread(target=reader, args=(c, port), daemon=True).start()

    def reader(c, port):
        while True:
            try:
                data = c.recv(65535)
            except OSError:
                return
            if not data:
                return
            write("tcp %d %s" % (port, data.decode("latin-1")))

    for spec in specs:
        addr, port = spec.rsplit(":", 1)
        for fn in (udp, tcp):
            threading.Thread(target=fn, args=(addr, int(port)), daemon=True).start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


def reuse_server(addr, port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(4)
    lock = threading.Lock()

    # One thread per connection: a connection whose bytes never come (a blocked first flight) must not keep the
    # next one from its reset (the client would close first, and conntrack re-create the entry it should reuse).
    def serve(c, n):
        c.settimeout(5)
        try:
            while True:
                data = c.recv(65535)
                if not data:
                    break
                with lock, open(log, "a") as f:
                    f.write("conn %d %s\n" % (n, data.decode("latin-1")))
                if data.startswith(b"first"):
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break  # close below: a reset from the server, the entry goes to CLOSE
        except OSError:
            pass
        c.close()

    n = 0
    while True:
        c, _ = s.accept()
        n += 1
        threading.Thread(target=serve, args=(c, n), daemon=True).start()


def ct_mark(src, sport):
    out = subprocess.run(["conntrack", "-L", "-p", "tcp", "-s", src, "--sport", str(sport)],
                         capture_output=True, text=True).stdout
    for word in out.split():
        if word.startswith("mark="):
            return int(word[5:])
    return None


def reuse_client(src, sport, dst, port, mark, marker):
    def connect():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, int(sport)))
        s.settimeout(3)
        s.connect((dst, int(port)))
        return s

    s = connect()
    subprocess.run(["conntrack", "-U", "-p", "tcp", "-s", src, "--sport", sport, "-d", dst, "--dport", port,
                    "--mark", mark], capture_output=True)
    print("mark-before", hex(ct_mark(src, sport) or 0))
    s.sendall(b"first")
    try:
        s.recv(100)  # the server's reset
    except OSError:
        pass
    s.close()
    time.sleep(0.2)
    out = subprocess.run(["conntrack", "-L", "-p", "tcp", "-s", src, "--sport", sport], capture_output=True,
                         text=True).stdout
    print("entry-after-reset", "CLOSE" if "CLOSE" in out else out.strip().replace("\n", " | "))
    try:
        s = connect()
    except OSError as e:
        print("reconnect-error", e)
        print("done")
        return
    print("mark-after-syn", hex(ct_mark(src, sport) or 0))
    try:
        s.sendall(marker.encode())
    except OSError:
        pass
    time.sleep(1.5)
    s.close()
    print("done")


def main(argv):
    cmd = argv[1]
    if cmd == "sink":
        sink(argv[2], argv[3:])
    elif cmd == "frame":
        opts = argv[8:]
        sport = int(opts[opts.index("--sport") + 1]) if "--sport" in opts else 40000
        ethdst = opts[opts.index("--ethdst") + 1] if "--ethdst" in opts else None
        frame(argv[2], argv[3], argv[4], argv[5], int(argv[6]), argv[7], sport, ethdst)
    elif cmd == "reuse-server":
        reuse_server(*argv[2:5])
    elif cmd == "reuse-client":
        reuse_client(*argv[2:8])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
