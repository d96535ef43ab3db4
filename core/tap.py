"""The h-space tap: READ, ADD or REPLACE the U-Net mid-block output h inside one forward pass.

Backend-neutral: a backend (core/backends/comfy_unet.py, core/backends/diffusers_unet.py) calls a Tap with h and a
StepInfo; the Tap gates on a sigma window and on the CFG branch of each batch chunk, and never edits in place.
Time is the continuous DDPM timestep t (DESIGN.md "Conventions"); sigma is the VP sigma sqrt((1 - abar) / abar).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

COND, UNCOND = 0, 1
BRANCHES = ("both", "cond", "uncond")


@dataclass(frozen=True)
class StepInfo:
    """What a tap knows about the current call: sigma, continuous t and the CFG identity of each batch chunk
    (0 = cond, 1 = uncond, in batch order; a single chunk of 0 when the caller does not say)."""

    sigma: float | None = None
    t: float | None = None
    chunks: tuple[int, ...] = (COND,)


@dataclass(frozen=True)
class Window:
    """Inclusive sigma window [sigma_lo, sigma_hi]. Sampling runs from high sigma (start) to low sigma (end)."""

    sigma_lo: float = 0.0
    sigma_hi: float = math.inf

    def contains(self, sigma: float | None) -> bool:
        if sigma is None:
            return self.sigma_lo <= 0.0 and math.isinf(self.sigma_hi)
        return self.sigma_lo <= sigma <= self.sigma_hi


def _check_branch(branch: str) -> None:
    if branch not in BRANCHES:
        raise ValueError(f"branch must be one of {BRANCHES}, got {branch!r}")


@dataclass(eq=False)
class Tap:
    """Calls fn(h_chunk, info, chunk_id) for every selected chunk inside the window.

    mode "read": fn's return value is ignored and h passes through unchanged.
    mode "add": fn returns delta; the chunk becomes h + delta (cast to h's dtype).
    mode "replace": fn returns the new chunk (same shape).
    """

    fn: Callable[[torch.Tensor, StepInfo, int], torch.Tensor | None]
    mode: str = "read"
    window: Window = field(default_factory=Window)
    branch: str = "both"

    def __post_init__(self):
        if self.mode not in ("read", "add", "replace"):
            raise ValueError(f"mode must be read, add or replace, got {self.mode!r}")
        _check_branch(self.branch)

    def __deepcopy__(self, memo):  # ModelPatcher.clone deep-copies model_options; a Tap is shared, not copied
        return self

    def selects(self, chunk: int) -> bool:
        return self.branch == "both" or (self.branch == "cond") == (chunk == COND)

    def __call__(self, h: torch.Tensor, info: StepInfo) -> torch.Tensor:
        if not self.window.contains(info.sigma):
            return h
        chunks = info.chunks or (COND,)
        if h.shape[0] % len(chunks):
            raise ValueError(f"batch of {h.shape[0]} does not split into {len(chunks)} CFG chunks")
        parts = h.chunk(len(chunks))
        out, changed = [], False
        for part, c in zip(parts, chunks):
            if not self.selects(c):
                out.append(part)
                continue
            r = self.fn(part, info, c)
            if self.mode == "read" or r is None:
                out.append(part)
            elif self.mode == "add":
                out.append(part + r.to(dtype=part.dtype, device=part.device))
                changed = True
            else:
                if r.shape != part.shape:
                    raise ValueError(f"replace returned shape {tuple(r.shape)} for h of shape {tuple(part.shape)}")
                out.append(r.to(dtype=part.dtype, device=part.device))
                changed = True
        return torch.cat(out) if changed else h


def reader(record: Callable[[torch.Tensor, StepInfo, int], None], window: Window = Window(), branch: str = "both") -> Tap:
    """A READ tap: record(h_chunk detached as float32 on the CPU, info, chunk_id)."""
    return Tap(lambda h, info, c: record(h.detach().float().cpu(), info, c), "read", window, branch)


def adder(delta: Callable[[StepInfo, torch.Tensor], torch.Tensor], window: Window = Window(), branch: str = "both") -> Tap:
    """An ADD tap: h + delta(info, h_chunk)."""
    return Tap(lambda h, info, c: delta(info, h), "add", window, branch)


def replacer(fn: Callable[[torch.Tensor, StepInfo], torch.Tensor], window: Window = Window(), branch: str = "both") -> Tap:
    """A REPLACE tap: h <- fn(h_chunk, info)."""
    return Tap(lambda h, info, c: fn(h, info), "replace", window, branch)


def continuous_t(log_sigmas: torch.Tensor, sigma: float) -> float:
    """Continuous DDPM timestep of sigma: linear interpolation of the index in log sigma (log_sigmas increasing)."""
    ls = log_sigmas.detach().double().cpu()
    x = math.log(max(sigma, 1e-12))
    if x <= float(ls[0]):
        return 0.0
    if x >= float(ls[-1]):
        return float(len(ls) - 1)
    i = int(torch.searchsorted(ls, torch.tensor([x], dtype=ls.dtype)).item())
    lo, hi = float(ls[i - 1]), float(ls[i])
    return (i - 1) + (x - lo) / (hi - lo)
