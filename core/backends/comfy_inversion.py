"""Deterministic DDIM inversion with ComfyUI's model (SPEC.md §2.7, §3.3; COMFYUI.md §4.3).

ComfyUI's "ddim" is Euler on the probability-flow ODE, which equals deterministic DDIM (eta = 0) for eps models.
Running it on the reversed schedule (sigma_min -> sigma_max, a leading 0 replaced by 1e-4 as FlipSigmas does) maps
a clean latent to x_T; sampling x_T forward on the same schedule with no added noise reconstructs it. Stopping at
KSamplerAdvanced's start_at_step gives x_t there (BoundaryDiffusion inverts only to its mixing step, SPEC.md §3.4).
invert_recording also records h and x_t per sigma (Haas et al. SM-F: h_{T:1} recorded during inversion). Ancestral
and SDE samplers add fresh noise and cannot invert or reconstruct; the node always uses euler. CFG above 1 makes
the inversion drift (use the cond alone, CFG 1, as the papers do).
"""
from __future__ import annotations

import torch

import comfy.model_management
import comfy.sample
import comfy.samplers

from ..tap import continuous_t
from ..trajectory import Trajectory, concat
from . import comfy_sampling, comfy_unet


def schedule(model, steps: int, scheduler: str) -> torch.Tensor:
    return comfy.samplers.calculate_sigmas(comfy_unet.model_sampling(model), scheduler, steps).cpu()


def inversion_sigmas(model, steps: int, scheduler: str, start_at_step: int = 0) -> torch.Tensor:
    """The schedule from KSamplerAdvanced's start_at_step on, reversed (low sigma first, a leading 0 -> 1e-4)."""
    sig = schedule(model, steps, scheduler)[start_at_step:].flip(0).clone()
    if sig[0] == 0:
        sig[0] = 1e-4
    return sig


def invert(model, positive, negative, latent: torch.Tensor, steps: int, scheduler: str, cfg: float = 1.0,
           start_at_step: int = 0):
    """Clean LATENT samples -> inverted LATENT samples at the sigma of start_at_step (sigma_max for 0)."""
    sampler = comfy.samplers.ksampler("euler")
    return comfy.sample.sample_custom(model, torch.zeros_like(latent), cfg, sampler,
                                      inversion_sigmas(model, steps, scheduler, start_at_step), positive, negative,
                                      latent, disable_pbar=True, seed=0)


def invert_recording(model, positive, negative, latent: torch.Tensor, steps: int, scheduler: str, cfg: float = 1.0,
                     start_at_step: int = 0, node: str = "DDIM Inversion", batch_size: int = 8):
    """invert() that also records h (cond branch) and x_t at every model call -> (inverted LATENT, Trajectory).
    The Trajectory's end point is x_t where the inversion stops (no model call there)."""
    sig = inversion_sigmas(model, steps, scheduler, start_at_step)
    ms = comfy_unet.model_sampling(model)
    outs, parts = [], []
    for i in range(0, latent.shape[0], batch_size):
        comfy.model_management.throw_exception_if_processing_interrupted()
        m, rec_h, rec_x = comfy_sampling.recording_model(model, "cond", node, record_x=True)
        lat = latent[i:i + batch_size]
        out = comfy.sample.sample_custom(m, torch.zeros_like(lat), cfg, comfy.samplers.ksampler("euler"), sig,
                                         positive, negative, lat, disable_pbar=True, seed=0)
        order = sorted(rec_h, reverse=True)
        end = ms.calculate_input(sig[-1:].expand(len(lat)), model.model.process_latent_in(out).float().cpu())
        parts.append(Trajectory(order, torch.stack([rec_h[t] for t in order], 1),
                                torch.stack([rec_x[t] for t in order], 1),
                                continuous_t(ms.log_sigmas, float(sig[-1])), end))
        outs.append(out)
    traj = concat(parts)
    traj.meta = {"source": "ddim_inversion", "steps": steps, "scheduler": scheduler, "cfg": cfg,
                 "start_at_step": start_at_step}
    return torch.cat(outs), traj


def reconstruct(model, positive, negative, inverted: torch.Tensor, steps: int, scheduler: str, cfg: float = 1.0,
                start_at_step: int = 0):
    """Sample an inverted latent back to t = 0 on the same schedule (from start_at_step), adding no noise."""
    sig = schedule(model, steps, scheduler)[start_at_step:]
    sampler = comfy.samplers.ksampler("euler")
    return comfy.sample.sample_custom(model, torch.zeros_like(inverted), cfg, sampler, sig, positive, negative,
                                      inverted, disable_pbar=True, seed=0)
