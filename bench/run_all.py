"""Run every benchmark and write bench/results.json and bench/results.md (machine info, ratios side by side).

    PYTHONPATH=.comfyui .venv/bin/python -m bench.run_all [--quick]

--quick uses smaller sizes (a few minutes on a 2-core CPU). Run with nothing else busy on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(module: str, args: list[str]) -> dict:
    out = os.path.join(HERE, f".{module}.json")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, ".comfyui"), ROOT]))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", f"bench.{module}", *args, "--json", out], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res = json.load(open(out))
    os.unlink(out)
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    q = a.quick
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "threads": torch.get_num_threads(), "quick": q,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    results = {"machine": info,
               "pca": run("bench_pca", ["--samples", "128" if q else "1000", "--steps", "50"]),
               "edit": run("bench_edit", ["--repeats", "3" if q else "7"]),
               "jacobian": run("bench_jacobian", ["--ks", *(["2", "4"] if q else ["2", "4", "8"])])}
    json.dump(results, open(os.path.join(HERE, "results.json"), "w"), indent=1)
    p, e, j = results["pca"], results["edit"], results["jacobian"]
    lines = [f"Benchmarks ({'quick' if q else 'full'}): `PYTHONPATH=.comfyui .venv/bin/python -m bench.run_all"
             f"{' --quick' if q else ''}` on {info['cores']} CPU cores, torch {info['torch']}, {info['date']}.", "",
             "| benchmark | measured | target |", "|---|---|---|",
             f"| PCA streaming, h {'x'.join(map(str, p['h_shape']))} × {p['steps']} steps × {p['samples']} samples | "
             f"peak RSS {p['peak_rss_mb'] / 1024:.2f} GB (growth {p['rss_growth_mb'] / 1024:.2f} GB), "
             f"{p['pca_ms_per_sample']:.0f} ms per sample | ≤ 2 GB |"]
    for r in e["rows"]:
        lines.append(f"| h edit overhead, {r['model']}, batch {r['batch']}, {r['steps']} steps | {r['ratio']:.3f}× "
                     f"({r['edit_median_s']:.2f} s vs {r['plain_median_s']:.2f} s, median of {r['repeats']}) | ≤ 1.03× |")
    for r in j["rows"]:
        lines.append(f"| Jacobian top-{r['k']} (demo, tol {j['tol_radians']:g} rad) | block {r['block_s']:.1f} s vs "
                     f"sequential {r['sequential_s']:.1f} s = **{r['speedup']:.1f}× faster**; {r['block_over_floor']:.2f}× "
                     f"the batched floor; {r['block_forward_equivalents']:.0f} vs {r['sequential_forward_equivalents']:.0f} "
                     f"forward-pass equivalents | ≥ 3× faster, ≤ 2× floor |")
    open(os.path.join(HERE, "results.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
