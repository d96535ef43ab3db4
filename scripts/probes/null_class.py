"""Probe: unconditional (null prompt) class boundary on h; SVM accuracy per mixing percent and Boundary Edit flips.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.null_class 256 0.3 0.5 0.7

Args: pool size, then mixing percents. Figures in docs/h_reliance.md. A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 660_000
t0 = time.time()
pool = ctx.seeds(int(sys.argv[1]) if len(sys.argv) > 1 else 256)
mp = ctx.sample(ctx.model, "null", pool)
print("classes", np.bincount(mp["cls"][mp["single"]].astype(int)), time.time() - t0, flush=True)
sa = [s for s, c, o in zip(pool, mp["cls"], mp["single"]) if o and c == 0]
sb = [s for s, c, o in zip(pool, mp["cls"], mp["single"]) if o and c == 1]
held = ctx.seeds(96)
mh = ctx.sample(ctx.model, "null", held)
ha = [s for s, c, o in zip(held, mh["cls"], mh["single"]) if o and c == 0][:20]
hb = [s for s, c, o in zip(held, mh["cls"], mh["single"]) if o and c == 1][:20]
for pct in map(float, sys.argv[2:] or ["0.3", "0.5", "0.7"]):
    b = ctx.boundary_at("null", sa, sb, pct, "h", 1.0)
    p = b.meta["params"]
    print(f"pct {pct} t={float(b.timesteps[0]):.0f} train {p.get('train_accuracy')} held {p['test_accuracy']}", flush=True)
    for mode in CBK.MODES:
        for v in (2.0, 8.0):
            for frm, seeds in (("a", ha), ("b", hb)):
                target = S.CB.TARGETS[1] if frm == "a" else S.CB.TARGETS[0]
                m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both", mode, S.NODE)
                meas = ctx.sample(m, "null", seeds)
                want = 1 if frm == "a" else 0
                f = float(((meas["cls"] == want) & meas["single"]).mean())
                print(f"   {mode[:12]} d={v} {frm}->: {f:.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}", flush=True)
print("total", time.time() - t0)
