"""Jacobian engine benchmark: block subspace iteration (batched JVP/VJP) vs the reference codes' style (sequential
power iteration, one vector at a time with deflation), at equal tolerance, on the demo model's denoiser Jacobian
d eps / d h at the middle step of one sample.

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_jacobian [--ks 2 4 8] [--tol 1e-3] [--json out.json]

Reports time, JVP/VJP counts, forward-pass equivalents (time / one plain U-Net forward), the "batched floor"
(block iterations x one batched JVP + VJP of k vectors) and peak RSS growth (sampled every 5 ms).
"""
from __future__ import annotations

import argparse
import json
import threading
import time

import psutil
import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

from core.backends import comfy_demo  # noqa: E402
from core.backends import comfy_jacobian as CJ  # noqa: E402
from core.jacobian import power_sequential, top_singular  # noqa: E402


class PeakRSS:
    def __enter__(self):
        self.proc, self.base, self.peak, self.run = psutil.Process(), psutil.Process().memory_info().rss, 0, True
        self.t = threading.Thread(target=self._watch, daemon=True)
        self.t.start()
        return self

    def _watch(self):
        while self.run:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *a):
        self.run = False
        self.t.join()
        self.mb = max(0, self.peak - self.base) / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    model, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
    pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    with torch.inference_mode():
        calls = CJ.capture_calls(model, pos, neg, torch.zeros(1, 3, 32, 32), 3, 20, 2.5, "euler", "normal", "bench")
    call = calls[len(calls) // 2]
    dm = model.model.diffusion_model
    rows = []
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        h0 = CJ.h_at(dm, state, call)
        f = CJ.decoder_fn(dm, state, call)
        jv, vj = CJ.jvp_vjp(f, tuple(h0.shape))
        z = torch.zeros(1, *h0.shape)
        for _ in range(3):
            f(z)
        t0 = time.perf_counter()
        for _ in range(10):
            with torch.no_grad():
                f(z)
        fwd = (time.perf_counter() - t0) / 10
        for k in a.ks:
            g = torch.Generator().manual_seed(k)
            with PeakRSS() as mb:
                t0 = time.perf_counter()
                blk = top_singular(jv, vj, tuple(h0.shape), k, iters=a.iters, tol=a.tol, generator=g)
                tb = time.perf_counter() - t0
            with PeakRSS() as ms:
                t0 = time.perf_counter()
                seq = power_sequential(jv, vj, tuple(h0.shape), k, iters=a.iters, tol=a.tol,
                                       generator=torch.Generator().manual_seed(k))
                ts = time.perf_counter() - t0
            v = torch.randn(k, *h0.shape)
            t0 = time.perf_counter()
            vj(jv(v))
            floor = (time.perf_counter() - t0) * blk.iterations
            agree = float((blk.s[:k] - seq.s[:k]).abs().max() / blk.s[0])
            rows.append({"k": k, "block_s": round(tb, 2), "sequential_s": round(ts, 2), "speedup": round(ts / tb, 2),
                         "block_iterations": blk.iterations, "sequential_iterations": seq.iterations,
                         "block_jvp_vjp": blk.jvps + blk.vjps, "sequential_jvp_vjp": seq.jvps + seq.vjps,
                         "block_forward_equivalents": round(tb / fwd, 1),
                         "sequential_forward_equivalents": round(ts / fwd, 1),
                         "batched_floor_s": round(floor, 2), "block_over_floor": round(tb / floor, 2),
                         "block_peak_rss_mb": round(mb.mb, 1), "sequential_peak_rss_mb": round(ms.mb, 1),
                         "max_rel_sigma_diff": round(agree, 4)})
            print(json.dumps(rows[-1]), flush=True)
    res = {"benchmark": "denoiser Jacobian top-k", "model": "demo", "h_shape": list(h0.shape), "tol_radians": a.tol,
           "one_forward_s": round(fwd, 4), "torch_threads": torch.get_num_threads(), "rows": rows}
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
