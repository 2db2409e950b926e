#!/usr/bin/python3
"""Turns the benchmark binaries' JSON lines into docs/benchmarks tables and plots.

usage: tools/bench_report.py RESULTS.jsonl OUT_DIR
Writes OUT_DIR/results.md (one table per protocol: wall time, CPU per player, bytes and rounds per
player next to the theoretical cost) and PNG plots (time and bytes per protocol and workload; time as
the batch grows) with matplotlib (Debian's python3-matplotlib).
"""
import collections
import json
import os
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def label(r):
    p = r.get("params", {})
    extra = ", ".join(f"{k}={v}" for k, v in p.items())
    return f"{r['workload']} ({extra})" if extra else r["workload"]


def fmt_bytes(b):
    for unit in ["B", "KB", "MB", "GB"]:
        if b < 1000:
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.2f} {unit}"
        b /= 1000.0
    return f"{b:.2f} TB"


def table(rows):
    out = []
    by_proto = collections.OrderedDict()
    for r in rows:
        by_proto.setdefault(r["protocol"], []).append(r)
    for proto, rs in by_proto.items():
        out.append(f"\n### {proto}\n")
        out.append("| workload | wall | LAN | WAN | player | CPU s | bytes sent | theory | rounds | theory |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in rs:
            first = True
            for p in r["players"]:
                th_b = p.get("theory_bytes")
                th_r = p.get("theory_rounds")
                lan = r.get("lan_s")
                wan = r.get("wan_s")
                out.append("| {} | {} | {} | {} | {} | {:.4f} | {} | {} | {} | {} |".format(
                    label(r) if first else "",
                    f"{r['wall_s'] * 1000:.2f} ms" if first else "",
                    f"{lan * 1000:.1f} ms" if first and lan is not None else "",
                    f"{wan * 1000:.1f} ms" if first and wan is not None else "",
                    p["name"], p["cpu_s"], fmt_bytes(p["bytes_sent"]),
                    fmt_bytes(th_b) if th_b is not None else "", p["rounds"],
                    f"{th_r:.0f}" if th_r is not None else ""))
                first = False
    return "\n".join(out)


def plots(rows, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (apt-get install python3-matplotlib): no plots", file=sys.stderr)
        return []
    made = []
    workloads = []
    for r in rows:
        if label(r) not in workloads:
            workloads.append(label(r))
    protocols = []
    for r in rows:
        if r["protocol"] not in protocols:
            protocols.append(r["protocol"])
    index = {(label(r), r["protocol"]): r for r in rows}
    for metric, title, fn in [("wall_s", "wall time (s)", "time.png"), ("bytes", "bytes sent by the busiest player", "bytes.png")]:
        fig, ax = plt.subplots(figsize=(max(8, len(workloads) * 0.9), 5))
        width = 0.8 / max(1, len(protocols))
        for i, proto in enumerate(protocols):
            ys = []
            for w in workloads:
                r = index.get((w, proto))
                if r is None:
                    ys.append(0)
                elif metric == "wall_s":
                    ys.append(r["wall_s"])
                else:
                    ys.append(max(p["bytes_sent"] for p in r["players"]))
            ax.bar([x + i * width for x in range(len(workloads))], ys, width, label=proto)
        ax.set_yscale("log")
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(workloads))])
        ax.set_xticklabels(workloads, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel(title)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, fn), dpi=110)
        plt.close(fig)
        made.append(fn)
    # time as the batch grows (workloads with a "batch" parameter)
    series = collections.defaultdict(list)
    for r in rows:
        b = r.get("params", {}).get("batch")
        if b is not None:
            series[(r["workload"], r["protocol"])].append((int(b), r["wall_s"]))
    if series:
        fig, ax = plt.subplots(figsize=(7, 5))
        for (w, proto), pts in sorted(series.items()):
            pts.sort()
            if len(pts) > 1:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{w} / {proto}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch")
        ax.set_ylabel("wall time (s)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "batch.png"), dpi=110)
        plt.close(fig)
        made.append("batch.png")
    return made


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    rows = load(sys.argv[1])
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    made = plots(rows, out_dir)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("<!-- generated by tools/bench_report.py from " + os.path.basename(sys.argv[1]) + " -->\n")
        f.write(table(rows) + "\n")
        for m in made:
            f.write(f"\n![{m}]({m})\n")
    print(f"wrote {out_dir}/results.md and {len(made)} plots from {len(rows)} runs")


if __name__ == "__main__":
    main()
