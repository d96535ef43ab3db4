"""Run every benchmark and write bench/results.json and bench/results.md (machine info, ratios side by side, each
row against its target; a missed target is marked **missed**).

    PYTHONPATH=.comfyui .venv/bin/python -m bench.run_all [--quick] [--only pca edit jacobian svm e2e scaling]

--quick uses smaller sizes (a few minutes on a 2-core CPU). Run with nothing else busy on the machine.
The scaling benchmark also writes docs/images/scaling.png.
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
NAMES = ("pca", "edit", "jacobian", "svm", "e2e", "scaling")


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


def args_for(name: str, q: bool) -> list[str]:
    return {"pca": ["--samples", "128" if q else "1000", "--steps", "50"],
            "edit": ["--repeats", "3" if q else "7"],
            "jacobian": ["--ks", *(["2", "4"] if q else ["2", "4", "8"])],
            "svm": ["--repeats", "1" if q else "3"],
            "e2e": ["--repeats", "1" if q else "3"],
            "scaling": (["--ns", "4", "8", "16", "--steps", "5", "10", "20", "--fixed-n", "8",
                         "--hws", "8", "16", "24", "--jac-iters", "3"] if q else [])}[name]


def missed(ok: bool) -> str:
    return "" if ok else " — **missed**"


def pca_rows(p):
    gb = p["peak_rss_mb"] / 1024
    return [f"| PCA streaming, h {'x'.join(map(str, p['h_shape']))} × {p['steps']} steps × {p['samples']} samples | "
            f"peak RSS {gb:.2f} GB (growth {p['rss_growth_mb'] / 1024:.2f} GB), {p['pca_ms_per_sample']:.0f} ms per "
            f"sample{missed(gb <= 2)} | ≤ 2 GB |"]


def edit_rows(e):
    what = {"h": "h edit (tap)", "x": "x-space edit (split sigmas, x_t + v)"}
    return [f"| {what[r['space']]} overhead, {r['model']}, batch {r['batch']}, {r['steps']} steps | "
            f"{r['ratio']:.3f}× ({r['edit_median_s']:.2f} s vs {r['plain_median_s']:.2f} s, median of {r['repeats']})"
            f"{missed(r['ratio'] <= r['target_ratio'])} | ≤ {r['target_ratio']:.2f}× |" for r in e["rows"]]


def jacobian_rows(j):
    out = []
    for m in j["models"]:
        for r in m["rows"]:
            ok = r["speedup"] >= 3 and r["block_over_floor"] <= 2
            out.append(f"| Jacobian top-{r['k']} ({m['model']}, h {'x'.join(map(str, m['h_shape']))}, tol "
                       f"{j['tol_radians']:g} rad) | block {r['block_s']:.1f} s vs sequential {r['sequential_s']:.1f} "
                       f"s = speed-up **{r['speedup']:.1f}×**; {r['block_over_floor']:.2f}× the batched floor; "
                       f"{r['block_forward_equivalents']:.0f} vs {r['sequential_forward_equivalents']:.0f} "
                       f"forward-pass equivalents{missed(ok)} | ≥ 3× faster, ≤ 2× floor |")
    return out


def svm_rows(s):
    r = s["routes"]
    g = r["gram"]
    head = f"| SVM boundary fit, N = {s['n']}, D = {s['d']:,}: Gram N×N (pack) vs "
    cell = lambda x: f"{x['median_s']:.2f} s, {x['peak_rss_growth_mb']:.0f} MB"
    rows = []
    if "svc" in r:
        d = r["svc"]
        ok = g["median_s"] <= d["median_s"] and g["peak_rss_growth_mb"] <= d["peak_rss_growth_mb"] \
            and d["abs_cos_to_gram"] >= 0.999
        rows.append(f"{head}direct SVC(kernel=linear) | {cell(g)} vs {cell(d)} ({d['time_over_gram']:.1f}× the "
                    f"Gram time); abs cos of the normals {d['abs_cos_to_gram']:.4f}{missed(ok)} | Gram ≤ direct in "
                    f"time and memory; abs cos ≥ 0.999 |")
    if "linear_svc" in r:
        d = r["linear_svc"]
        rows.append(f"{head}direct LinearSVC | {cell(g)} vs {cell(d)} ({d['time_over_gram']:.1f}× the Gram time); abs "
                    f"cos of the normals {d['abs_cos_to_gram']:.4f} | — (another loss: squared hinge) |")
    return rows


def e2e_rows(e):
    rows = [f"| ComfyUI start-up (process start until the server answers, --cpu --cache-none) | "
            f"{e['startup_s']:.1f} s | — (not in the workflow times) |"]
    for r in e["rows"]:
        ok = r["ok"] and r["first_s"] <= r["target_s"]
        err = "" if r["ok"] else f" **failed**: {r['error']}"
        rows.append(f"| example workflow {r['workflow']} through the real server | first run {r['first_s']:.1f} s, "
                    f"median {r['median_s']:.1f} s of {len(r['runs_s'])}{err}{missed(ok)} | ≤ {r['target_s']:.0f} s |")
    return rows


def scaling_rows(s):
    p, j = s["pca"], s["jacobian"]
    span = lambda rows, key: f"{rows[0][key]:.3g} → {rows[-1][key]:.3g}"
    rows = [f"| Scaling, PCA discovery (tiny SD1.5-shaped, latent {p['latent_hw']}²), N {span(p['vs_n'], 'n')} at "
            f"{p['fixed_steps']} steps | {span(p['vs_n'], 'time_s')} s, peak RSS growth "
            f"{span(p['vs_n'], 'peak_rss_growth_mb')} MB | — (docs/images/scaling.png) |",
            f"| Scaling, PCA discovery, steps {span(p['vs_steps'], 'steps')} at N = {p['fixed_n']} | "
            f"{span(p['vs_steps'], 'time_s')} s, peak RSS growth {span(p['vs_steps'], 'peak_rss_growth_mb')} MB | — |"]
    for g in j["by_hw"]:
        rows.append(f"| Scaling, Jacobian block iteration, latent {g['hw']}² (h {'x'.join(map(str, g['h_shape']))}), "
                    f"k {span(g['rows'], 'k')} | {span(g['rows'], 'per_iter_s')} s per iteration | — |")
    return rows


TABLE = {"pca": pca_rows, "edit": edit_rows, "jacobian": jacobian_rows, "svm": svm_rows, "e2e": e2e_rows,
         "scaling": scaling_rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    a = ap.parse_args()
    q = a.quick
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "quick": q, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    path = os.path.join(HERE, "results.json")
    # --only re-runs some benchmarks and keeps the other rows of the last run (each row says how it was run)
    results = json.load(open(path)) if set(a.only) != set(NAMES) and os.path.exists(path) else {}
    for name in [n for n in NAMES if n in a.only]:
        print(f"running bench_{name} ...", flush=True)
        results[name] = run(f"bench_{name}", args_for(name, q))
        results[name]["mode"] = {"quick": q, "date": info["date"], "threads": os.environ.get("OMP_NUM_THREADS")}
    results["machine"] = info
    json.dump(results, open(path, "w"), indent=1)
    modes = ", ".join(f"{n} {'--quick' if results[n]['mode']['quick'] else 'full'} ({results[n]['mode']['date']})"
                      for n in NAMES if n in results)
    lines = [f"Benchmarks: `PYTHONPATH=.comfyui .venv/bin/python -m bench.run_all [--quick] [--only ...]` on "
             f"{info['cores']} CPU cores ({info['cpu']}), torch {info['torch']}; per benchmark: {modes}.", "",
             "| benchmark | measured | target |", "|---|---|---|"]
    for name in NAMES:
        if name in results:
            lines += TABLE[name](results[name])
    open(os.path.join(HERE, "results.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
