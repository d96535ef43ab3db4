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
from scripts.probes.pca_verdicts import circle_trajectories, rate_components
from core.direction import Direction
from core.pca import TrajectoryPCA

n, K = int(sys.argv[1]), int(sys.argv[2])
n_held = int(sys.argv[3]) if len(sys.argv) > 3 else 32
t0 = time.time()
model, pos, neg, trajs = circle_trajectories(n)
pca = TrajectoryPCA(K, "transported")
last = []
for traj in trajs:
    pca.feed(traj)
    last.append(traj[min(traj)].flatten(1))
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
rate_components(model, pos, neg, d, K, n_held, "IC", t0)
