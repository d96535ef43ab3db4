"""Which factor does each per-step PC of h follow, step by step? (Why per-step ranking mixes factors.)

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_pca_ranks [--n 256]

Samples n circle images on the demo model (20 euler steps, CFG 2.5, seeds 0..n-1), measures their factors, and for
every step prints each of the top PCs of h_t (exact SVD) with the two factors its coefficient correlates with most
(|Pearson r| over samples with one object) and |cos| to the same-rank PC of the previous step.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

from core.backends import comfy_demo, comfy_sampling  # noqa: E402
from core.demo import measure as M  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--pcs", type=int, default=6)
    a = ap.parse_args()
    model, tok, const = comfy_demo.load_demo_model(a.weights)
    pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    hs, outs = {}, []
    for b in range(0, a.n, 64):
        seeds = list(range(b, min(b + 64, a.n)))
        out, traj = comfy_sampling.sample_recording_h(model, "cond", "measure_pca_ranks", positive=pos, negative=neg,
                                                      latent=torch.zeros(len(seeds), 3, 32, 32), seeds=seeds, steps=20,
                                                      cfg=2.5, sampler_name="euler", scheduler="normal")
        outs.append(out)
        for t, h in traj.items():
            hs.setdefault(t, []).append(h.reshape(h.shape[0], -1))
    m = M.measure(((torch.cat(outs) + 1) / 2).clamp(0, 1))
    f = {k: m[k].astype(float) for k in ("r", "cx", "cy", "bg")}
    f["hue_cos"], f["hue_sin"] = np.cos(2 * np.pi * m["hue"]), np.sin(2 * np.pi * m["hue"])
    f["striped"] = (m["stripes"] > 0).astype(float)
    ok = m["single"]
    prev = None
    for t in sorted(hs, reverse=True):
        x = torch.cat(hs[t]).double()
        u, s, vt = torch.linalg.svd(x - x.mean(0), full_matrices=False)
        coef = (u[:, :a.pcs] * s[:a.pcs]).numpy()
        cells = []
        for k in range(a.pcs):
            c = {n: abs(np.corrcoef(coef[ok, k], v[ok])[0, 1]) for n, v in f.items()}
            top = sorted(c, key=c.get, reverse=True)[:2]
            cells.append(f"PC{k} {top[0]} {c[top[0]]:.2f} / {top[1]} {c[top[1]]:.2f}")
        cos = "" if prev is None else " | |cos| to previous step: " + " ".join(
            f"{float(v):.2f}" for v in (vt[:a.pcs] * prev[:a.pcs]).sum(-1).abs())
        prev = vt
        print(f"t={t:4.0f}: " + "; ".join(cells) + cos, flush=True)


if __name__ == "__main__":
    main()
