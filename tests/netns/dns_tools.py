#!/usr/bin/env python3
"""tests/netns/dns_tools.py — stdlib-only DNS and NFQUEUE helpers for tests/netns/dns_queue.sh.

  dns_tools.py query SERVER NAME udp|tcp [TIMEOUT_S]
      one A query; prints "ok ADDR[,ADDR...] MS" or "timeout MS" / "error:WHAT MS"
  dns_tools.py listen QUEUE DELAY_MS
      binds NFQUEUE QUEUE (copy the packet), and for every packet prints "SRC udp|tcp" (flushed), waits DELAY_MS and
      accepts it. Runs until killed. A tiny stand-in for the enforcer's DNS queue reader: it proves an answer was
      held in the queue (the client's answer arrives no sooner than DELAY_MS).
"""
import random, socket, struct, sys, time


def build_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)  # A, IN


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def answers(msg):
    qd, an = struct.unpack("!HH", msg[4:8])
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return out


def query(server, name, proto, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    qid = random.randrange(65536)
    q = build_query(name, qid)
    start = time.monotonic()
    ms = lambda: int((time.monotonic() - start) * 1000)
    try:
        if proto == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(timeout)
            s.sendto(q, (server, 53))
            msg = s.recv(4096)
        else:
            s = socket.create_connection((server, 53), timeout=timeout)
            s.settimeout(timeout)
            s.sendall(struct.pack("!H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            msg = buf[2:]
    except socket.timeout:
        return "timeout %d" % ms()
    except OSError as e:
        return "error:%s %d" % (e.__class__.__name__, ms())
    if len(msg) < 12 or struct.unpack("!H", msg[:2])[0] != qid:
        return "error:bad-answer %d" % ms()
    return "ok %s %d" % (",".join(answers(msg)) or "-", ms())


# nfnetlink_queue (include/uapi/linux/netfilter/nfnetlink_queue.h)
NETLINK_NETFILTER, NFNL_SUBSYS_QUEUE = 12, 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQNL_CFG_CMD_BIND, NFQNL_COPY_PACKET = 1, 2, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR, NF_ACCEPT = 1, 4, 2, 1


def nla(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def nfq_msg(mtype, queue, attrs, seq, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body


def attrs_of(data):
    out, i = {}, 0
    while i + 4 <= len(data):
        n, t = struct.unpack("=HH", data[i:i + 4])
        if n < 4:
            break
        out[t & 0x3FFF] = data[i + 4:i + n]
        i += (n + 3) & ~3
    return out


def listen(queue, delay_ms):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    s.send(nfq_msg(NFQNL_MSG_CONFIG, queue, nla(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0)), 1,
                   NLM_F_REQUEST | NLM_F_ACK))
    s.send(nfq_msg(NFQNL_MSG_CONFIG, queue, nla(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, NFQNL_COPY_PACKET)), 2,
                   NLM_F_REQUEST | NLM_F_ACK))
    print("listening %d" % queue, flush=True)
    seq = 3
    while True:
        buf = s.recv(65536)
        i = 0
        while i + 16 <= len(buf):
            n, mtype, _flags, _seq, _pid = struct.unpack("=IHHII", buf[i:i + 16])
            if n < 16:
                break
            if mtype == NLMSG_ERROR:
                err = struct.unpack("=i", buf[i + 16:i + 20])[0]
                if err != 0:
                    sys.exit("nfqueue config failed: errno %d" % -err)
            elif mtype & 0xFF == NFQNL_MSG_PACKET:
                a = attrs_of(buf[i + 20:i + n])
                pid = struct.unpack("!I", a[NFQA_PACKET_HDR][:4])[0]
                pkt = a.get(NFQA_PAYLOAD, b"")
                if pkt and pkt[0] >> 4 == 6:
                    src, proto = socket.inet_ntop(socket.AF_INET6, pkt[8:24]), pkt[6]
                else:
                    src, proto = socket.inet_ntoa(pkt[12:16]), pkt[9]
                print("%s %s" % (src, {6: "tcp", 17: "udp"}.get(proto, str(proto))), flush=True)
                time.sleep(delay_ms / 1000)
                s.send(nfq_msg(NFQNL_MSG_VERDICT, queue, nla(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, pid)),
                               seq))
                seq += 1
            i += (n + 3) & ~3


if __name__ == "__main__":
    if sys.argv[1] == "query":
        print(query(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]) if len(sys.argv) > 5 else 2.0))
    elif sys.argv[1] == "listen":
        listen(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
