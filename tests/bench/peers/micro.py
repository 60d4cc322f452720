#!/usr/bin/env python3
"""tests/bench/peers/micro.py OUT.csv BENCH.json... — benchmark reporting (no measuring): the median CPU time of
each Google Benchmark (the single run with one repetition) in the JSON files, with the issue-8 target it is compared against (none for some). Prints a
table and writes OUT.csv (name,cpu_ns,real_ns,target_ns,ratio)."""
import csv
import json
import re
import sys

# (pattern on the benchmark name, target in ns, what the target says)
TARGETS = [
    (r"^BM_SniExtraction/", 200, "SNI parse <= 200 ns"),
    (r"^BM_(HostIndex\w+|Match\w+)/100000$", 100, "route match <= 100 ns at 100k names"),
    (r"^BM_Compile/1000/100$", 100e6, "compile 100k CIDRs well under 100 ms"),
]
UNIT = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def main():
    rows = []
    for path in sys.argv[2:]:
        benches = json.load(open(path))["benchmarks"]
        medians = [b for b in benches if b.get("aggregate_name") == "median"]
        for b in medians or [b for b in benches if b.get("run_type") == "iteration"]:  # 1 repetition: no median
            name = b["run_name"]
            scale = UNIT[b.get("time_unit", "ns")]
            target = next(((t, what) for pat, t, what in TARGETS if re.search(pat, name)), (None, ""))
            cpu = b["cpu_time"] * scale
            rows.append([name, cpu, b["real_time"] * scale, target[0], cpu / target[0] if target[0] else None,
                         target[1]])
    with open(sys.argv[1], "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "cpu_ns", "real_ns", "target_ns", "ratio", "target"])
        for r in rows:
            w.writerow(["%.6g" % v if isinstance(v, float) else ("" if v is None else v) for v in r])
    print("%-40s %12s %12s %10s %8s" % ("benchmark", "CPU ns", "wall ns", "target", "x target"))
    for name, cpu, real, t, ratio, _ in rows:
        print("%-40s %12.1f %12.1f %10s %8s" % (name, cpu, real, "%g" % t if t else "-",
                                                "%.2f" % ratio if ratio else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
