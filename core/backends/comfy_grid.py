"""Direction x strength sweeps: one sampling call per direction, one image per strength (same seed)."""
from __future__ import annotations

import torch

import comfy.model_management

from ..edit import edit_tap
from ..tap import Window
from . import comfy_sampling, comfy_unet


def strength_sweep(model, vae, positive, negative, latent: torch.Tensor, direction, directions: list[int],
                   strengths: list[float], seed: int, steps: int, cfg: float, sampler_name: str, scheduler: str,
                   window: Window, branch: str, node: str) -> torch.Tensor:
    """Images [len(directions) * len(strengths), H, W, 3], row-major (direction, strength)."""
    m = len(strengths)
    template = latent[:1].repeat(m, 1, 1, 1)
    bar = comfy_sampling.progress_bar(len(directions) * steps)
    rows = []
    for k in directions:
        comfy.model_management.throw_exception_if_processing_interrupted()
        s = torch.zeros(m, direction.k)
        s[:, k] = torch.tensor(strengths)
        edited = comfy_unet.with_tap(model, edit_tap(direction, s, window, branch, node=node), node)
        out = comfy_sampling.sample(edited, positive, negative, template, [seed] * m, steps, cfg, sampler_name,
                                    scheduler, progress=bar)
        rows.append(vae.decode(out))
    return torch.cat(rows)
