"""Probe: stripes boundary on x_t late in the run (little noise left), single-step x_t move (Boundary Edit, x_t).

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.xt_stripes_late POOL C PCT...

Labels: measured striped (horizontal or vertical) vs plain, circle prompt. A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK

n_pool, c, pcts = int(sys.argv[1]), float(sys.argv[2]), [float(x) for x in sys.argv[3:]] or [0.85, 0.95]
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 690_000
t0 = time.time()
striped = lambda m: (m["stripes"] > 0)
pool = ctx.seeds(n_pool)
mp = ctx.sample(ctx.model, "circle", pool)
sa = [s for s, c_, o in zip(pool, striped(mp), mp["single"]) if o and c_]
sb = [s for s, c_, o in zip(pool, striped(mp), mp["single"]) if o and not c_]
held = ctx.seeds(64)
mh = ctx.sample(ctx.model, "circle", held)
ha = [s for s, c_, o in zip(held, striped(mh), mh["single"]) if o and c_][:20]
hb = [s for s, c_, o in zip(held, striped(mh), mh["single"]) if o and not c_][:20]
print("striped", len(sa), "plain", len(sb), f"{time.time() - t0:.0f}s", flush=True)
rec = lambda seeds: S.record_trajectories(ctx.model, ctx.cond["circle"], ctx.cond["null"], ctx.latent, seeds,
                                          ctx.steps, ctx.cfg, "euler", "normal", "cond", S.NODE, batch_size=32,
                                          with_x=True)
ta, tb = rec(sa), rec(sb)
for pct in pcts:
    j = ta.nearest(CBK.t_of_percent(ctx.model, pct))
    b, text = CBK.boundary_from_features(ctx.model, ta.x[:, j], tb.x[:, j], ta.ts[j], c, "gram", 4, pct, {},
                                         space="x_t")
    print(f"pct {pct} C={c} {text}", flush=True)
    for v in (2.0, 8.0):
        for frm, seeds in (("striped", ha), ("plain", hb)):
            target = S.CB.TARGETS[1] if frm == "striped" else S.CB.TARGETS[0]
            m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both",
                                       CBK.MODES[0], S.NODE)
            meas = ctx.sample(m, "circle", seeds)
            f = float(((striped(meas) != (frm == "striped")) & meas["single"]).mean())
            print(f"   v={v} {frm}->other: {f:.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}", flush=True)
print("total", time.time() - t0)
