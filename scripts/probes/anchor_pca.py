"""Probe: transported PCs anchored at another step than the last. The node carries the last (least noisy) step's
top-K PCs back along the trajectory; here the anchor step's PCs are carried both ways (orthogonal Procrustes inside
each step's principal subspace, as core/pca.transport_components), then rated as scripts/measure_pca.py.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.anchor_pca N_SAMPLES ANCHOR_PERCENT [SEEDS]

ANCHOR_PERCENT: 0 = the first (noisiest) step, 1 = the last. A one-off experiment script, not a node.
"""
import sys, time
import torch
from scripts.probes.pca_verdicts import circle_trajectories, rate_components
from core.direction import Direction
from core.pca import TrajectoryPCA, align_signs

n, pct = int(sys.argv[1]), float(sys.argv[2])
n_held = int(sys.argv[3]) if len(sys.argv) > 3 else 32
K = 5
t0 = time.time()
model, pos, neg, trajs = circle_trajectories(n)
pca = TrajectoryPCA(K, "transported")
for traj in trajs:
    pca.feed(traj)
sp = [pca.steps[t] for t in pca.ts]
qs = []
for p in sp:
    b = p.basis.double()
    qs.append(b / b.norm(dim=1, keepdim=True))
a = round(pct * (len(qs) - 1))
out = [None] * len(qs)
out[a] = qs[a][:K]
step = lambda i, j: (lambda u, _, wt: (u @ wt).T @ qs[i])(*torch.linalg.svd(qs[i] @ out[j].T, full_matrices=False))
for i in range(a - 1, -1, -1):
    out[i] = step(i, i + 1)
for i in range(a + 1, len(qs)):
    out[i] = step(i, i - 1)
vecs = align_signs(torch.stack(out, dim=1).float())  # [K, T, D]
scales = torch.stack([(p.basis.double() @ v.T.double()).norm(dim=0) for p, v in zip(sp, vecs.transpose(0, 1))],
                     dim=1) / (pca.n - 1) ** 0.5
d = Direction(vecs.reshape(K, len(sp), *pca.shape), torch.tensor(pca.ts), scales.float(),
              {"method": "pca_anchor", "space": "h"}, {})
print(f"anchor step {a} of {len(qs)} (t = {pca.ts[a]:.0f})", f"{time.time() - t0:.0f}s", flush=True)
rate_components(model, pos, neg, d, K, n_held, "PC", t0)
