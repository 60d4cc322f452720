#!/usr/bin/env python3
"""tests/bench/peers/report.py OUT_DIR [PART...] — benchmark reporting (no measuring): the Markdown tables of
docs/performance.md "Against the peers" from the summary CSVs tests/bench/peers.sh wrote (parts not run are
left out). Prints to stdout."""
import csv
import os
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def f(v, digits=3):
    v = float(v)
    if v >= 100:
        return "%.0f" % v
    return ("%." + str(digits) + "g") % v


def program(out):
    for name, title in (("program", "full load"), ("program_change", "one network's 100 prefixes move"),
                        ("program_blocklist", "blocklist shape: random overlapping public IPv4 /12../32, full load")):
        rs = rows(os.path.join(out, name + ".csv"))
        if not rs:
            continue
        print("\n%s (medians; x nft = ratio to `nft -f` at the same size, < 1 is faster):\n" % (title[0].upper() + title[1:]))
        print("| CIDRs | tool | runs | wall | x nft | CPU | x nft | peak RSS | x nft |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rs:
            print("| %s | %s | %s | %s s | %s | %s s | %s | %s MB | %s |" % (
                "{:,}".format(int(r["group"])), r["key"], r["runs"], f(r["wall_s"]), f(r["wall_s_ratio"], 2),
                f(r["cpu_s"]), f(r["cpu_s_ratio"], 2), f(float(r["rss_kb"]) / 1024), f(r["rss_kb_ratio"], 2)))


def throughput(out):
    rs = rows(os.path.join(out, "throughput.csv"))
    if rs:
        print("\n| case | runs | Gbit/s | x none |\n|---|---|---|---|")
        for r in rs:
            print("| %s | %s | %s | %s |" % (r["key"], r["runs"], f(r["gbps"]), f(r["gbps_ratio"], 3)))


def tls(out):
    rs = rows(os.path.join(out, "tls.csv"))
    if rs:
        print("\n| clients | case | runs | conn/s | x none | p50 | x none | p99 | x none |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in sorted(rs, key=lambda r: int(r["group"])):
            print("| %s | %s | %s | %s | %s | %s ms | %s | %s ms | %s |" % (
                r["group"], r["key"], r["runs"], f(r["conn_per_s"]), f(r["conn_per_s_ratio"], 2), f(r["p50_ms"]),
                f(r["p50_ms_ratio"], 2), f(r["p99_ms"]), f(r["p99_ms_ratio"], 2)))
    rs = rows(os.path.join(out, "tls_helper.csv"))
    if rs:
        print("\nCPU time (user + sys) of the userspace helper per connection, start-up excluded:\n")
        print("| helper | runs | CPU per connection | x nfq |\n|---|---|---|---|")
        for r in rs:
            name = {"inspect": "`nfegress enforce`", "nfq": "`bench_nfq_accept`"}.get(r["key"], r["key"])
            print("| %s | %s | %s µs | %s |" % (name, r["runs"], f(r["us_per_conn"]), f(r["us_per_conn_ratio"], 2)))


def keepalive(out):
    rs = rows(os.path.join(out, "keepalive.csv"))
    if rs:
        print("\n| protocol | case | runs | requests/s | x none | MiB/s |\n|---|---|---|---|---|---|")
        for r in rs:
            print("| %s | %s | %s | %s | %s | %s |" % (r["group"], r["key"], r["runs"], f(r["req_per_s"]),
                                                   f(r["req_per_s_ratio"], 2), f(r["mib_per_s"]) if float(r.get("mib_per_s") or 0) else "-"))
    rs = rows(os.path.join(out, "ka_helper.csv"))
    if rs:
        print("\nCPU time (user + sys) of `nfegress enforce` per inspected request:\n")
        print("| protocol | runs | CPU per request |\n|---|---|---|")
        for r in rs:
            print("| %s | %s | %s µs |" % (r["key"], r["runs"], f(r["us_per_request"])))


def micro(out):
    rs = rows(os.path.join(out, "micro.csv"))
    if rs:
        print("\n| benchmark | CPU | wall | target | x target |\n|---|---|---|---|---|")
        for r in rs:
            cpu, real = float(r["cpu_ns"]), float(r["real_ns"])
            unit, div = ("ms", 1e6) if cpu >= 1e6 else ("ns", 1)
            target = ("%s %s" % (f(float(r["target_ns"]) / div), unit)) if r["target_ns"] else "-"
            print("| `%s` | %s %s | %s %s | %s | %s |" % (r["name"], f(cpu / div), unit, f(real / div), unit, target,
                                                        f(r["ratio"], 2) if r["ratio"] else "-"))


def main():
    out = sys.argv[1]
    parts = {"program": program, "throughput": throughput, "tls": tls, "keepalive": keepalive, "micro": micro}
    for name in sys.argv[2:] or parts:
        parts[name](out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
