"""Probe: stripes boundary on x_t late in the run (little noise left), single-step x_t move (Boundary Edit, x_t).

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.xt_stripes_late LABELS POOL C PCT...

Labels (LABELS): "striped" = measured striped (horizontal or vertical) vs plain; "orientation" = horizontal vs
vertical stripes. Circle prompt. A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK

labels, n_pool, c = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
pcts = [float(x) for x in sys.argv[4:]] or [0.85, 0.95]
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 690_000
t0 = time.time()
va, vb = ((1, 2), (0,)) if labels == "striped" else ((1,), (2,))  # measured stripes states of class A and B
side = lambda m: np.where(np.isin(m["stripes"], va), 1, np.where(np.isin(m["stripes"], vb), 0, -1))
pool = ctx.seeds(n_pool)
mp = ctx.sample(ctx.model, "circle", pool)
sa = [s for s, c_, o in zip(pool, side(mp), mp["single"]) if o and c_ == 1]
sb = [s for s, c_, o in zip(pool, side(mp), mp["single"]) if o and c_ == 0]
held = ctx.seeds(96)
mh = ctx.sample(ctx.model, "circle", held)
ha = [s for s, c_, o in zip(held, side(mh), mh["single"]) if o and c_ == 1][:20]
hb = [s for s, c_, o in zip(held, side(mh), mh["single"]) if o and c_ == 0][:20]
print("A", len(sa), "B", len(sb), "held", len(ha), len(hb), f"{time.time() - t0:.0f}s", flush=True)
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
        for frm, seeds in (("A", ha), ("B", hb)):
            target = S.CB.TARGETS[1] if frm == "A" else S.CB.TARGETS[0]
            m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both",
                                       CBK.MODES[0], S.NODE)
            meas = ctx.sample(m, "circle", seeds)
            f = float(((side(meas) == (0 if frm == "A" else 1)) & meas["single"]).mean())
            print(f"   v={v} {frm}->other: {f:.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}", flush=True)
print("total", time.time() - t0)
