"""x-space edits inside ComfyUI sampling (Park et al. 2023, x_t <- x_t + gamma * v at one step).

A SAMPLER_SAMPLE wrapper on a clone of the model splits the sigmas at the edit step, runs the sampler on the first
part, adds the edit and runs the sampler on the rest, starting exactly from the edited x (zero noise over the edited
latent). x_t is the DDPM-scale U-Net input: ComfyUI's sampler state is x = x_t * sqrt(1 + sigma^2), so the edit adds
gamma * v * sqrt(1 + sigma^2). With a zero edit the split run equals the unsplit one for euler and ddim; multistep
samplers lose their history at the split and ancestral/SDE samplers draw different noise after it.
"""
from __future__ import annotations

import logging

import torch

import comfy.patcher_extension
import comfy.samplers

from ..direction import Direction
from ..errors import LatentDirectionsError

EXACT = {"sample_euler"}  # "ddim" is euler in ComfyUI
NOT_FAITHFUL = ("multistep samplers (dpmpp_2m, lms, ipndm, deis, res_multistep, uni_pc) lose their history at the "
                "split; ancestral and SDE samplers draw different noise after it; exact for euler and ddim")


def split_index(sigmas: torch.Tensor, sigma_edit: float) -> int:
    """Index of the schedule's sigma nearest sigma_edit, excluding the first and the last."""
    s = sigmas[1:-1].float().cpu()
    if len(s) == 0:
        return 0
    return 1 + int(torch.argmin((s.log() - torch.log(torch.tensor(max(sigma_edit, 1e-12)))).abs()))


def x_edit_wrapper(direction: Direction, strengths: torch.Tensor, sigma_edit: float, node: str):
    """A SAMPLER_SAMPLE wrapper adding sum_k strengths[k] * scales[k] * v_k (x_t units) at the step nearest sigma_edit."""
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
        x = x + (v.to(x.device, x.dtype) * (1.0 + s * s) ** 0.5)
        return executor(guider, sigmas[k:], extra_args, cb2, torch.zeros_like(x), x, denoise_mask, disable_pbar)

    return wrapper


def with_x_edit(model, direction: Direction, strengths, sigma_edit: float, node: str):
    m = model.clone()
    w = x_edit_wrapper(direction, torch.as_tensor(strengths, dtype=torch.float32), sigma_edit, node)
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.SAMPLER_SAMPLE, f"latent_directions_x_{id(w)}", w)
    return m
