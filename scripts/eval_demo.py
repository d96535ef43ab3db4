"""Measure the demo model's samples with the factor measurer (the model card's quality numbers).

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.eval_demo --per-class 100 --json demo_model/eval.json

Samples --per-class images per shape prompt on held-out seeds with ComfyUI's own sampler (stock KSampler path,
CFG against the null prompt), measures them, and prints: share with exactly one object, class accuracy vs the
prompt, and the spread (5th-95th percentile) of measured hue, size, centre and background.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

import comfy.sample  # noqa: E402
from core.backends import comfy_demo as D  # noqa: E402
from core.demo import measure as M  # noqa: E402
from core.demo import render as R  # noqa: E402

EVAL_SEED = 777_000  # held out: training batches use other seeds (scripts/train_demo.py)


def generate(model, tokens, const, cls: int, n: int, seed: int, steps: int, cfg: float, sampler: str,
             scheduler: str) -> torch.Tensor:
    pos = [[D.context_for(tokens, const, cls), {}]]
    neg = [[D.context_for(tokens, const, 3), {}]]
    latent = torch.zeros(n, 3, R.SIZE, R.SIZE)
    noise = comfy.sample.prepare_noise(latent, seed)
    out = comfy.sample.sample(model, noise, steps, cfg, sampler, scheduler, pos, neg, latent, seed=seed,
                              disable_pbar=True)
    return ((out + 1.0) / 2.0).clamp(0, 1)  # the pixel-space VAE's decode


def evaluate(path: str, per_class: int, steps: int, cfg: float, sampler: str, scheduler: str,
             seed: int = EVAL_SEED) -> dict:
    t0 = time.perf_counter()
    model, tokens, const = D.load_demo_model(path)
    t_load = time.perf_counter() - t0
    imgs, want = [], []
    t1 = time.perf_counter()
    for c in range(3):
        imgs.append(generate(model, tokens, const, c, per_class, seed + c, steps, cfg, sampler, scheduler))
        want += [c] * per_class
    t_sample = time.perf_counter() - t1
    x = torch.cat(imgs)
    m = M.measure(x)
    want = np.array(want)
    one = m["single"]
    pct = lambda k: [float(np.nanpercentile(m[k][one], 5)), float(np.nanpercentile(m[k][one], 95))] if one.any() else None
    hue_bins = np.histogram(m["hue"][one], bins=6, range=(0, 1))[0].tolist() if one.any() else []
    return {
        "weights": path, "per_class": per_class, "steps": steps, "cfg": cfg, "sampler": sampler,
        "scheduler": scheduler, "seed": seed,
        "one_object": float(one.mean()), "class_accuracy": float((m["cls"] == want).mean()),
        "class_accuracy_per_class": [float((m["cls"][want == c] == c).mean()) for c in range(3)],
        "stripes_share": float((m["stripes"][one] > 0).mean()) if one.any() else None,
        "spread_5_95": {k: pct(k) for k in ("hue", "r", "cx", "cy", "bg", "bg_chroma")},
        "bg_chroma_median": float(np.nanmedian(m["bg_chroma"])),
        "grain_median": float(np.nanmedian(m["grain"])),
        "hue_histogram_6_bins": hue_bins,
        "training_ranges": {"r": list(R.R_RANGE), "cx": list(R.C_RANGE), "cy": list(R.C_RANGE),
                            "bg": list(R.BG_RANGE), "hue": [0.0, 1.0]},
        "threads": torch.get_num_threads(), "load_s": round(t_load, 2), "sample_s": round(t_sample, 2), "images": int(len(x)),
    }, x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--cfg", type=float, default=2.5)
    ap.add_argument("--sampler", default="euler")
    ap.add_argument("--scheduler", default="normal")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", default="")
    ap.add_argument("--grid", default="", help="also save a sample grid PNG (first 8 per class)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    res, x = evaluate(args.weights, args.per_class, args.steps, args.cfg, args.sampler, args.scheduler)
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.grid:
        from PIL import Image

        from core.plot import labelled_grid
        k = min(8, args.per_class)
        sel = torch.cat([x[c * args.per_class:c * args.per_class + k] for c in range(3)])
        g = labelled_grid(sel.permute(0, 2, 3, 1).numpy(), k, list(R.CLASSES), [], 4,
                          f"{args.steps} steps {args.sampler}/{args.scheduler}, CFG {args.cfg}")
        Image.fromarray((g * 255).astype(np.uint8)).save(args.grid)


if __name__ == "__main__":
    main()
