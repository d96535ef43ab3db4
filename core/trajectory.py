"""A recorded trajectory: h and the U-Net input x_t at every model call of a sampling or inversion run.

Haas et al. record h_{T:1} during DDIM inversion of labelled real images (SPEC.md §2.5, §2.7); BoundaryDiffusion
fits its boundaries on h and x_t of inverted images at the mixing step and compares the radius |x_t| of sampled and
inverted latents (SPEC.md §3.2-3.3). x_t is in DDPM scale (what the U-Net sees), so |x_T| ~ sqrt(n) for pure noise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Trajectory:
    ts: list[float]  # continuous t of each model call, sampling order (high t first)
    h: torch.Tensor  # [N, T, *h_shape]
    x: torch.Tensor  # [N, T, *x_shape], x_t at the same calls
    end_t: float | None = None  # an inversion's final point (no model call there), e.g. t at sigma_max
    end_x: torch.Tensor | None = None  # [N, *x_shape]
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.h.shape[1] != len(self.ts):
            raise ValueError(f"h has {self.h.shape[1]} steps for {len(self.ts)} timesteps")
        if self.x.shape[:2] != self.h.shape[:2]:
            raise ValueError(f"x {tuple(self.x.shape[:2])} and h {tuple(self.h.shape[:2])} differ in samples or steps")

    @property
    def n(self) -> int:
        return int(self.h.shape[0])

    def radius(self) -> tuple[list[float], torch.Tensor]:
        """Mean |x_t| over the samples at each recorded t (end point first when present) -> (ts, r [T])."""
        r = self.x.flatten(2).double().norm(dim=2).mean(0)
        if self.end_x is None:
            return list(self.ts), r
        return [float(self.end_t), *self.ts], torch.cat([self.end_x.flatten(1).double().norm(dim=1).mean().view(1), r])

    def nearest(self, t: float) -> int:
        return min(range(len(self.ts)), key=lambda i: abs(self.ts[i] - t))


def concat(trajs: list[Trajectory]) -> Trajectory:
    """Stack trajectories recorded on the same schedule along the sample axis."""
    first = trajs[0]
    for tr in trajs[1:]:
        if len(tr.ts) != len(first.ts) or max(abs(a - b) for a, b in zip(tr.ts, first.ts)) > 1e-3:
            raise ValueError("the trajectories were recorded on different schedules")
    end = None if first.end_x is None else torch.cat([tr.end_x for tr in trajs])
    return Trajectory(first.ts, torch.cat([tr.h for tr in trajs]), torch.cat([tr.x for tr in trajs]), first.end_t, end,
                      dict(first.meta))
