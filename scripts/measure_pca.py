"""What do the demo model's h-space PCs do? Measured with the factor measurer on held-out seeds.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_pca [--out docs/pca_factors.md]

Discovers PCs with the same code path as the Extract h-space PCA node, then for each of the top PCs and each window
(whole trajectory, first half, second half of the steps) samples held-out seeds at strengths -4..+4 (std units),
measures class, hue, size, centre, background and stripes, and reports per factor: the median over seeds of the
Spearman correlation between strength and factor, and the mean change from -4 to +4 relative to the factor's
training range. A PC "moves one factor" when that factor has |Spearman| >= 0.9 and a change >= 15 % of its range
while every other factor moves less than a third as much (relative to its own range).
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from scipy.stats import spearmanr

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

from core.backends import comfy_demo, comfy_sampling, comfy_unet  # noqa: E402
from core.backends.comfy_discover import pca_directions  # noqa: E402
from core.demo import measure as M  # noqa: E402
from core.demo import render as R  # noqa: E402
from core.edit import edit_tap  # noqa: E402
from core.pca import MODES  # noqa: E402

FACTORS = {"hue": 0.5, "r": R.R_RANGE[1] - R.R_RANGE[0], "cx": R.C_RANGE[1] - R.C_RANGE[0],
           "cy": R.C_RANGE[1] - R.C_RANGE[0], "bg": R.BG_RANGE[1] - R.BG_RANGE[0], "striped": 1.0}
WINDOWS = {"all steps": (0.0, 1.0), "first half (coarse)": (0.0, 0.5), "second half (fine)": (0.5, 1.0)}
HELD_OUT = 500_000


def centre_range(weights: str) -> tuple[float, float]:
    """The object-centre range the weights were trained on (train_demo --centre-range; default the renderer's)."""
    from safetensors import safe_open
    with safe_open(weights, "pt") as fh:
        args = json.loads((fh.metadata() or {}).get("args", "{}"))
    return tuple(args.get("centre_range", R.C_RANGE))


def factor_table(m: dict, n_seeds: int, n_str: int) -> dict[str, np.ndarray]:
    """Per seed x strength factor values; NaN where the image holds no single object (its factors are unread)."""
    lost = ~m["single"].reshape(n_seeds, n_str)
    out = {k: m[k].reshape(n_seeds, n_str).astype(float) for k in ("r", "cx", "cy", "bg")}
    hue = m["hue"].reshape(n_seeds, n_str)
    mid = n_str // 2
    out["hue"] = ((hue - hue[:, mid:mid + 1] + 0.5) % 1.0) - 0.5  # circular change from the unedited image
    out["striped"] = (m["stripes"] > 0).reshape(n_seeds, n_str).astype(float)
    for v in out.values():
        v[lost] = np.nan
    return out


def effects(tab: dict, strengths: list[float], ranges: dict = FACTORS) -> dict:
    res = {}
    for k, v in tab.items():
        rhos = []
        for row in v:
            if np.all(np.isfinite(row)) and np.ptp(row) > 0:
                rhos.append(spearmanr(strengths, row).correlation)
        change = np.nanmean(v[:, -1] - v[:, 0]) / ranges[k]  # seeds with an object at both ends
        res[k] = {"spearman": float(np.median(rhos)) if rhos else 0.0, "change": float(change)}
    return res


def verdict(eff: dict) -> str | None:
    rel = {k: abs(e["change"]) for k, e in eff.items()}
    best = max(rel, key=rel.get)
    others = max(v for k, v in rel.items() if k != best)
    if abs(eff[best]["spearman"]) >= 0.9 - 1e-9 and rel[best] >= 0.15 and others < rel[best] / 3:
        return best
    return None


STRENGTHS = [-4.0, -2.0, 0.0, 2.0, 4.0]


def edit_effects(model, pos, neg, d, k: int, seeds: list[int], window, steps: int = 20, cfg: float = 2.5,
                 ranges: dict = FACTORS, node: str = "measure_pca"):
    """Sample each seed at every strength of STRENGTHS along component k of d inside window (euler, normal) ->
    (effects per factor, measurer output)."""
    s = torch.zeros(len(seeds) * len(STRENGTHS), d.k)
    s[:, k] = torch.tensor(STRENGTHS).repeat(len(seeds))
    m = comfy_unet.with_tap(model, edit_tap(d, s, window), node)
    lat = torch.zeros(len(s), 3, 32, 32)
    out = comfy_sampling.sample(m, pos, neg, lat, [sd for sd in seeds for _ in STRENGTHS], steps, cfg, "euler",
                                "normal")
    meas = M.measure(((out + 1) / 2).clamp(0, 1))
    return effects(factor_table(meas, len(seeds), len(STRENGTHS)), STRENGTHS, ranges), meas


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--prompt", default="circle")
    ap.add_argument("--n-samples", type=int, default=128)
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--pcs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cfg", type=float, default=2.5)
    ap.add_argument("--mode", default="per_timestep", choices=list(MODES))
    ap.add_argument("--rank-cap", type=int, default=None)
    ap.add_argument("--windows", nargs="*", default=list(WINDOWS), choices=list(WINDOWS))
    ap.add_argument("--out", default="docs/pca_factors.md")
    ap.add_argument("--json", default="docs/pca_factors.json")
    a = ap.parse_args()
    lo, hi = centre_range(a.weights)
    ranges = dict(FACTORS, cx=hi - lo, cy=hi - lo)
    model, tok, const = comfy_demo.load_demo_model(a.weights)
    ci = list(R.CLASSES).index(a.prompt)
    pos, neg = [[comfy_demo.context_for(tok, const, ci), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    latent = torch.zeros(1, 3, 32, 32)
    d, _ = pca_directions(model, pos, neg, latent, 0, a.n_samples, 16, a.steps, a.cfg, "euler", "normal", 8,
                          a.mode, "cond", "measure_pca", a.rank_cap)
    strengths = STRENGTHS
    seeds = list(range(HELD_OUT, HELD_OUT + a.seeds))
    results = {}
    for wname in a.windows:
        s0, s1 = WINDOWS[wname]
        window = comfy_unet.window_from_percent(model, s0, s1)
        for k in range(a.pcs):
            eff, meas = edit_effects(model, pos, neg, d, k, seeds, window, a.steps, a.cfg, ranges)
            results[(wname, k)] = {"effects": eff, "moves": verdict(eff), "one_object": float(meas["single"].mean()),
                                   "class_kept": float((meas["cls"] == ci).mean())}
            print(wname, f"PC{k}", results[(wname, k)]["moves"], {f: round(e["change"], 3) for f, e in eff.items()},
                  flush=True)
    lines = ["# What the demo model's h-space PCs do", "",
             f"Measured by `PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_pca --mode {a.mode} --seeds "
             f"{a.seeds} --windows " + " ".join(f'"{w}"' for w in a.windows) + "` on "
             f"`{a.weights}`: PCA of h over {a.n_samples} samples (prompt '{a.prompt}', {a.steps} euler steps, CFG "
             f"{a.cfg}, mode {a.mode}, cond branch), then {a.seeds} held-out seeds x strengths {strengths} (std units) "
             "per PC and window. Each cell: change from -4 to +4 as a share of the factor's training range (hue: of "
             "half the hue circle), and the median per-seed Spearman correlation in brackets (a seed whose image loses "
             "its single object at any strength is left out of the Spearman median, and of the change where that "
             "happens at -4 or +4). **Bold** = the PC "
             "moves that factor alone (|Spearman| >= 0.9, change >= 15 % of its range, every other factor < 1/3 of "
             "that).", ""]
    head = "| window | PC | " + " | ".join(FACTORS) + " | moves | one object | class kept |"
    lines += [head, "|" + "---|" * (len(FACTORS) + 5)]
    for (wname, k), r in results.items():
        cells = []
        for f in FACTORS:
            e = r["effects"][f]
            c = f"{e['change']:+.2f} ({e['spearman']:+.2f})"
            cells.append(f"**{c}**" if r["moves"] == f else c)
        lines.append(f"| {wname} | PC{k} | " + " | ".join(cells) + f" | {r['moves'] or '-'} | "
                     f"{r['one_object']:.0%} | {r['class_kept']:.0%} |")
    n_whole = sum(1 for (w, k), r in results.items() if w == "all steps" and r["moves"])
    lines += ["", f"Over the whole trajectory {n_whole} of the top {a.pcs} PCs each move one factor alone."]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(a.json, "w") as f:
        json.dump({f"{w} | PC{k}": r for (w, k), r in results.items()}, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
