"""diffusers backend of the h-space tap: a forward hook on `unet.mid_block` (UNet2DModel, UNet2DConditionModel),
registered for the duration of a `with` block and always removed. Lets core run from plain scripts and pipelines.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch

from ..errors import LatentDirectionsError
from ..tap import COND, StepInfo, Tap


def require_mid_block(unet, node: str = "diffusers h-tap"):
    mid = getattr(unet, "mid_block", None)
    if mid is None:
        raise LatentDirectionsError(
            node, f"{type(unet).__name__} has no mid_block (h-space exists only in U-Nets; DiT transformers such as "
                  "Flux or SD3 are not supported yet)", "Pass a UNet2DModel or UNet2DConditionModel")
    return mid


@contextmanager
def tapped(unet, tap: Tap, alphas_cumprod: torch.Tensor | None = None, chunks: tuple[int, ...] = (COND,)):
    """Run `tap` on the mid-block output of every unet forward inside the block.

    alphas_cumprod (the scheduler's) lets the tap know sigma; chunks gives the CFG identity of batch chunks in
    order (diffusers pipelines batch [uncond, cond], i.e. chunks=(1, 0)).
    """
    mid = require_mid_block(unet)
    log_sigmas = None
    if alphas_cumprod is not None:
        a = alphas_cumprod.detach().double().cpu()
        log_sigmas = (((1 - a) / a).sqrt()).log()
    state: dict = {}

    def pre(module, args, kwargs):
        t = kwargs.get("timestep", args[1] if len(args) > 1 else None)
        state["t"] = float(torch.as_tensor(t).reshape(-1)[0]) if t is not None else None

    def post(module, args, output):
        t = state.get("t")
        sigma = None
        if t is not None and log_sigmas is not None:
            i = min(max(t, 0.0), len(log_sigmas) - 1.0)
            lo = int(i)
            hi = min(lo + 1, len(log_sigmas) - 1)
            sigma = float((log_sigmas[lo] * (1 - (i - lo)) + log_sigmas[hi] * (i - lo)).exp())
        return tap(output, StepInfo(sigma=sigma, t=t, chunks=chunks))

    handles = [unet.register_forward_pre_hook(pre, with_kwargs=True), mid.register_forward_hook(post)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
