"""Running ComfyUI's own sampler inside a node: per-sample seeded noise, progress bar, interrupts, h recording."""
from __future__ import annotations

import torch

import comfy.model_management
import comfy.patcher_extension
import comfy.sample
import comfy.utils

from ..tap import COND, UNCOND, continuous_t, reader
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
    m, rec_h, _ = recording_model(model, branch, node)
    return sample(m, **kw), rec_h


def recording_model(model, branch: str, node: str, record_x: bool = False):
    """A clone of model that records, at every model call, h of `branch` and (record_x) the U-Net input x_t
    (DDPM scale, calculate_input of the sampler state) -> (model, {t: h}, {t: x_t}); the first call at each t wins."""
    want = COND if branch == "cond" else UNCOND
    rec_h: dict[float, torch.Tensor] = {}
    rec_x: dict[float, torch.Tensor] = {}

    def record(h, info, chunk):
        if chunk == want:
            rec_h.setdefault(round(float(info.t), 6), h)

    m = comfy_unet.with_tap(model, reader(record), node)
    if record_x:
        ms = comfy_unet.model_sampling(model)
        log_sigmas = ms.log_sigmas.detach().cpu()

        def wrapper(executor, x, t, *args, **kwargs):
            opts = args[3] if len(args) > 3 else kwargs.get("transformer_options", {})
            b = x.shape[0] // max(len(opts.get("cond_or_uncond", [0])), 1)  # every CFG chunk carries the same x
            key = round(continuous_t(log_sigmas, float(t.reshape(-1)[0])), 6)
            if key not in rec_x:
                rec_x[key] = ms.calculate_input(t[:b], x[:b]).detach().float().cpu()
            return executor(x, t, *args, **kwargs)

        m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, f"latent_directions_x_{id(rec_x)}",
                               wrapper)
    return m, rec_h, rec_x


def progress_bar(total: int):
    pbar = comfy.utils.ProgressBar(total)
    return lambda: pbar.update(1)
