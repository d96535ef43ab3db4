"""Probe: position (cx or cy < 15 vs > 17) h boundary; flips per mode index, distance and mixing percent.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.pos_boundary cx 2,1 8,16 0.1 0.2 0.3

Args: factor, Boundary Edit mode indices, distances, mixing percents. Figures in docs/h_reliance.md.
"""
import sys
import time
import argparse

import torch

from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK


def setup(f: str):
    """Demo context, labelled pool seeds (A: f < 15, B: f > 17) and up to 20 held-out seeds of each side."""
    a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
    torch.manual_seed(0)
    ctx = S.Ctx(a)
    ctx.next_seed = 650_000
    pool = ctx.seeds(256)
    mp = ctx.sample(ctx.model, "circle", pool)
    fa, fb = (lambda m: m[f] < 15.0), (lambda m: m[f] > 17.0)
    sa = [s for s, y, o in zip(pool, fa(mp), mp["single"]) if o and y]
    sb = [s for s, y, o in zip(pool, fb(mp), mp["single"]) if o and y]
    held = ctx.seeds(64)
    mh = ctx.sample(ctx.model, "circle", held)
    ha = [s for s, y, o in zip(held, fa(mh), mh["single"]) if o and y][:20]
    hb = [s for s, y, o in zip(held, fb(mh), mh["single"]) if o and y][:20]
    return ctx, fa, fb, sa, sb, ha, hb


def main():
    t0 = time.time()
    ctx, fa, fb, sa, sb, ha, hb = setup(sys.argv[1])
    modes = [CBK.MODES[int(i)] for i in sys.argv[2].split(",")]
    dists = [float(x) for x in sys.argv[3].split(",")]
    for pct in map(float, sys.argv[4:]):
        b = ctx.boundary_at("circle", sa, sb, pct, "h", 1.0)
        p = b.meta["params"]
        print(f"pct {pct} t={float(b.timesteps[0]):.0f} held {p['test_accuracy']}", flush=True)
        for mode in modes:
            for v in dists:
                for frm, seeds in (("a", ha), ("b", hb)):
                    target = S.CB.TARGETS[1] if frm == "a" else S.CB.TARGETS[0]
                    m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both",
                                               mode, S.NODE)
                    meas = ctx.sample(m, "circle", seeds)
                    ok = (fb(meas) if frm == "a" else fa(meas)) & meas["single"]
                    print(f"   {mode[:12]} d={v} {frm}->: {ok.mean():.0%} (n={len(seeds)}) "
                          f"one {meas['single'].mean():.0%}", flush=True)
    print("total", time.time() - t0)


if __name__ == "__main__":
    main()
