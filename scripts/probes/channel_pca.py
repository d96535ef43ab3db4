"""Probe: PCA of h averaged over its spatial positions (one channel vector per sample and step), each component
applied as the same channel shift at every position. Averaging removes where the object is, so size, hue or stripes
might become single directions. Transported mode, verdicts as scripts/measure_pca.py on held-out seeds.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.channel_pca N_SAMPLES [SEEDS]

A one-off experiment script, not a node.
"""
import sys, time
import torch
from scripts import measure_pca as P
from core.backends import comfy_demo, comfy_sampling, comfy_unet
from core.demo import measure as M
from core.direction import Direction
from core.edit import edit_tap
from core.pca import TrajectoryPCA

n = int(sys.argv[1])
n_held = int(sys.argv[2]) if len(sys.argv) > 2 else 32
K = 5
t0 = time.time()
model, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
lat = torch.zeros(1, 3, 32, 32)
kw = dict(positive=pos, negative=neg, steps=20, cfg=2.5, sampler_name="euler", scheduler="normal")
pca = TrajectoryPCA(K, "transported")
shape = None
for i in range(0, n, 16):
    s = list(range(i, min(n, i + 16)))
    _, traj = comfy_sampling.sample_recording_h(model, "cond", "probe", latent=lat.repeat(len(s), 1, 1, 1), seeds=s, **kw)
    shape = traj[min(traj)].shape[1:]
    pca.feed({t: h.mean(dim=(2, 3), keepdim=True) for t, h in traj.items()})
parts = pca.direction_parts()
hw = shape[1] * shape[2]
vec = parts["vectors"].expand(-1, -1, -1, shape[1], shape[2]) / hw ** 0.5  # unit norm over C x H x W
d = Direction(vec.contiguous(), parts["timesteps"], parts["scales"] * hw ** 0.5, {"method": "pca_channel", "space": "h"}, {})
print("explained (last step)", [round(float(x), 3) for x in parts["explained_variance"][:, -1]], f"{time.time() - t0:.0f}s",
      flush=True)
strengths = [-4.0, -2.0, 0.0, 2.0, 4.0]
held = list(range(P.HELD_OUT, P.HELD_OUT + n_held))
window = comfy_unet.window_from_percent(model, 0.0, 1.0)
n_ok = 0
for k in range(K):
    s = torch.zeros(len(held) * len(strengths), d.k)
    s[:, k] = torch.tensor(strengths).repeat(len(held))
    m = comfy_unet.with_tap(model, edit_tap(d, s, window), "probe")
    out = comfy_sampling.sample(m, latent=lat.repeat(len(s), 1, 1, 1), seeds=[x for x in held for _ in strengths], **kw)
    meas = M.measure(((out + 1) / 2).clamp(0, 1))
    eff = P.effects(P.factor_table(meas, len(held), len(strengths)), strengths)
    v = P.verdict(eff)
    n_ok += v is not None
    print(f"PC{k} moves={v} one_object={meas['single'].mean():.2f}",
          {f: (round(e["change"], 3), round(e["spearman"], 2)) for f, e in eff.items()}, f"{time.time() - t0:.0f}s",
          flush=True)
print(f"{n_ok} of {K} move one factor alone; total {time.time() - t0:.0f}s")
