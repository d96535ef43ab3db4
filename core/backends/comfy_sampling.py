"""Running ComfyUI's own sampler inside a node: per-sample seeded noise, progress bar, interrupts, h recording."""
from __future__ import annotations

from collections import defaultdict

import torch

import comfy.model_management
import comfy.sample
import comfy.utils

from ..tap import COND, UNCOND, reader
from . import comfy_unet


def noise_for(latent: torch.Tensor, seeds: list[int]) -> torch.Tensor:
    """Noise for each image from its own seed (image i of a batch equals a batch-1 run with seeds[i])."""
    return torch.cat([comfy.sample.prepare_noise(latent[i:i + 1], int(s)) for i, s in enumerate(seeds)])


def sample(model, positive, negative, latent: torch.Tensor, seeds: list[int], steps: int, cfg: float,
           sampler_name: str, scheduler: str, denoise: float = 1.0, progress=None) -> torch.Tensor:
    """Stock KSampler sampling of latent [B, C, H, W] with per-image seeds; returns the sampled latent."""
    latent = comfy.sample.fix_empty_latent_channels(model, latent)
    noise = noise_for(latent, seeds)

    def callback(i, denoised, x, total):
        comfy.model_management.throw_exception_if_processing_interrupted()
        if progress is not None:
            progress()

    return comfy.sample.sample(model, noise, steps, cfg, sampler_name, scheduler, positive, negative, latent,
                               denoise=denoise, seed=int(seeds[0]), callback=callback, disable_pbar=True)


def sample_recording_h(model, branch: str, node: str, **kw) -> tuple[torch.Tensor, dict[float, torch.Tensor]]:
    """Sample and record h of the chosen CFG branch ("cond" or "uncond") at every model call.

    Returns (latent, {continuous t: h [B, C, H, W] float32 on the CPU}); the first call at each t is kept.
    """
    want = COND if branch == "cond" else UNCOND
    rec: dict[float, list] = defaultdict(list)

    def record(h, info, chunk):
        if chunk == want:
            rec[round(float(info.t), 6)].append(h)

    m = comfy_unet.with_tap(model, reader(record), node)
    out = sample(m, **kw)
    return out, {t: hs[0] for t, hs in rec.items()}


def progress_bar(total: int):
    pbar = comfy.utils.ProgressBar(total)
    return lambda: pbar.update(1)
