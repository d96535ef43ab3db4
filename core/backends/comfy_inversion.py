"""Deterministic DDIM inversion with ComfyUI's model (SPEC.md §2.7, §3.3; COMFYUI.md §4.3).

ComfyUI's "ddim" is Euler on the probability-flow ODE, which equals deterministic DDIM (eta = 0) for eps models.
Running it on the reversed schedule (sigma_min -> sigma_max, a leading 0 replaced by 1e-4 as FlipSigmas does) maps
a clean latent to x_T; sampling x_T forward on the same schedule with no added noise reconstructs it. Ancestral and
SDE samplers cannot invert. CFG above 1 makes the inversion drift (use the cond alone, CFG 1, as the papers do).
"""
from __future__ import annotations

import torch

import comfy.sample
import comfy.samplers

from . import comfy_unet


def schedule(model, steps: int, scheduler: str) -> torch.Tensor:
    return comfy.samplers.calculate_sigmas(comfy_unet.model_sampling(model), scheduler, steps).cpu()


def invert(model, positive, negative, latent: torch.Tensor, steps: int, scheduler: str, cfg: float = 1.0):
    """Clean LATENT samples -> inverted LATENT samples at sigma_max (ComfyUI's latent space, like the input)."""
    sig = schedule(model, steps, scheduler).flip(0)
    if sig[0] == 0:
        sig[0] = 1e-4
    sampler = comfy.samplers.ksampler("euler")
    return comfy.sample.sample_custom(model, torch.zeros_like(latent), cfg, sampler, sig, positive, negative, latent,
                                      disable_pbar=True, seed=0)


def reconstruct(model, positive, negative, inverted: torch.Tensor, steps: int, scheduler: str, cfg: float = 1.0):
    """Sample an inverted latent back to t = 0 on the same schedule, adding no noise."""
    sig = schedule(model, steps, scheduler)
    sampler = comfy.samplers.ksampler("euler")
    return comfy.sample.sample_custom(model, torch.zeros_like(inverted), cfg, sampler, sig, positive, negative,
                                      inverted, disable_pbar=True, seed=0)
