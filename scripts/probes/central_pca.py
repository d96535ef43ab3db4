"""Probe: would h-space PCs be cleaner on aligned data (objects near the centre, as the papers' faces are)?
PCA (transported) over circle samples whose measured centre lies within RADIUS px of (16, 16), edits measured on
held-out samples with the same property, verdicts with the full and with the narrowed centre range.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.central_pca POOL RADIUS

A one-off experiment script, not a node.
"""
import sys, time
import numpy as np, torch
from scripts import measure_pca as P
from core.backends import comfy_demo, comfy_sampling, comfy_unet
from core.demo import measure as M
from core.direction import Direction
from core.pca import TrajectoryPCA

n_pool, rad = int(sys.argv[1]), float(sys.argv[2])
t0 = time.time()
model, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
lat = torch.zeros(1, 3, 32, 32)
kw = dict(positive=pos, negative=neg, steps=20, cfg=2.5, sampler_name="euler", scheduler="normal")


def central(seeds):
    out = []
    for i in range(0, len(seeds), 64):
        s = seeds[i:i + 64]
        m = M.measure(((comfy_sampling.sample(model, latent=lat.repeat(len(s), 1, 1, 1), seeds=s, **kw) + 1) / 2).clamp(0, 1))
        ok = m["single"] & (np.abs(m["cx"] - 16) <= rad) & (np.abs(m["cy"] - 16) <= rad)
        out += [x for x, o in zip(s, ok) if o]
    return out


train = central(list(range(n_pool)))
held = central(list(range(P.HELD_OUT, P.HELD_OUT + n_pool // 3)))[:32]
print("train", len(train), "held", len(held), f"{time.time() - t0:.0f}s", flush=True)
pca = TrajectoryPCA(8, "transported")
for i in range(0, len(train), 16):
    s = train[i:i + 16]
    _, traj = comfy_sampling.sample_recording_h(model, "cond", "probe", latent=lat.repeat(len(s), 1, 1, 1), seeds=s, **kw)
    pca.feed(traj)
parts = pca.direction_parts()
d = Direction(parts["vectors"], parts["timesteps"], parts["scales"], {"method": "pca", "space": "h"}, {})
strengths = P.STRENGTHS
window = comfy_unet.window_from_percent(model, 0.0, 1.0)
narrow = dict(P.FACTORS, cx=2 * rad, cy=2 * rad)
for k in range(5):
    eff, meas = P.edit_effects(model, pos, neg, d, k, held, window, node="probe")
    full = P.verdict(eff)
    eff_n = P.effects(P.factor_table(meas, len(held), len(strengths)), strengths, narrow)
    print(f"PC{k} moves(full ranges)={full} moves(centre range {2 * rad:g})={P.verdict(eff_n)}",
          {f: (round(e["change"], 3), round(e["spearman"], 2)) for f, e in eff.items()}, flush=True)
print("total", time.time() - t0)
