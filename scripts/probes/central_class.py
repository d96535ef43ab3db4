"""Probe: does the class boundary on h work when the objects sit near the image centre (aligned data, as the
papers' faces are)? Keeps null-prompt samples whose measured centre is within RADIUS px of (16, 16).

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.central_class POOL RADIUS PCT...

A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK

n_pool, rad, pcts = int(sys.argv[1]), float(sys.argv[2]), [float(x) for x in sys.argv[3:]] or [0.3, 0.5]
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 680_000
t0 = time.time()


def central(seeds, m, c):
    ok = m["single"] & (np.abs(m["cx"] - 16) <= rad) & (np.abs(m["cy"] - 16) <= rad) & (m["cls"] == c)
    return [s for s, o in zip(seeds, ok) if o]


pool = ctx.seeds(n_pool)
mp = ctx.sample(ctx.model, "null", pool)
sa, sb = central(pool, mp, 0), central(pool, mp, 1)
held = ctx.seeds(n_pool // 2)
mh = ctx.sample(ctx.model, "null", held)
ha, hb = central(held, mh, 0)[:20], central(held, mh, 1)[:20]
print("train A", len(sa), "B", len(sb), "held", len(ha), len(hb), f"{time.time() - t0:.0f}s", flush=True)
rec = lambda seeds: S.record_trajectories(ctx.model, ctx.cond["null"], ctx.cond["null"], ctx.latent, seeds, ctx.steps,
                                          ctx.cfg, "euler", "normal", "cond", S.NODE, batch_size=32, with_x=True)
ta, tb = rec(sa), rec(sb)
for pct in pcts:
    j = ta.nearest(CBK.t_of_percent(ctx.model, pct))
    b, text = CBK.boundary_from_features(ctx.model, ta.h[:, j], tb.h[:, j], ta.ts[j], 1.0, "gram", 4, pct, {})
    print(f"pct {pct} {text}", flush=True)
    for mode in CBK.MODES:
        for v in (2.0, 8.0):
            for frm, seeds in (("a", ha), ("b", hb)):
                target = S.CB.TARGETS[1] if frm == "a" else S.CB.TARGETS[0]
                m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both", mode,
                                           S.NODE)
                meas = ctx.sample(m, "null", seeds)
                want = 1 if frm == "a" else 0
                f = float(((meas["cls"] == want) & meas["single"]).mean())
                print(f"   {mode[:12]} v={v} {frm}->: {f:.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}",
                      flush=True)
print("total", time.time() - t0)
