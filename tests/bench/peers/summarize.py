#!/usr/bin/env python3
"""tests/bench/peers/summarize.py RAW OUT GROUP KEY BASELINE METRIC... — benchmark reporting (no measuring, no
decisions): medians of repeated runs and their ratio to the baseline of the same run, for tests/bench/peers.sh.

RAW is a CSV with a header (one line per run). Rows are grouped by the GROUP column ("-" for none) and the KEY
column; each METRIC's median is divided by the median of the row whose KEY is BASELINE in the same group. A
metric "cpu_s" is user_s + sys_s. Prints a table; writes OUT (group,key,runs,<metric>,<metric>_ratio...) for the
plots.
"""
import csv
import statistics
import sys
from collections import OrderedDict


def value(row, metric):
    if metric == "cpu_s" and "cpu_s" not in row:
        return float(row["user_s"]) + float(row["sys_s"])
    return float(row[metric])


def num(v):
    return "%14.0f" % v if abs(v) >= 1000 else "%14.4g" % v


def main():
    raw, out, group, key, baseline = sys.argv[1:6]
    metrics = sys.argv[6:]
    runs = OrderedDict()
    with open(raw) as f:
        for row in csv.DictReader(f):
            g = row[group] if group != "-" else "-"
            runs.setdefault((g, row[key]), []).append({m: value(row, m) for m in metrics})
    med = {k: {m: statistics.median(r[m] for r in rs) for m in metrics} for k, rs in runs.items()}
    head = ["group", "key", "runs"] + [c for m in metrics for c in (m, m + "_ratio")]
    rows = []
    for (g, k), m in med.items():
        base = med.get((g, baseline))
        ratios = [m[x] / base[x] if base and base[x] else float("nan") for x in metrics]
        rows.append([g, k, len(runs[(g, k)])] + [v for pair in zip([m[x] for x in metrics], ratios) for v in pair])
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        for r in rows:
            w.writerow([("%.6g" % v) if isinstance(v, float) else v for v in r])
    width = max(len(str(r[1])) for r in rows) + 2
    print(("%-10s %-" + str(width) + "s %4s") % (group if group != "-" else "", key, "runs") +
          "".join(" %14s %7s" % (m, "x " + baseline[:5]) for m in metrics))
    for r in rows:
        cells = "".join(" %s %7.3f" % (num(r[3 + 2 * i]), r[4 + 2 * i]) for i in range(len(metrics)))
        print(("%-10s %-" + str(width) + "s %4d") % (r[0] if group != "-" else "", r[1], r[2]) + cells)
    return 0


if __name__ == "__main__":
    sys.exit(main())
