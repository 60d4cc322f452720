#!/usr/bin/env python3
"""tests/netns/probe.py — one real socket per call, for the namespace tests of what the kernel decides alone.

  probe.py tcp ADDR PORT [TIMEOUT]   connect; prints `connected|refused|timeout|error:ERRNO MS` (MS = elapsed ms)
  probe.py udp ADDR PORT [TIMEOUT]   send one datagram, wait for the echo; prints `reply|noreply|error:ERRNO MS`
                                     (a datagram dropped in OUTPUT makes sendto fail with EPERM: error:EPERM)
  probe.py udp-echo LOG ADDR:PORT... a UDP echo server; appends `ADDR:PORT BYTES` to LOG per datagram received
Always exits 0 after printing (the test asserts on the word); IPv6 addresses without brackets.
"""
import errno, socket, sys, threading, time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp(addr, port, timeout):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.connect((addr, port))
        word = "connected"
    except ConnectionRefusedError:
        word = "refused"
    except socket.timeout:
        word = "timeout"
    except OSError as e:
        word = "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
    return word, time.monotonic() - t0


def udp(addr, port, timeout):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.sendto(b"nfegress-udp-probe", (addr, port))
        s.recvfrom(2048)
        word = "reply"
    except socket.timeout:
        word = "noreply"
    except OSError as e:
        word = "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
    return word, time.monotonic() - t0


def echo(log, specs):
    lock = threading.Lock()
    out = open(log, "a")

    def serve(spec):
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.bind((host, int(port)))
        while True:
            data, peer = s.recvfrom(65536)
            with lock:
                out.write("%s %d\n" % (spec, len(data)))
                out.flush()
            s.sendto(data, peer)

    threads = [threading.Thread(target=serve, args=(spec,), daemon=True) for spec in specs]
    for t in threads:
        t.start()
    print("listening", " ".join(specs), flush=True)
    for t in threads:
        t.join()


def main():
    mode = sys.argv[1]
    if mode == "udp-echo":
        return echo(sys.argv[2], sys.argv[3:])
    addr, port = sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    word, elapsed = (tcp if mode == "tcp" else udp)(addr, port, timeout)
    print(word, int(elapsed * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
