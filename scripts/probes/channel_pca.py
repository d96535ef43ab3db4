"""Probe: PCA of h averaged over its spatial positions (one channel vector per sample and step), each component
applied as the same channel shift at every position. Averaging removes where the object is, so size, hue or stripes
might become single directions. Transported mode, verdicts as scripts/measure_pca.py on held-out seeds.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.channel_pca N_SAMPLES [SEEDS]

A one-off experiment script, not a node.
"""
import sys, time
import torch
from scripts.probes.pca_verdicts import circle_trajectories, rate_components
from core.direction import Direction
from core.pca import TrajectoryPCA

n = int(sys.argv[1])
n_held = int(sys.argv[2]) if len(sys.argv) > 2 else 32
K = 5
t0 = time.time()
model, pos, neg, trajs = circle_trajectories(n)
pca = TrajectoryPCA(K, "transported")
shape = None
for traj in trajs:
    shape = traj[min(traj)].shape[1:]
    pca.feed({t: h.mean(dim=(2, 3), keepdim=True) for t, h in traj.items()})
parts = pca.direction_parts()
hw = shape[1] * shape[2]
vec = parts["vectors"].expand(-1, -1, -1, shape[1], shape[2]) / hw ** 0.5  # unit norm over C x H x W
d = Direction(vec.contiguous(), parts["timesteps"], parts["scales"] * hw ** 0.5, {"method": "pca_channel", "space": "h"}, {})
print("explained (last step)", [round(float(x), 3) for x in parts["explained_variance"][:, -1]], f"{time.time() - t0:.0f}s",
      flush=True)
rate_components(model, pos, neg, d, K, n_held, "PC", t0)
