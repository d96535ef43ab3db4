"""PCA streaming benchmark: SD-sized h (1280x8x8) x 50 steps x N samples from a synthetic stream.

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_pca [--samples 1000] [--steps 50] [--batch 16] [--k 8]

Reports peak resident memory growth (ru_maxrss) and time, and the time per sample relative to one demo-model
sampling pass is left to bench_edit.py. Target (issue 4): peak <= 2 GB.
"""
from __future__ import annotations

import resource
import time

import torch

from bench.common import emit, parser
from core.pca import TrajectoryPCA


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--mode", default="per_timestep")
    a = ap.parse_args(argv)
    shape = (1280, 8, 8)
    g = torch.Generator().manual_seed(0)
    base_rss = rss_mb()
    pca = TrajectoryPCA(a.k, a.mode)
    ts = [999.0 - i * (999.0 / max(a.steps - 1, 1)) for i in range(a.steps)]
    t0 = time.perf_counter()
    gen_s = 0.0
    for i in range(0, a.samples, a.batch):
        b = min(a.batch, a.samples - i)
        tg = time.perf_counter()
        traj = {t: torch.randn(b, *shape, generator=g) for t in ts}  # one batch of trajectories, as a sampler yields
        gen_s += time.perf_counter() - tg
        pca.feed(traj)
        del traj  # as the node does: only one batch of trajectories is alive at a time
    parts = pca.direction_parts()
    total = time.perf_counter() - t0
    emit({"h_shape": list(shape), "steps": a.steps, "samples": a.samples, "batch": a.batch, "k": a.k,
          "mode": a.mode, "rank_cap": pca.rank_cap, "pca_s": round(total - gen_s, 2),
          "synthetic_stream_s": round(gen_s, 2), "pca_ms_per_sample": round(1000 * (total - gen_s) / a.samples, 2),
          "peak_rss_mb": round(rss_mb(), 1), "rss_growth_mb": round(rss_mb() - base_rss, 1),
          "output_vectors": list(parts["vectors"].shape)}, a.json)


if __name__ == "__main__":
    main()
