"""Edit overhead: stock sampling through Apply Latent Edit at Timestep's two paths vs plain sampling, measured side
by side (alternating runs, medians) on the demo model and on the SD1.5-shaped tiny test model:
  h: the h-space tap (adds strength x scale x direction to h at every step);
  x: the x-space path (a SAMPLER_SAMPLE wrapper that splits the sigmas at the edit step and adds strength x v to x_t).

    PYTHONPATH=.comfyui .venv/bin/python -m bench.bench_edit [--repeats 7] [--spaces h x] [--json out.json]

Targets (issue 4): h ratio <= 1.03, x ratio <= 1.05.
"""
from __future__ import annotations

import torch

from bench.common import DEMO_WEIGHTS, alternate, comfy_cpu, emit, median, parser

comfy_cpu()
import comfy.samplers  # noqa: E402

from core.backends import comfy_demo, comfy_sampling, comfy_tiny, comfy_unet, comfy_xedit  # noqa: E402
from core.direction import Direction  # noqa: E402
from core.edit import edit_tap  # noqa: E402

TARGET = {"h": 1.03, "x": 1.05}


def random_direction(shape, k=4, T=20):
    g = torch.Generator().manual_seed(0)
    v = torch.randn(k, T, *shape, generator=g)
    v = v / v.flatten(2).norm(dim=2).view(k, T, 1, 1, 1)
    return Direction(v, torch.linspace(0, 999, T), torch.ones(k, T))


def x_edited(model, latent, steps):
    """Apply Latent Edit's x-space path: a unit random v at the middle step of the schedule, strength 2."""
    sigmas = comfy.samplers.calculate_sigmas(comfy_unet.model_sampling(model), "normal", steps)
    sigma = float(sigmas[steps // 2])
    d = Direction(random_direction(tuple(latent.shape[1:]), k=1, T=1).vectors, torch.tensor([500.0]), torch.ones(1, 1),
                  {"space": "x", "params": {"at_sigma": sigma}})
    return comfy_xedit.with_x_edit(model, d, [2.0], sigma, "bench"), sigma, comfy_xedit.split_index(sigmas, sigma)


def bench_model(name, model, pos, neg, latent, steps, repeats, spaces):
    seeds = list(range(latent.shape[0]))
    out = {}

    def run(m, key):
        def go():
            out[key] = comfy_sampling.sample(m, pos, neg, latent, seeds, steps, 2.5, "euler", "normal")
        return go

    rows = []
    for space in spaces:
        if space == "h":
            d = random_direction(comfy_unet.h_shape(model, tuple(latent.shape[2:])))
            edited, extra = comfy_unet.with_tap(model, edit_tap(d, [2.0, 0.0, -1.0, 0.5]), "bench"), {}
        else:
            edited, sigma, split = x_edited(model, latent, steps)
            extra = {"edit_sigma": round(sigma, 4), "split_step": split}
        t = alternate({"plain": run(model, "plain"), "edit": run(edited, "edit")}, repeats)
        mp, me = median(t["plain"]), median(t["edit"])
        rows.append({"model": name, "space": space, "batch": latent.shape[0], "steps": steps, "repeats": repeats,
                     "plain_median_s": round(mp, 4), "edit_median_s": round(me, 4), "ratio": round(me / mp, 4),
                     "target_ratio": TARGET[space],
                     "edit_changed_output": bool((out["edit"] - out["plain"]).abs().max() > 0), **extra})
        print(rows[-1], flush=True)
    return rows


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--spaces", nargs="+", choices=["h", "x"], default=["h", "x"])
    ap.add_argument("--models", nargs="+", choices=["demo", "sd15"], default=["demo", "sd15"])
    ap.add_argument("--batch", type=int, default=0, help="batch size (default: 8 demo, 4 SD1.5-shaped)")
    a = ap.parse_args(argv)
    rows = []
    if "demo" in a.models:
        demo, tok, const = comfy_demo.load_demo_model(DEMO_WEIGHTS)
        pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
        rows += bench_model("demo (32x32 pixel U-Net)", demo, pos, neg, torch.zeros(a.batch or 8, 3, 32, 32), a.steps,
                            a.repeats, a.spaces)
    if "sd15" in a.models:
        sd = comfy_tiny.tiny_sd15()
        g = torch.Generator().manual_seed(0)
        pos, neg = [[torch.randn(1, 4, 32, generator=g), {}]], [[torch.randn(1, 4, 32, generator=g), {}]]
        rows += bench_model("tiny SD1.5-shaped (latent 32x32)", sd, pos, neg, torch.zeros(a.batch or 4, 4, 32, 32),
                            a.steps, a.repeats, a.spaces)
    emit({"benchmark": "edit overhead", "sampler": "euler", "rows": rows}, a.json)


if __name__ == "__main__":
    main()
