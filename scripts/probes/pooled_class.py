"""Probe: class boundary on spatially pooled h (one channel vector, the same at every h position).

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.pooled_class PROMPT POOL PCT...

PROMPT: null (unconditional class) or circle/square (the prompt's class is kept; then the attribute is stripes).
A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK

prompt, n_pool, pcts = sys.argv[1], int(sys.argv[2]), [float(x) for x in sys.argv[3:]] or [0.3, 0.5]
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 660_000
t0 = time.time()
attr = "cls" if prompt == "null" else "striped"
pool = ctx.seeds(n_pool)
mp = ctx.sample(ctx.model, prompt, pool)
lab = mp[attr].astype(int) if attr == "cls" else (mp["stripes"] > 0).astype(int)
va, vb = (0, 1) if attr == "cls" else (1, 0)
sa = [s for s, c, o in zip(pool, lab, mp["single"]) if o and c == va]
sb = [s for s, c, o in zip(pool, lab, mp["single"]) if o and c == vb]
print("A", len(sa), "B", len(sb), f"{time.time() - t0:.0f}s", flush=True)
held = ctx.seeds(96)
mh = ctx.sample(ctx.model, prompt, held)
lh = mh[attr].astype(int) if attr == "cls" else (mh["stripes"] > 0).astype(int)
ha = [s for s, c, o in zip(held, lh, mh["single"]) if o and c == va][:20]
hb = [s for s, c, o in zip(held, lh, mh["single"]) if o and c == vb][:20]
rec = lambda seeds: S.record_trajectories(ctx.model, ctx.cond[prompt], ctx.cond["null"], ctx.latent, seeds, ctx.steps,
                                          ctx.cfg, "euler", "normal", "cond", S.NODE, batch_size=32, with_x=True)
ta, tb = rec(sa), rec(sb)
for pct in pcts:
    j = ta.nearest(CBK.t_of_percent(ctx.model, pct))
    for pooled in (False, True):
        fa, fb = ta.h[:, j], tb.h[:, j]
        if pooled:
            fa, fb = [f.mean((-2, -1), keepdim=True).expand_as(f).contiguous() for f in (fa, fb)]
        b, text = CBK.boundary_from_features(ctx.model, fa, fb, ta.ts[j], 1.0, "gram", 4, pct, {})
        print(f"pct {pct} pooled={pooled} {text}", flush=True)
        for mode in CBK.MODES[1:] if pooled else CBK.MODES[2:]:
            for v in (1.0, 2.0, 4.0):
                for frm, seeds in (("a", ha), ("b", hb)):
                    target = S.CB.TARGETS[1] if frm == "a" else S.CB.TARGETS[0]
                    m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both", mode,
                                               S.NODE)
                    meas = ctx.sample(m, prompt, seeds)
                    ml = meas[attr].astype(int) if attr == "cls" else (meas["stripes"] > 0).astype(int)
                    want = vb if frm == "a" else va
                    f = float(((ml == want) & meas["single"]).mean())
                    print(f"   {mode[:12]} v={v} {frm}->: {f:.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}",
                          flush=True)
print("total", time.time() - t0)
