"""SVM boundary fit: the pack's route (core/boundary.py, libsvm on the N x N Gram matrix, w assembled from the support
vectors) vs the direct N x D routes on the raw features (scikit-learn SVC(kernel="linear"), the reference code's
fit, and LinearSVC), on synthetic separable-ish data: time and peak RSS growth of each, |cos| between the normals.

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_svm [--n 200] [--shape 1280 8 8] [--repeats 3] [--json out.json]

Data: x ~ N(0, I) + y * margin * u (u a random unit vector), 5% of the labels flipped. SD-sized h is 1280x8x8 =
81,920 values. Runs alternate (gram, svc, linear_svc, gram, ...); times are medians, memory the largest peak.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch

from bench.common import PeakRSS, emit, median, parser
from core.boundary import fit_linear_svm


def data(n: int, shape, margin: float, flip: float, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    d = math.prod(shape)
    u = torch.randn(d, generator=g)
    u /= u.norm()
    y = (torch.arange(n) % 2) * 2 - 1
    x = torch.randn(n, d, generator=g) + margin * y[:, None].float() * u
    y[torch.randperm(n, generator=g)[:int(flip * n)]] *= -1
    return x.reshape(n, *shape), y.numpy(), u


def unit(w) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    return w / np.linalg.norm(w)


def routes(x: torch.Tensor, y: np.ndarray, c: float) -> dict:
    from sklearn.svm import SVC, LinearSVC
    raw = x.reshape(x.shape[0], -1).numpy()  # float32 view; sklearn makes its own float64 copy, as the reference does

    def linear_svc():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is part of what is measured
            return unit(LinearSVC(C=c).fit(raw, y).coef_)

    return {"gram": lambda: unit(fit_linear_svm(x, y, c=c, via="gram").normal.double().numpy()),
            "svc": lambda: unit(SVC(kernel="linear", C=c).fit(raw, y).coef_),
            "linear_svc": linear_svc}


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--shape", type=int, nargs="+", default=[1280, 8, 8])
    ap.add_argument("--margin", type=float, default=10.0)
    ap.add_argument("--flip", type=float, default=0.05)
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--routes", nargs="+", choices=["gram", "svc", "linear_svc"], default=["gram", "svc", "linear_svc"])
    a = ap.parse_args(argv)
    x, y, u = data(a.n, tuple(a.shape), a.margin, a.flip)
    fns = {k: v for k, v in routes(x, y, a.c).items() if k in a.routes}
    times = {k: [] for k in fns}
    peak = {k: 0.0 for k in fns}
    normal = {}
    for _ in range(a.repeats):
        for k, fn in fns.items():
            with PeakRSS() as m:
                t0 = time.perf_counter()
                normal[k] = fn()
                times[k].append(time.perf_counter() - t0)
            peak[k] = max(peak[k], m.mb)
    u = u.double().numpy()
    rows = {k: {"median_s": round(median(times[k]), 3), "peak_rss_growth_mb": round(peak[k], 1),
                "abs_cos_to_true_u": round(abs(float(normal[k] @ u)), 4)} for k in fns}
    for k in fns:
        if k != "gram" and "gram" in fns:
            rows[k]["abs_cos_to_gram"] = round(abs(float(normal[k] @ normal["gram"])), 6)
            rows[k]["time_over_gram"] = round(rows[k]["median_s"] / rows["gram"]["median_s"], 2)
    emit({"benchmark": "SVM boundary fit", "n": a.n, "d": int(x[0].numel()), "shape": a.shape, "margin": a.margin,
          "flip": a.flip, "c": a.c, "repeats": a.repeats, "input_mb": round(x.numel() * 4 / 2**20, 1),
          "routes": rows}, a.json)


if __name__ == "__main__":
    main()
