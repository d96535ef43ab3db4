"""Jacobian engine benchmark: block subspace iteration (batched JVP/VJP) vs the reference codes' style (sequential
power iteration, one vector at a time with deflation), at equal tolerance, on the denoiser Jacobian d eps / d h at
the middle step of one sample, on the demo model and on the SD1.5-shaped tiny test model.

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_jacobian [--ks 2 4 8] [--tol 1e-3] [--json out.json]

Reports time, JVP/VJP counts, forward-pass equivalents (time / one plain U-Net forward), the "batched floor"
(block iterations x one batched JVP + VJP of k vectors) and peak RSS growth (sampled every 5 ms).
Targets (issue 5): block >= 3x faster than sequential, <= 2x the batched floor.
"""
from __future__ import annotations

import time

import torch

from bench.common import DEMO_WEIGHTS, PeakRSS, comfy_cpu, emit, parser

comfy_cpu()
from core.backends import comfy_demo, comfy_tiny  # noqa: E402
from core.backends import comfy_jacobian as CJ  # noqa: E402
from core.jacobian import power_sequential, top_singular  # noqa: E402


def demo_setup():
    model, tok, const = comfy_demo.load_demo_model(DEMO_WEIGHTS)
    pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    return model, pos, neg, torch.zeros(1, 3, 32, 32)


def sd15_setup(hw: int = 16):
    """latent hw x hw: 16 gives h 64x8x8, SD1.5-512's 8x8 h grid."""
    g = torch.Generator().manual_seed(0)
    pos, neg = [[torch.randn(1, 4, 32, generator=g), {}]], [[torch.randn(1, 4, 32, generator=g), {}]]
    return comfy_tiny.tiny_sd15(), pos, neg, torch.zeros(1, 4, hw, hw)


def jacobian_rows(model, pos, neg, latent, ks, tol, iters, sequential=True, steps=20):
    """Time top-k of d eps / d h at the middle captured step for each k (block; and sequential when asked).
    -> (rows, h shape, seconds of one plain U-Net forward)."""
    with torch.inference_mode():
        calls = CJ.capture_calls(model, pos, neg, latent, 3, steps, 2.5, "euler", "normal", "bench")
    call = calls[len(calls) // 2]
    dm = model.model.diffusion_model
    rows = []
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        h0 = CJ.h_at(dm, state, call)
        shape = tuple(h0.shape)
        f = CJ.decoder_fn(dm, state, call)
        jv, vj = CJ.jvp_vjp(f, shape)
        z = torch.zeros(1, *shape)
        with torch.no_grad():
            for _ in range(3):
                f(z)
            t0 = time.perf_counter()
            for _ in range(10):
                f(z)
        fwd = (time.perf_counter() - t0) / 10
        vj(jv(torch.randn(1, *shape)))  # warm-up of the AD passes
        for k in ks:
            with PeakRSS() as mb:
                t0 = time.perf_counter()
                blk = top_singular(jv, vj, shape, k, iters=iters, tol=tol, generator=torch.Generator().manual_seed(k))
                tb = time.perf_counter() - t0
            v = torch.randn(blk.jvps // (blk.iterations + 1), *shape)  # the engine's block (k + oversampling)
            t0 = time.perf_counter()
            vj(jv(v))
            floor = (time.perf_counter() - t0) * blk.iterations
            row = {"k": k, "block_size": int(v.shape[0]), "block_s": round(tb, 3), "block_iterations": blk.iterations,
                   "block_jvp_vjp": blk.jvps + blk.vjps, "block_forward_equivalents": round(tb / fwd, 1),
                   "batched_floor_s": round(floor, 3), "block_over_floor": round(tb / floor, 2),
                   "block_peak_rss_mb": round(mb.mb, 1)}
            if sequential:
                with PeakRSS() as ms:
                    t0 = time.perf_counter()
                    seq = power_sequential(jv, vj, shape, k, iters=iters, tol=tol,
                                           generator=torch.Generator().manual_seed(k))
                    ts = time.perf_counter() - t0
                row.update({"sequential_s": round(ts, 3), "speedup": round(ts / tb, 2),
                            "sequential_iterations": seq.iterations, "sequential_jvp_vjp": seq.jvps + seq.vjps,
                            "sequential_forward_equivalents": round(ts / fwd, 1),
                            "sequential_peak_rss_mb": round(ms.mb, 1),
                            "max_rel_sigma_diff": round(float((blk.s[:k] - seq.s[:k]).abs().max() / blk.s[0]), 4)})
            rows.append(row)
            print(row, flush=True)
    return rows, list(shape), fwd


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--models", nargs="+", choices=["demo", "sd15"], default=["demo", "sd15"])
    ap.add_argument("--sd15-hw", type=int, default=16, help="latent size of the SD1.5-shaped model")
    a = ap.parse_args(argv)
    models = []
    for name in a.models:
        setup = demo_setup() if name == "demo" else sd15_setup(a.sd15_hw)
        rows, shape, fwd = jacobian_rows(*setup, a.ks, a.tol, a.iters)
        models.append({"model": name, "latent_shape": list(setup[3].shape[1:]), "h_shape": shape,
                       "one_forward_s": round(fwd, 4), "rows": rows})
    emit({"benchmark": "denoiser Jacobian top-k", "tol_radians": a.tol, "iters": a.iters, "models": models}, a.json)


if __name__ == "__main__":
    main()
