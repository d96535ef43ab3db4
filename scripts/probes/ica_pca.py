"""Probe: do independent components inside the top-K transported PC subspace move single factors where PCs mix them?
PCA ranks directions by variance, so factors of similar spread in h (cx, cy, r) may come out rotated into each other;
the demo factors are independent and uniform (non-Gaussian), which ICA can unmix. Transported PCs as in the node, an
ICA rotation (FastICA on the whitened last-step scores) applied with the same coefficients at every step, verdicts as
scripts/measure_pca.py on held-out seeds.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.ica_pca N_SAMPLES K [SEEDS]

A one-off experiment script, not a node.
"""
import sys, time
import numpy as np, torch
from sklearn.decomposition import FastICA
from scripts import measure_pca as P
from core.backends import comfy_demo, comfy_sampling, comfy_unet
from core.demo import measure as M
from core.direction import Direction
from core.edit import edit_tap
from core.pca import TrajectoryPCA

n, K = int(sys.argv[1]), int(sys.argv[2])
n_held = int(sys.argv[3]) if len(sys.argv) > 3 else 32
t0 = time.time()
model, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
lat = torch.zeros(1, 3, 32, 32)
kw = dict(positive=pos, negative=neg, steps=20, cfg=2.5, sampler_name="euler", scheduler="normal")
pca = TrajectoryPCA(K, "transported")
last = []
for i in range(0, n, 16):
    s = list(range(i, min(n, i + 16)))
    _, traj = comfy_sampling.sample_recording_h(model, "cond", "probe", latent=lat.repeat(len(s), 1, 1, 1), seeds=s, **kw)
    pca.feed(traj)
    last.append(traj[min(traj)].reshape(len(s), -1))
parts = pca.direction_parts()
vec, sc = parts["vectors"].reshape(K, len(parts["timesteps"]), -1), parts["scales"]  # [K, T, D], [K, T]
h = torch.cat(last).double()
z = ((h - h.mean(0)) @ vec[:, -1].double().T / sc[:, -1].double()).numpy()  # whitened scores at the last step
ica = FastICA(K, whiten=False, random_state=0, max_iter=2000, tol=1e-6).fit(z)
R = torch.tensor(ica.components_, dtype=torch.float64)  # rows: unmixing in whitened coordinates (orthogonal)
print("R orthogonality", float((R @ R.T - torch.eye(K, dtype=torch.float64)).abs().max()),
      "kurtosis", np.round(((z @ R.numpy().T) ** 4).mean(0) - 3, 2), f"{time.time() - t0:.0f}s", flush=True)
# component j in h at step t: sum_i R[j, i] * scale[i, t] * vec[i, t]; its scale is its norm (std units stay 1)
dirs = torch.einsum("ji,it,itd->jtd", R, sc.double(), vec.double())
scales = dirs.norm(dim=-1)
d = Direction((dirs / scales.unsqueeze(-1)).float().reshape(K, *parts["vectors"].shape[1:]), parts["timesteps"],
              scales.float(), {"method": "pca_ica", "space": "h"}, {})
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
    print(f"IC{k} moves={v} one_object={meas['single'].mean():.2f}",
          {f: (round(e["change"], 3), round(e["spearman"], 2)) for f, e in eff.items()}, f"{time.time() - t0:.0f}s",
          flush=True)
print(f"{n_ok} of {K} move one factor alone; total {time.time() - t0:.0f}s")
