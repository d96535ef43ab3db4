"""Probe: does the SVM's C matter for the stripes-orientation boundary on x_t (measure_supervised part e)?
5-fold cross-validated accuracy per C on the labelled examples of POOL seeds (from 690000), at percents 0.9 and 0.95.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.svm_c_grid POOL

A one-off experiment script, not a node.
"""
import sys, time, argparse
import numpy as np, torch
from sklearn.svm import SVC
from sklearn.model_selection import StratifiedKFold
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK
a = argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a); ctx.next_seed = 690_000
t0 = time.time()
side = lambda m: np.where(np.isin(m["stripes"], (1,)), 1, np.where(np.isin(m["stripes"], (2,)), 0, -1))
pool = ctx.seeds(int(sys.argv[1]))
mp = ctx.sample(ctx.model, "circle", pool)
sa = [s for s, c_, o in zip(pool, side(mp), mp["single"]) if o and c_ == 1]
sb = [s for s, c_, o in zip(pool, side(mp), mp["single"]) if o and c_ == 0]
print("A", len(sa), "B", len(sb), f"{time.time() - t0:.0f}s", flush=True)
rec = lambda seeds: S.record_trajectories(ctx.model, ctx.cond["circle"], ctx.cond["null"], ctx.latent, seeds,
                                          ctx.steps, ctx.cfg, "euler", "normal", "cond", S.NODE, batch_size=32, with_x=True)
ta, tb = rec(sa), rec(sb)
for pct in (0.9, 0.95):
    j = ta.nearest(CBK.t_of_percent(ctx.model, pct))
    x = torch.cat([ta.x[:, j], tb.x[:, j]]).reshape(len(sa) + len(sb), -1).double()
    y = np.array([1] * len(sa) + [-1] * len(sb))
    K = (x @ x.T).numpy()
    for c in (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0):
        accs = []
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(K, y):
            svc = SVC(kernel="precomputed", C=c).fit(K[np.ix_(tr, tr)], y[tr])
            accs.append((svc.predict(K[np.ix_(te, tr)]) == y[te]).mean())
        print(f"pct {pct} t {float(ta.ts[j]):.0f} C {c:g}: cv {np.mean(accs):.3f}", flush=True)
print("total", time.time() - t0)
