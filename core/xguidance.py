"""Park et al.'s x-space guidance, the (s, N) edit at one timestep (NeurIPS 2023, arXiv 2307.12868; SPEC.md §4.4).

Instead of one jump x_t <- x_t + gamma * v (the v1 paper's plain edit), x_t is moved N times at the same t:

    x <- x + s * [eps(x + delta * v, t) - eps(x, t)]

with delta * v the (scaled) x-space direction and s the guidance scale. The NeurIPS text available to us does not
state the rule; it is taken from the authors' released code (`x_space_guidance`), which batches the two eps
evaluations in one call. Everything here is in x_t (DDPM-scale) coordinates.
"""
from __future__ import annotations

from typing import Callable

import torch


def x_guidance(eps: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, w: torch.Tensor, scale: float,
               steps: int, check: Callable[[], None] | None = None) -> torch.Tensor:
    """N = steps guidance iterations from x [B, *x] along w [*x] (= delta * v); eps maps a batch of x_t to the noise
    prediction at the fixed t. Each iteration evaluates eps once on the stacked pair [x + w, x]."""
    if scale == 0.0 or steps <= 0:
        return x
    b = x.shape[0]
    w = w.to(x.device, x.dtype)
    for _ in range(int(steps)):
        if check:
            check()
        e = eps(torch.cat([x + w, x]))
        x = x + scale * (e[:b] - e[b:])
    return x
