"""How much of a demo-model image does h decide? Swap h between two samples and measure which one the image follows.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_h_reliance [--weights FILE] [--n 32]

For pairs of held-out seeds (A, B) on one prompt, sample A while every U-Net call's h (both CFG branches) is
replaced by B's h at the same step (REPLACE tap), in a window of steps. Per factor it reports the median share
of the A -> B difference that the swapped image takes on (0 = h carries nothing of it, 1 = h decides it), over
pairs whose factor differs by >= 10 % of its range; stripes: the share of pairs with different stripe states
whose swapped image takes B's; class likewise (meaningful
with --prompt null, where the prompt does not fix the class). This is a diagnostic of the model (how causal h is), not a node.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

from core.backends import comfy_demo, comfy_sampling, comfy_unet  # noqa: E402
from core.demo import measure as M  # noqa: E402
from core.demo import render as R  # noqa: E402
from core.tap import Tap, reader  # noqa: E402

NODE = "measure_h_reliance"
SEED0 = 880_000
RANGES = {"hue": 0.5, "r": R.R_RANGE[1] - R.R_RANGE[0], "cx": R.C_RANGE[1] - R.C_RANGE[0],
          "cy": R.C_RANGE[1] - R.C_RANGE[0], "bg": 0.7}
WINDOWS = {"all steps": (0.0, 1.0), "first half": (0.0, 0.5), "second half": (0.5, 1.0)}


def run(model, cond, null, seeds, steps, cfg, tap=None):
    m = comfy_unet.with_tap(model, tap, NODE) if tap is not None else model
    lat = torch.zeros(len(seeds), 3, 32, 32)
    out = comfy_sampling.sample(m, cond, null, lat, seeds, steps, cfg, "euler", "normal")
    return M.measure(((out + 1) / 2).clamp(0, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--n", type=int, default=32, help="pairs")
    ap.add_argument("--prompt", default="circle", choices=(*R.CLASSES, "null"))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cfg", type=float, default=2.5)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    torch.manual_seed(0)
    model, tok, const = comfy_demo.load_demo_model(a.weights)
    names = (*R.CLASSES, "null")
    conds = {n: [[comfy_demo.context_for(tok, const, i), {}]] for i, n in enumerate(names)}
    cond, null = conds[a.prompt], conds["null"]
    sa = list(range(SEED0, SEED0 + a.n))
    sb = list(range(SEED0 + a.n, SEED0 + 2 * a.n))
    rec = {}

    def record(h, info, chunk):
        rec.setdefault((round(float(info.t), 4), chunk), h)

    ma = run(model, cond, null, sa, a.steps, a.cfg)
    mb = run(model, cond, null, sb, a.steps, a.cfg, reader(record))
    res = {"weights": a.weights, "prompt": a.prompt, "pairs": a.n, "windows": {}}
    print(f"one object: A {ma['single'].mean():.0%}  B {mb['single'].mean():.0%}", flush=True)
    for wname, (p0, p1) in WINDOWS.items():
        win = comfy_unet.window_from_percent(model, p0, p1)
        tap = Tap(lambda h, info, c: rec[(round(float(info.t), 4), c)], "replace", win)
        ms = run(model, cond, null, sa, a.steps, a.cfg, tap)
        ok = ma["single"] & mb["single"] & ms["single"]
        row = {"one_object": float(ms["single"].mean())}
        for f, rng in RANGES.items():
            d = mb[f] - ma[f]
            if f == "hue":
                d = (d + 0.5) % 1.0 - 0.5
                ds = (ms[f] - ma[f] + 0.5) % 1.0 - 0.5
            else:
                ds = ms[f] - ma[f]
            sel = ok & (np.abs(d) >= 0.1 * rng)
            row[f] = float(np.median(ds[sel] / d[sel])) if sel.any() else float("nan")
        sel = ok & (ma["stripes"] != mb["stripes"])
        row["stripes"] = float((ms["stripes"][sel] == mb["stripes"][sel]).mean()) if sel.any() else float("nan")
        sel = ok & (ma["cls"] != mb["cls"])
        row["class"] = float((ms["cls"][sel] == mb["cls"][sel]).mean()) if sel.any() else float("nan")
        sel = ok & ((ma["stripes"] > 0) != (mb["stripes"] > 0))
        row["striped"] = float(((ms["stripes"][sel] > 0) == (mb["stripes"][sel] > 0)).mean()) if sel.any() else float("nan")
        res["windows"][wname] = row
        print(wname, " ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
