"""Edit overhead: stock sampling with an h-space edit (Apply Latent Edit at Timestep's tap) vs without, measured
side by side (alternating runs, medians) on the demo model and on the SD1.5-shaped tiny test model.

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_edit [--repeats 7] [--json out.json]

Target (issue 4): ratio <= 1.03.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

from core.backends import comfy_demo, comfy_sampling, comfy_tiny, comfy_unet  # noqa: E402
from core.direction import Direction  # noqa: E402
from core.edit import edit_tap  # noqa: E402


def random_direction(shape, k=4, T=20):
    g = torch.Generator().manual_seed(0)
    v = torch.randn(k, T, *shape, generator=g)
    v = v / v.flatten(2).norm(dim=2).view(k, T, 1, 1, 1)
    return Direction(v, torch.linspace(0, 999, T), torch.ones(k, T))


def bench_model(name, model, pos, neg, latent, steps, repeats):
    h_shape = comfy_unet.h_shape(model, tuple(latent.shape[2:]))
    d = random_direction(h_shape)
    edited = comfy_unet.with_tap(model, edit_tap(d, [2.0, 0.0, -1.0, 0.5]), "bench")
    seeds = list(range(latent.shape[0]))
    run = lambda m: comfy_sampling.sample(m, pos, neg, latent, seeds, steps, 2.5, "euler", "normal")
    run(model), run(edited)  # warm-up
    plain, edit = [], []
    for _ in range(repeats):
        for m, acc in ((model, plain), (edited, edit)):
            t0 = time.perf_counter()
            run(m)
            acc.append(time.perf_counter() - t0)
    mp, me = statistics.median(plain), statistics.median(edit)
    return {"model": name, "batch": latent.shape[0], "steps": steps, "repeats": repeats,
            "plain_median_s": round(mp, 4), "edit_median_s": round(me, 4), "ratio": round(me / mp, 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    rows = []
    demo, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
    pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    rows.append(bench_model("demo (32x32 pixel U-Net)", demo, pos, neg, torch.zeros(8, 3, 32, 32), a.steps, a.repeats))
    sd = comfy_tiny.tiny_sd15()
    g = torch.Generator().manual_seed(0)
    pos, neg = [[torch.randn(1, 4, 32, generator=g), {}]], [[torch.randn(1, 4, 32, generator=g), {}]]
    rows.append(bench_model("tiny SD1.5-shaped (latent 32x32)", sd, pos, neg, torch.zeros(4, 4, 32, 32), a.steps,
                            a.repeats))
    res = {"benchmark": "edit overhead", "torch_threads": torch.get_num_threads(), "rows": rows}
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
