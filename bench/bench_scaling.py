"""Scaling on the SD1.5-shaped tiny test model: h-space PCA discovery (Extract h-space PCA's sampling + streaming
PCA) time and peak RSS growth against N (samples) and steps, and the denoiser Jacobian's block subspace iteration
time against k and resolution. Writes the numbers as JSON and a plot (docs/images/scaling.png by default).

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_scaling [--ns 8 16 32 64] [--steps 5 10 20 40]
        [--ks 2 4 8] [--hws 8 16 32] [--plot docs/images/scaling.png] [--json out.json]

The Jacobian runs a fixed number of iterations (--jac-iters, tol 0) so its times measure cost, not convergence;
"per_iter_s" is time / iterations (an iteration is one batched JVP + VJP of k vectors and a small QR; the final
Rayleigh-Ritz JVP is included, so it slightly overstates an iteration at few iterations).
"""
from __future__ import annotations

import time

import torch

from bench.common import PeakRSS, comfy_cpu, emit, median, parser

comfy_cpu()
from bench.bench_jacobian import jacobian_rows, sd15_setup  # noqa: E402
from core.backends import comfy_discover  # noqa: E402
from core.plot import line_plot, save_png, tile  # noqa: E402


def pca_run(model, pos, neg, latent, n, steps, k, batch, repeats):
    """Median time and largest peak RSS growth of one PCA discovery over `repeats` runs."""
    times, peak = [], 0.0
    for _ in range(repeats):
        with PeakRSS() as m:
            t0 = time.perf_counter()
            comfy_discover.pca_directions(model, pos, neg, latent, 0, n, batch, steps, 2.5, "euler", "normal",
                                          min(k, n - 1), "per_timestep", "cond", "bench")
            times.append(time.perf_counter() - t0)
        peak = max(peak, m.mb)
    row = {"n": n, "steps": steps, "time_s": round(median(times), 3), "peak_rss_growth_mb": round(peak, 1)}
    print(row, flush=True)
    return row


def plot(res: dict, path: str) -> None:
    p, j = res["pca"], res["jacobian"]
    panel = lambda series, title, xlabel: line_plot(series, title, xlabel, "", (480, 300), markers=True, y_zero=True)
    sweeps = (("n", "vs_n", "N samples", f"{p['fixed_steps']} steps"),
              ("steps", "vs_steps", "steps", f"N = {p['fixed_n']}"))
    panels = []
    for key, rows, xlabel, fixed in sweeps:
        xs = [r[key] for r in p[rows]]
        panels.append(panel({"time s": (xs, [r["time_s"] for r in p[rows]])}, f"PCA discovery s vs {xlabel} "
                            f"({fixed})", xlabel))
        panels.append(panel({"peak RSS growth MB": (xs, [r["peak_rss_growth_mb"] for r in p[rows]])},
                            f"PCA peak RSS growth MB vs {xlabel} ({fixed})", xlabel))
    per_iter = lambda g, k: next(r["per_iter_s"] for r in g["rows"] if r["k"] == k)
    panels.append(panel({f"latent {g['hw']}x{g['hw']}": (j["ks"], [per_iter(g, k) for k in j["ks"]])
                         for g in j["by_hw"]}, "Jacobian s per block iteration vs k", "k"))
    panels.append(panel({f"k = {k}": ([g["h_numel"] for g in j["by_hw"]], [per_iter(g, k) for g in j["by_hw"]])
                         for k in j["ks"]}, "Jacobian s per block iteration vs dim(h)", "dim(h)"))
    save_png(tile(panels, 2), path)


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--ns", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20, 40])
    ap.add_argument("--fixed-n", type=int, default=16, help="N of the steps sweep")
    ap.add_argument("--fixed-steps", type=int, default=10, help="steps of the N sweep")
    ap.add_argument("--pca-hw", type=int, default=32, help="latent size of the PCA runs (h 64 x hw/2 x hw/2)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--hws", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--jac-iters", type=int, default=5)
    ap.add_argument("--plot", default="docs/images/scaling.png", help="'' for no plot")
    a = ap.parse_args(argv)
    model, pos, neg, _ = sd15_setup()
    latent = torch.zeros(1, 4, a.pca_hw, a.pca_hw)
    pca_run(model, pos, neg, latent, 2, 2, a.k, a.batch, 1)  # warm-up
    pca = {"model": "tiny SD1.5-shaped", "latent_hw": a.pca_hw, "k": a.k, "batch": a.batch, "repeats": a.repeats,
           "fixed_n": a.fixed_n, "fixed_steps": a.fixed_steps,
           "vs_n": [pca_run(model, pos, neg, latent, n, a.fixed_steps, a.k, a.batch, a.repeats) for n in a.ns],
           "vs_steps": [pca_run(model, pos, neg, latent, a.fixed_n, s, a.k, a.batch, a.repeats) for s in a.steps]}
    by_hw = []
    for hw in a.hws:
        m, p, n, lat = sd15_setup(hw)
        rows, shape, fwd = jacobian_rows(m, p, n, lat, a.ks, 0.0, a.jac_iters, sequential=False, steps=10)
        by_hw.append({"hw": hw, "h_shape": shape, "h_numel": int(torch.Size(shape).numel()),
                      "one_forward_s": round(fwd, 4),
                      "rows": [{"k": r["k"], "iterations": r["block_iterations"], "time_s": r["block_s"],
                                "per_iter_s": round(r["block_s"] / r["block_iterations"], 4),
                                "peak_rss_growth_mb": r["block_peak_rss_mb"]} for r in rows]})
    res = {"benchmark": "scaling", "pca": pca,
           "jacobian": {"model": "tiny SD1.5-shaped", "iters": a.jac_iters, "tol": 0.0, "ks": a.ks, "by_hw": by_hw}}
    if a.plot:
        plot(res, a.plot)
        res["plot"] = a.plot
    emit(res, a.json)


if __name__ == "__main__":
    main()
