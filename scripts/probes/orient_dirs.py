"""Probe: which move direction flips the stripes orientation on x_t (measure_supervised part e) at both pool sizes?

Samples POOL circle seeds from 690000 (x_t recorded at percent 0.95, t = 53, the step part e's search chose) and
HELD fresh seeds after them; for the first 1536 and for all POOL pool seeds fits, on horizontal (A) vs vertical (B):
the SVM normal at C = 1 (the node), at C = 0.01, the class-mean difference, and shrinkage LDA; reports the fresh
held-out accuracy, the class separation (the Boundary Edit unit) and the flips of 40 + 40 held-out samples moved to
the other side by Boundary Edit (the node's code path) at several values.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.orient_dirs [POOL] [HELD]

A one-off experiment script, not a node.
"""
import copy
import sys
import time

import numpy as np
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK, comfy_sampling
from core.boundary import TARGETS, projection
from core.demo import measure as M

POOL = int(sys.argv[1]) if len(sys.argv) > 1 else 3072
HELD = int(sys.argv[2]) if len(sys.argv) > 2 else 448
VALUES = tuple(float(v) for v in sys.argv[3:]) or (4, 8, 16)
a = S.argparse.Namespace(weights="demo_model/latent_directions_demo.safetensors", steps=20, cfg=2.5)
torch.manual_seed(0)
ctx = S.Ctx(a)
ctx.next_seed = S.ORIENT_SEED0
t_mix = CBK.t_of_percent(ctx.model, 0.95)
t0 = time.time()


T_REC = []


def sample_x(seeds, batch=64):
    meas, xs = [], []
    for i in range(0, len(seeds), batch):
        s = seeds[i:i + batch]
        m, _, rec_x = comfy_sampling.recording_model(ctx.model, "cond", S.NODE, record_x=True)
        out = comfy_sampling.sample(m, ctx.cond["circle"], ctx.cond["null"], ctx.latent.repeat(len(s), 1, 1, 1), s,
                                    ctx.steps, ctx.cfg, "euler", "normal")
        meas.append(M.measure(((out + 1) / 2).clamp(0, 1)))
        key = min(rec_x, key=lambda t: abs(t - t_mix))
        xs.append(rec_x[key])
        T_REC.append(key)
    return {k: np.concatenate([x[k] for x in meas]) for k in meas[0]}, torch.cat(xs)


pool = ctx.seeds(POOL)
mp, xp = sample_x(pool)
held = ctx.seeds(HELD)
mh, xh = sample_x(held)
print(f"sampled {POOL}+{HELD} in {time.time() - t0:.0f}s", flush=True)
lab_h = mh["single"] & np.isin(mh["stripes"], (1, 2))
is_h = mh["stripes"] == 1
hh = [s for s, st, o in zip(held, mh["stripes"], mh["single"]) if o and st == 1][:40]
hv = [s for s, st, o in zip(held, mh["stripes"], mh["single"]) if o and st == 2][:40]


def with_normal(template, normal, intercept, test):
    """A copy of the node's boundary with another normal; class means from the same held-out split."""
    d = copy.deepcopy(template)
    d.vectors = normal.reshape(d.vectors.shape).float()
    d.extra["intercept"] = torch.tensor([float(intercept)])
    fa, fb = xa, xb
    ta, tb = test[:len(fa)], test[len(fa):]
    d.meta["params"]["mean_distance_a"] = float(projection(fa[ta], normal).mean())
    d.meta["params"]["mean_distance_b"] = float(projection(fb[tb], normal).mean())
    return d


for P in sorted({min(1536, POOL), POOL}):
    sel = np.arange(P)
    ok = mp["single"][sel]
    xa = xp[sel][ok & (mp["stripes"][sel] == 1)]
    xb = xp[sel][ok & (mp["stripes"][sel] == 2)]
    t_step = float(T_REC[0])
    node, _ = CBK.boundary_from_features(ctx.model, xa, xb, t_step, 1.0, "gram", 4, 0.95, {}, space="x_t")
    _, test = CBK.fit_at(xa, xb, 1.0, "gram", 4)
    train_a, train_b = xa[~test[:len(xa)]], xb[~test[len(xa):]]
    dirs = {"svm C=1 (node)": node}
    b01, _ = CBK.fit_at(xa, xb, 0.01, "gram", 4)
    dirs["svm C=0.01"] = with_normal(node, b01.normal, b01.intercept, test)
    md = (train_a.mean(0) - train_b.mean(0))
    md = md / md.norm()
    mid = 0.5 * float(projection(train_a, md).mean() + projection(train_b, md).mean())
    dirs["class-mean difference"] = with_normal(node, md, -mid, test)
    xtr = torch.cat([train_a, train_b]).reshape(len(train_a) + len(train_b), -1).double().numpy()
    ytr = np.r_[np.ones(len(train_a)), np.zeros(len(train_b))]
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(xtr, ytr)
    w = torch.from_numpy(lda.coef_[0]).float()
    dirs["shrinkage LDA"] = with_normal(node, w / w.norm(), float(lda.intercept_[0]) / float(w.norm()), test)
    print(f"pool {P}: A {len(xa)} B {len(xb)}", flush=True)
    for name, d in dirs.items():
        n = d.vectors[0, 0]
        pred = (projection(xh[lab_h], n) + float(d.extra["intercept"][0])).numpy() > 0
        acc = float((pred == is_h[lab_h]).mean())
        p = d.meta["params"]
        sep = p["mean_distance_a"] - p["mean_distance_b"]
        cos = float((n.reshape(-1) @ node.vectors[0, 0].reshape(-1)))
        print(f"  [{name}] fresh held-out {acc:.1%} ({int(lab_h.sum())}); separation {sep:.2f}; cos to node {cos:+.3f}",
              flush=True)
        for v in VALUES:
            res = []
            for seeds, to in ((hh, 1), (hv, 0)):
                m = CBK.with_boundary_edit(ctx.model, d, CBK.resolve_distance(d, TARGETS[to], v, S.NODE), "both",
                                           CBK.MODES[0], S.NODE)
                meas = ctx.sample(m, "circle", seeds, batch=40)
                flipped = (meas["stripes"] == (1 if to == 0 else 2)) & meas["single"]
                res.append((int(flipped.sum()), len(seeds), float(meas["single"].mean())))
            f = sum(r[0] for r in res)
            print(f"    value {v}: flipped {f}/{sum(r[1] for r in res)} (h->v {res[0][0]}, v->h {res[1][0]}); "
                  f"one object {res[0][2]:.0%}/{res[1][2]:.0%}  [{time.time() - t0:.0f}s]", flush=True)
print("total", f"{time.time() - t0:.0f}s")
