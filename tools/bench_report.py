#!/usr/bin/python3
"""Turns the benchmark binaries' JSON lines into docs/benchmarks.md with its tables and plots.

usage: tools/bench_report.py RESULTS.jsonl OUT_MD PLOT_DIR [MACHINE.json] [ANALYSIS.md]

Writes OUT_MD: the machine, the commands, the issue's targets against the measurements, every micro
workload's measured bytes and rounds next to the theoretical cost (protocol/*/costs.hpp), one results
table per protocol (wall time, LAN and WAN simulated times, CPU, bytes and rounds per player), the
transport round trip, and PNG plots made with matplotlib (Debian's python3-matplotlib) in PLOT_DIR:
time and bytes per protocol and workload, time as the batch grows, and real vs LAN vs WAN time.
ANALYSIS.md (hand-written: why a target is missed and what would close it) is included verbatim.
Every number in OUT_MD comes from RESULTS.jsonl; scripts/bench.sh regenerates both.
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
    b = float(b)
    for unit in ["B", "KB", "MB", "GB"]:
        if b < 1000:
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.2f} {unit}"
        b /= 1000.0
    return f"{b:.2f} TB"


def fmt_s(s):
    if s is None:
        return ""
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def find(rows, protocol, workload, /, **params):
    for r in rows:
        if r.get("protocol") == protocol and r.get("workload") == workload and all(
                str(r.get("params", {}).get(k)) == str(v) for k, v in params.items()):
            return r
    return None


def max_bytes(r):
    return max(p["bytes_sent"] for p in r["players"]) if r and r["players"] else None


def max_cpu(r):
    return max(p["cpu_s"] for p in r["players"]) if r and r["players"] else None


# ---- targets (issue 8): (description, protocol, workload, params, metric, limit, unit) ------------
def targets(rows, matmul_rows, tcp_rows):
    out = ["| target | measured | limit | met |", "|---|---|---|---|"]

    def line(desc, value, limit, shown):
        if value is None:
            out.append(f"| {desc} | not run | {limit[1]} | — |")
            return
        ok = value <= limit[0]
        out.append(f"| {desc} | {shown} | {limit[1]} | {'yes' if ok else '**no** (' + f'{value / limit[0]:.2f}× the limit' + ')'} |")

    def wall(proto, wl, **pa):
        r = find(rows, proto, wl, **pa)
        return r["wall_s"] if r else None

    for desc, proto, wl, pa, lim in [
        ("ABY3 network A inference, batch 100", "aby3", "mlp_inference", {"batch": 100}, 0.015),
        ("ABY3 network A inference, batch 1", "aby3", "mlp_inference", {"batch": 1}, 0.002),
        ("ABY3 ReLU on 10^6 values", "aby3", "relu", {"n": 1000000}, 0.075),
        ("ABY3 sigmoid (3-piece) on 10^5 values", "aby3", "sigmoid_3piece", {"n": 100000}, 0.018),
        ("ABY3 matmul 512×512×512", "aby3", "matmul", {"shape": "512x512x512"}, 0.1),
        ("ABY3 logistic regression epoch, 10,000 × 30, batch 128", "aby3", "logreg_epoch", {"rows": 10000}, 0.05),
        ("ABY3 network A training step, batch 128", "aby3", "mlp_train_step", {"batch": 128}, 0.08),
        ("ABY3 LeNet-style inference, batch 128", "aby3", "cnn_inference", {"batch": 128}, 1.5),
        ("ABY3 LeNet-style training step, batch 128", "aby3", "cnn_train_step", {"batch": 128}, 3.0),
        ("Pond network A inference, batch 100", "pond", "mlp_inference", {"batch": 100}, 0.030),
        ("Pond ReLU on 10^6 values", "pond", "relu", {"n": 1000000}, 0.2),
    ]:
        v = wall(proto, wl, **pa)
        line(desc, v, (lim, fmt_s(lim)), fmt_s(v) if v is not None else "")
    # SecureNN (issue 18): the nonlinear layers, and every network workload within 2x of Pond's time
    for desc, wl, pa, lim in [
        ("SecureNN ReLU on 10^6 values", "relu", {"n": 1000000}, 0.3),
        ("SecureNN max pooling 2×2 on 128×24×24×16 (1.18·10^6 values)", "maxpool2x2", {}, 0.6),
    ]:
        v = wall("securenn", wl, **pa)
        line(desc, v, (lim, fmt_s(lim)), fmt_s(v) if v is not None else "")
    for r in rows:
        if r.get("bench") != "networks" or r["protocol"] != "securenn":
            continue
        base = find(rows, "pond", r["workload"], **r["params"])
        if base and base["wall_s"] > 0:
            ratio = r["wall_s"] / base["wall_s"]
            line(f"SecureNN {label(r)} vs Pond ({fmt_s(r['wall_s'])} vs {fmt_s(base['wall_s'])})", ratio, (2.0, "2×"),
                 f"{ratio:.2f}×")
    r = find(rows, "aby3", "mlp_inference", batch=100)
    b = max_bytes(r)
    line("ABY3 network A batch 100: bytes sent per player (input sharing excluded)", b, (1.2e6, "1.20 MB"),
         fmt_bytes(b) if b is not None else "")
    r = find(rows, "aby3", "relu", n=1000000)
    if r:
        per = max_bytes(r) / 1e6
        line("ABY3 ReLU: bytes per player per value", per, (32, "32 B"), f"{per:.2f} B")
    # theory: every micro workload with a documented cost
    checked = mismatched = 0
    for r in rows:
        if r.get("bench") != "micro":
            continue
        for p in r["players"]:
            if "theory_bytes" in p:
                checked += 1
                if p["theory_bytes"] != p["bytes_sent"] or p["theory_rounds"] != p["rounds"]:
                    mismatched += 1
    if checked:
        out.append(f"| bytes and rounds of every micro workload = theoretical cost | {checked - mismatched}/{checked} "
                   f"player-runs equal | all | {'yes' if mismatched == 0 else '**no**'} |")
    # transport
    raw = {(t["params"].get("pattern"), t["params"].get("bytes")): t for t in tcp_rows if t["workload"] == "raw_tcp"}
    for t in tcp_rows:
        if (t["workload"] in ("channel_plaintext", "channel_tls") and t["params"].get("spin_wait_us", 50) != 0
                and t["params"].get("bytes") == 8):
            ratio = t.get("ratio_to_raw")
            if ratio is not None:
                line(f"loopback round, {t['workload']} {t['params'].get('pattern')} ({t['params'].get('bytes')} B) vs raw TCP "
                     f"({t['us_per_round']:.1f} vs {raw.get(('ping_pong', t['params'].get('bytes')), {}).get('us_per_round', 0):.1f} µs)",
                     ratio, (2.0, "2×"), f"{ratio:.2f}×")
    # secure linear layers vs plaintext integer time per player
    plain = {(m["n"], m["k"], m["m"], m["ring"]): m["seconds"] for m in matmul_rows if m.get("variant") == "tfe_kernel"}
    for proto in ["aby3", "pond", "securenn"]:
        for shape in ["512x512x512", "128x784x128"]:
            r = find(rows, proto, "matmul", shape=shape)
            a, k, b = (int(x) for x in shape.split("x"))
            base = plain.get((a, k, b, "ring64"))
            if r and base:
                c = max_cpu(r)
                line(f"{proto} matmul {shape}: CPU per player vs plaintext ring64 kernel ({fmt_s(base)})", c / base,
                     (3.0, "3×"), f"{c / base:.1f}× ({fmt_s(c)})")
    return "\n".join(out)


def theory_table(rows):
    out = ["| protocol | workload | player | bytes sent | theory | rounds | theory | equal |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("bench") != "micro":
            continue
        for p in r["players"]:
            if "theory_bytes" not in p:
                continue
            eq = p["theory_bytes"] == p["bytes_sent"] and p["theory_rounds"] == p["rounds"]
            out.append(f"| {r['protocol']} | {label(r)} | {p['name']} | {p['bytes_sent']} | {p['theory_bytes']} | "
                       f"{p['rounds']} | {p['theory_rounds']} | {'yes' if eq else '**no**'} |")
    return "\n".join(out)


def securenn_table(rows):
    """SecureNN's nonlinear workloads beside Pond and ABY3: time, and bytes per value (all players) against
    the paper's Table 1 (Wagh et al. 2019; log p counted as 8 bits, as our Z_p values travel one per byte)."""
    ell = 64
    paper_relu = (8 * ell * 8 + 24 * ell) / 8            # bytes per value, ReLU = DReLU + SelectShare
    paper_max = 3 * (8 * ell * 8 + 29 * ell) / 8 / 4     # 2x2 max pooling: 3 comparisons per output, per input value
    out = ["| workload | protocol | wall | bytes per value (all players) | paper (SecureNN) |", "|---|---|---|---|---|"]
    for wl, pa, values, paper in [("relu", {"n": 1000000}, 1000000, paper_relu),
                                  ("maxpool2x2", {}, 128 * 24 * 24 * 16, paper_max)]:
        for proto in ["securenn", "pond", "aby3"]:
            r = find(rows, proto, wl, **pa)
            if not r:
                continue
            per = sum(p["bytes_sent"] for p in r["players"]) / values
            out.append(f"| {label(r)} | {proto} | {fmt_s(r['wall_s'])} | {per:.1f} B | "
                       f"{f'{paper:.0f} B' if proto == 'securenn' else ''} |")
    for r in rows:
        if r.get("bench") != "networks" or r["protocol"] != "securenn":
            continue
        cells = []
        for proto in ["securenn", "pond", "aby3"]:
            x = find(rows, proto, r["workload"], **r["params"])
            cells.append(fmt_s(x["wall_s"]) if x else "—")
        out.append(f"| {label(r)} | securenn / pond / aby3 | {' / '.join(cells)} | | |")
    return "\n".join(out)


def results_tables(rows):
    out = []
    by_proto = collections.OrderedDict()
    for r in rows:
        by_proto.setdefault(r["protocol"], []).append(r)
    for proto, rs in by_proto.items():
        out.append(f"\n### {proto}\n")
        out.append("| workload | wall | LAN | WAN | player | CPU s | bytes sent | messages | rounds |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in rs:
            first = True
            for p in r["players"]:
                out.append("| {} | {} | {} | {} | {} | {:.4f} | {} | {} | {} |".format(
                    label(r) if first else "", fmt_s(r["wall_s"]) if first else "",
                    fmt_s(r.get("lan_s")) if first else "", fmt_s(r.get("wan_s")) if first else "",
                    p["name"], p["cpu_s"], fmt_bytes(p["bytes_sent"]), p.get("messages_sent", ""), p["rounds"]))
                first = False
    return "\n".join(out)


def matmul_table(matmul_rows):
    out = ["| ring | shape | textbook ijk | tfe kernel | speed-up | tfe kernel, 2 threads |", "|---|---|---|---|---|---|"]
    by = collections.OrderedDict()
    for m in matmul_rows:
        by.setdefault((m["ring"], m["n"], m["k"], m["m"]), {})[m["variant"]] = m
    for (ring, n, k, mm), v in by.items():
        out.append(f"| {ring} | {n}×{k}×{mm} | {fmt_s(v.get('naive_ijk', {}).get('seconds'))} | "
                   f"{fmt_s(v.get('tfe_kernel', {}).get('seconds'))} ({v.get('tfe_kernel', {}).get('gmacs', 0):.1f} GMAC/s) | "
                   f"{v.get('speedup', {}).get('speedup', 0):.1f}× | "
                   + (f"{fmt_s(v['tfe_kernel_2_threads']['seconds'])} ({v['tfe_kernel_2_threads']['gmacs']:.1f} GMAC/s, "
                      f"{v.get('speedup', {}).get('thread_scaling', 0):.2f}×)" if 'tfe_kernel_2_threads' in v else "")
                   + " |")
    return "\n".join(out)


def tcp_table(tcp_rows):
    out = ["| transport | pattern | message | µs per round | × raw TCP |", "|---|---|---|---|---|"]
    for t in tcp_rows:
        ratio = t.get("ratio_to_raw")
        spin = t["params"].get("spin_wait_us")
        name = t["workload"] + ("" if spin is None else f" (spin_wait {spin} µs)")
        out.append(f"| {name} | {t['params'].get('pattern')} | {t['params'].get('bytes')} B | "
                   f"{t['us_per_round']:.1f} | {'' if ratio is None else f'{ratio:.2f}'} |")
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
    for bench, suffix in [("micro", "micro"), ("networks", "networks")]:
        rs = [r for r in rows if r.get("bench") == bench]
        if not rs:
            continue
        workloads, protocols = [], []
        for r in rs:
            if label(r) not in workloads:
                workloads.append(label(r))
            if r["protocol"] not in protocols:
                protocols.append(r["protocol"])
        index = {(label(r), r["protocol"]): r for r in rs}
        for metric, title, fn in [("wall_s", "wall time (s), all players in one process", f"time_{suffix}.png"),
                                  ("bytes", "bytes sent by the busiest player", f"bytes_{suffix}.png")]:
            fig, ax = plt.subplots(figsize=(max(8, len(workloads) * 0.8), 5))
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
                        ys.append(max_bytes(r) or 0)
                ax.bar([x + i * width for x in range(len(workloads))], ys, width, label=proto)
            ax.set_yscale("log")
            ax.set_xticks([x + 0.4 - width / 2 for x in range(len(workloads))])
            ax.set_xticklabels(workloads, rotation=40, ha="right", fontsize=7)
            ax.set_ylabel(title)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(out_dir, fn), dpi=100)
            plt.close(fig)
            made.append((fn, f"{title}, {bench} workloads"))
    # time as the batch grows
    series = collections.defaultdict(list)
    for r in rows:
        b = r.get("params", {}).get("batch")
        if b is not None and r["workload"].endswith("inference"):
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
        fig.savefig(os.path.join(out_dir, "batch.png"), dpi=100)
        plt.close(fig)
        made.append(("batch.png", "inference time as the batch grows"))
    # real vs LAN vs WAN for the network workloads
    rs = [r for r in rows if r.get("bench") == "networks" and r["protocol"] != "plain" and "wan_s" in r]
    if rs:
        names = [f"{label(r)} / {r['protocol']}" for r in rs]
        fig, ax = plt.subplots(figsize=(max(8, len(rs) * 0.5), 5))
        for i, (key, lab) in enumerate([("wall_s", "one process (real)"), ("lan_s", "LAN 10 Gbit/s, 0.2 ms"),
                                        ("wan_s", "WAN 100 Mbit/s, 40 ms")]):
            ax.bar([x + i * 0.27 for x in range(len(rs))], [r.get(key, 0) for r in rs], 0.27, label=lab)
        ax.set_yscale("log")
        ax.set_xticks([x + 0.27 for x in range(len(rs))])
        ax.set_xticklabels(names, rotation=40, ha="right", fontsize=6)
        ax.set_ylabel("seconds")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "networks_lan_wan.png"), dpi=100)
        plt.close(fig)
        made.append(("networks_lan_wan.png", "network workloads: real (one process) vs simulated LAN and WAN"))
    return made


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    all_rows = load(sys.argv[1])
    out_md, plot_dir = sys.argv[2], sys.argv[3]
    machine = {}
    if len(sys.argv) > 4 and os.path.exists(sys.argv[4]):
        with open(sys.argv[4]) as f:
            machine = json.load(f)
    analysis = ""
    if len(sys.argv) > 5 and os.path.exists(sys.argv[5]):
        with open(sys.argv[5]) as f:
            analysis = f.read()
    matmul_rows = [r for r in all_rows if r.get("bench") == "ring_matmul"]
    tcp_rows = [r for r in all_rows if r.get("bench") == "tcp_roundtrip"]
    rows = [r for r in all_rows if "players" in r and "protocol" in r and r.get("bench") != "tcp_roundtrip"]
    os.makedirs(plot_dir, exist_ok=True)
    made = plots(rows, plot_dir)
    rel = os.path.relpath(plot_dir, os.path.dirname(out_md) or ".")
    md = ["<!-- generated by tools/bench_report.py from " + os.path.relpath(sys.argv[1], os.path.dirname(out_md) or ".")
          + " (bash scripts/bench.sh); edit docs/benchmarks/analysis.md or the generator, not this file -->",
          "# Benchmarks", "",
          "Every figure below comes from the JSON lines of the benchmark binaries in `benchmarks/`, run by "
          "`bash scripts/bench.sh` on the machine described here, with every player of a protocol in one "
          "process on its own thread over the in-memory network (ring64 with 16 fractional bits unless the "
          "protocol name says 128). Times are wall-clock seconds of the timed part (input sharing excluded), "
          "the largest over the players; CPU is per player thread; bytes and rounds are per player. "
          "**LAN** and **WAN** are the times the same run takes on a simulated network (10 Gbit/s with "
          "0.2 ms round trip; 100 Mbit/s with 40 ms), from the virtual clock of `tfe/runtime/simulated_network.hpp`: "
          "each player's own CPU time plus waiting for messages delayed by latency and bandwidth.", "",
          "## Machine", ""]
    if machine:
        for k, v in machine.items():
            md.append(f"- **{k}**: {v}")
    else:
        md.append("(no machine description recorded)")
    md += ["", "## Commands", "", "```sh",
           "bash scripts/bench.sh                 # everything below (builds the benchmarks, ~15 min)",
           "bash scripts/bench.sh --quick         # small sizes (smoke run)",
           "build/benchmarks/bench_micro --protocol aby3 --filter relu      # one workload",
           "build/benchmarks/bench_networks --protocol pond,aby3 --filter mlp_inference --trace trace.json",
           "bash scripts/launch_local.sh --insecure-plaintext -- build/benchmarks/bench_micro --protocol aby3  # a process per player",
           "```", "",
           "`--trace FILE` writes a Chrome trace-event JSON (open it in https://ui.perfetto.dev or chrome://tracing; "
           "one file per protocol, `FILE_<protocol>.json`, when several are given): "
           "one span per protocol op per player, with its bytes and rounds. `--networks none` skips the simulated "
           "runs; `--networks lan,wan,5:1000` adds any RTT_MS:MBITS network.", "",
           "## Targets", "", targets(rows, matmul_rows, tcp_rows), ""]
    if analysis:
        md += [analysis.strip(), ""]
    md += ["## Measured bytes and rounds against the theoretical cost", "",
           "The theoretical figures are the protocols' cost models, "
           "`include/tfe/protocol/{pond,securenn,aby3}/costs.hpp` (constexpr functions beside the code; the tests "
           "`test_*_costs` assert the same functions op by op against measured statistics). Rounds are counted per "
           "player as `net/statistics.hpp` defines them: a send that follows a receive starts a round.", "",
           theory_table(rows), "",
           "## SecureNN beside Pond and ABY3", "",
           "Our SecureNN sends fewer bytes than the paper's Table 1 because the helper deals with seed compression "
           "(server 0's shares come from a stream it shares with the helper), and because every comparison uses the "
           "masked DReLU at the values' width (one PrivateCompare on k − 1 = 31 positions, where the paper's DReLU "
           "compares all 64 bits twice): `protocol/securenn/securenn.hpp`, `drelu.hpp`. The paper column is its "
           "Table 1 formula for the same op.", "",
           securenn_table(rows), "", "## Results per protocol", results_tables(rows), ""]
    if matmul_rows:
        md += ["## Plaintext ring matmul kernel (`bench_ring_matmul`)", "", matmul_table(matmul_rows), ""]
    if tcp_rows:
        md += ["## Loopback transport (`bench_tcp_roundtrip`)", "", tcp_table(tcp_rows), ""]
    if made:
        md += ["## Plots", ""]
        for fn, title in made:
            md += [f"![{title}]({rel}/{fn})", "", f"*{title}*", ""]
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"wrote {out_md} and {len(made)} plots from {len(all_rows)} JSON lines")


if __name__ == "__main__":
    main()
