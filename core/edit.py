"""Applying h-space directions while sampling (Haas et al. 2023 §III, eq. 4: h_t <- h_t + gamma * v_t at every step
of a window, in the same forward pass; SPEC.md §2.2). Strength 1.0 = one unit of the direction's own scale."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .direction import Direction
from .errors import LatentDirectionsError
from .tap import StepInfo, Tap, Window, adder


def edit_tap(direction: Direction, strengths, window: Window = Window(), branch: str = "both",
             resample: bool = False, node: str = "Apply Latent Edit at Timestep") -> Tap:
    """An ADD tap adding sum_k s_k * scale_k(t) * v_k(t) to h.

    strengths: [K] (same for every image) or [B, K] (one row per image of the batch, e.g. a strength sweep).
    resample: bilinearly resize the vectors when h's spatial size differs from the direction's (else refuse).
    """
    s = torch.as_tensor(strengths, dtype=torch.float32)
    if s.shape[-1] != direction.k:
        raise LatentDirectionsError(node, f"{s.shape[-1]} strengths were given for {direction.k} directions",
                                    "Give one strength per direction, or one for all")
    cache: dict = {}
    zero = bool((s == 0).all())

    def delta(info: StepInfo, h: torch.Tensor) -> torch.Tensor:
        if zero:
            return torch.zeros((), dtype=h.dtype, device=h.device)
        key = (info.t, h.shape[2:], h.device, h.dtype)
        d = cache.get(key)
        if d is None:
            d = direction.delta_at(info.t, s)
            if d.shape[-3] != h.shape[1]:
                raise LatentDirectionsError(node, f"the direction has {d.shape[-3]} h channels but this model's h has "
                                                  f"{h.shape[1]}", "Use a direction made on this model")
            if tuple(d.shape[-2:]) != tuple(h.shape[2:]):
                if not resample:
                    raise LatentDirectionsError(
                        node, f"the direction's h is {d.shape[-2]}x{d.shape[-1]} but this resolution gives "
                              f"{h.shape[2]}x{h.shape[3]}", "Sample at the direction's resolution or set resample to on")
                d4 = d.reshape(-1, *d.shape[-3:])
                d = F.interpolate(d4, size=tuple(h.shape[2:]), mode="bilinear", align_corners=False).reshape(
                    *d.shape[:-2], *h.shape[2:])
            d = d.to(device=h.device, dtype=h.dtype)
            cache[key] = d
        if d.dim() == 4 and d.shape[0] != h.shape[0]:
            raise LatentDirectionsError(node, f"{d.shape[0]} per-image strengths for a batch of {h.shape[0]}",
                                        "Give one strength row per image")
        return d

    return adder(delta, window=window, branch=branch)
