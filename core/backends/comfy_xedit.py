"""x-space edits inside ComfyUI sampling (Park et al. 2023, x_t <- x_t + gamma * v at one step).

A SAMPLER_SAMPLE wrapper on a clone of the model splits the sigmas at the edit step, runs the sampler on the first
part, adds the edit and runs the sampler on the rest, starting exactly from the edited x (zero noise over the edited
latent). x_t is the DDPM-scale U-Net input: ComfyUI's sampler state is x = x_t * sqrt(1 + sigma^2), so the edit adds
gamma * v * sqrt(1 + sigma^2). With a zero edit the split run equals the unsplit one for euler and ddim; multistep
samplers lose their history at the split and ancestral/SDE samplers draw different noise after it.

With guidance = (s, N) the jump is replaced by Park et al.'s x-space guidance at the same step (core/xguidance.py),
using the sampler's own noise prediction (CFG included; the reference code uses one condition without CFG: cfg 1).
"""
from __future__ import annotations

import logging

import torch

import comfy.patcher_extension
import comfy.samplers

from ..direction import Direction
from ..errors import LatentDirectionsError
from ..xguidance import x_guidance

EXACT = {"sample_euler"}  # "ddim" is euler in ComfyUI
NOT_FAITHFUL = ("multistep samplers (dpmpp_2m, lms, ipndm, deis, res_multistep, uni_pc) lose their history at the "
                "split; ancestral and SDE samplers draw different noise after it; exact for euler and ddim")


def split_index(sigmas: torch.Tensor, sigma_edit: float) -> int:
    """Index of the schedule's sigma nearest sigma_edit, excluding the first and the last."""
    s = sigmas[1:-1].float().cpu()
    if len(s) == 0:
        return 0
    return 1 + int(torch.argmin((s.log() - torch.log(torch.tensor(max(sigma_edit, 1e-12)))).abs()))


def denoiser_eps(denoise, sigma: float):
    """eps(x_t) at sigma from a ComfyUI denoiser D(x, sigma) on the sampler state x = x_t * sqrt(1 + sigma^2):
    eps = (x - D(x)) / sigma."""
    c = (1.0 + sigma * sigma) ** 0.5

    def eps(xt):
        x = xt * c
        return (x - denoise(x, torch.full((x.shape[0],), sigma, device=x.device, dtype=x.dtype))) / sigma

    return eps


def move(x: torch.Tensor, v: torch.Tensor, sigma: float, guidance, denoise) -> torch.Tensor:
    """The x-space edit on the sampler state x at sigma: x_t + v, or (s, N) guidance along v (x_t units)."""
    c = (1.0 + sigma * sigma) ** 0.5
    v = v.to(x.device, x.dtype)
    if guidance is None:
        return x + v * c
    scale, steps = guidance
    xt = x / c
    out = x_guidance(denoiser_eps(denoise, sigma), xt, v, float(scale), int(steps))
    return x if out is xt else x + (out - xt) * c  # s = 0 leaves x bit-exact


def x_edit_wrapper(direction: Direction, strengths: torch.Tensor, sigma_edit: float, node: str, guidance=None):
    """A SAMPLER_SAMPLE wrapper adding sum_k strengths[k] * scales[k] * v_k (x_t units) at the step nearest sigma_edit,
    or, with guidance = (s, N), running N guidance iterations along it there."""
    v = (strengths.view(-1, 1) * direction.scales[:, :1] * direction.vectors[:, 0].flatten(1)).sum(0)
    v = v.reshape(direction.vectors.shape[2:])

    def wrapper(executor, guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar):
        sampler = executor.class_obj
        if not isinstance(sampler, comfy.samplers.KSAMPLER):
            raise LatentDirectionsError(node, f"the sampler {type(sampler).__name__} cannot be split for an x-space edit",
                                        "Use a stock KSampler sampler such as euler or ddim")
        k = split_index(sigmas, sigma_edit)
        if k == 0:
            return executor(guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar)
        name = getattr(sampler.sampler_function, "__name__", "?")
        if name not in EXACT:
            logging.warning(f"{node}: sampler {name} is split at the edit step; {NOT_FAITHFUL}")
        total = len(sigmas) - 1
        cb1 = None if callback is None else (lambda i, d, x, t: callback(i, d, x, total))
        cb2 = None if callback is None else (lambda i, d, x, t: callback(i + k, d, x, total))
        x = executor(guider, sigmas[:k + 1], extra_args, cb1, noise, latent_image, denoise_mask, disable_pbar)
        s = float(sigmas[k])
        if x.shape[1:] != v.shape:
            raise LatentDirectionsError(node, f"the x-space direction has shape {tuple(v.shape)} but the latent is "
                                              f"{tuple(x.shape[1:])}", "Sample at the resolution the direction was made at")
        denoise = lambda xs, sig: guider(xs, sig, model_options=extra_args["model_options"], seed=extra_args.get("seed"))
        x = move(x, v, s, guidance, denoise)
        return executor(guider, sigmas[k:], extra_args, cb2, torch.zeros_like(x), x, denoise_mask, disable_pbar)

    return wrapper


def with_x_edit(model, direction: Direction, strengths, sigma_edit: float, node: str, guidance=None):
    m = model.clone()
    w = x_edit_wrapper(direction, torch.as_tensor(strengths, dtype=torch.float32), sigma_edit, node, guidance)
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.SAMPLER_SAMPLE, f"latent_directions_x_{id(w)}", w)
    return m


def guide_latent(model, samples: torch.Tensor, v: torch.Tensor, sigma: float, guidance, positive, negative,
                 cfg: float) -> torch.Tensor:
    """(s, N) guidance on a LATENT (between two KSamplerAdvanced) at sigma: a one-use sampler that only runs the
    guidance, through ComfyUI's own sampling (conditioning, CFG, model loading). Returns the LATENT samples."""
    def fn(model_k, x, sigmas, extra_args=None, callback=None, disable=None):
        return move(x, v, float(sigmas[0]), guidance, lambda xs, sig: model_k(xs, sig, **extra_args))

    import comfy.sample
    sig = torch.tensor([sigma, sigma], dtype=torch.float32)
    return comfy.sample.sample_custom(model, torch.zeros_like(samples), cfg, comfy.samplers.KSAMPLER(fn), sig,
                                      positive, negative, samples, disable_pbar=True, seed=0)
