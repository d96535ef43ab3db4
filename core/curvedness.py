"""Tangent-space distance and semantic path length (Park et al., arXiv 2302.12469 §4.2; SPEC.md §4.6).

The tangent space T_h at x_t is the span of the top-n left singular vectors u_i of the pullback Jacobian d h / d x_t
(§3, eq. 2: u_i = J v_i / lambda_i). Two tangent spaces are compared by the Grassmann geodesic distance

    D_geo(T_1, T_2) = sqrt(sum_k theta_k^2),  theta_k = arccos(sigma_k),  sigma_k = singular values of U_1^T U_2,

and a path x^(0) -> x^(L) in X has semantic length sum_l D_geo(T_h(l), T_h(l+1)) (the paper uses L = 30 segments).
The paper finds slerp paths shorter than lerp paths (X is curved); we report lerp length / slerp length as a
"curvedness" ratio (our summary, not the paper's). The NeurIPS version (arXiv 2307.12868) uses the same distance to
follow the tangent space over t and across samples, which the trajectory measures below do.
"""
from __future__ import annotations

import torch

from .jacobian import tangent_distance

__all__ = ["tangent_distance", "path_length", "lerp_path", "slerp_path", "interpolation_path"]


def path_length(bases: list[torch.Tensor]) -> tuple[float, list[float]]:
    """Semantic length of a path given the tangent bases [k, *h] at its points -> (total, per segment)."""
    seg = [tangent_distance(a, b) for a, b in zip(bases[:-1], bases[1:])]
    return float(sum(seg)), seg


def lerp_path(a: torch.Tensor, b: torch.Tensor, segments: int) -> torch.Tensor:
    """segments + 1 points from a to b on the straight line -> [segments + 1, *a.shape]."""
    w = torch.linspace(0.0, 1.0, segments + 1, dtype=torch.float64).view(-1, *([1] * a.dim()))
    return ((1 - w) * a.double() + w * b.double()).to(a.dtype)


def slerp_path(a: torch.Tensor, b: torch.Tensor, segments: int) -> torch.Tensor:
    """segments + 1 points from a to b by spherical interpolation (lerp when a and b are parallel)."""
    a64, b64 = a.double().flatten(), b.double().flatten()
    cos = (a64 @ b64 / (a64.norm() * b64.norm()).clamp_min(1e-30)).clamp(-1.0, 1.0)
    theta = torch.arccos(cos)
    if float(torch.sin(theta)) < 1e-6:
        return lerp_path(a, b, segments)
    w = torch.linspace(0.0, 1.0, segments + 1, dtype=torch.float64).view(-1, 1)
    pts = (torch.sin((1 - w) * theta) * a64 + torch.sin(w * theta) * b64) / torch.sin(theta)
    return pts.reshape(segments + 1, *a.shape).to(a.dtype)


def interpolation_path(kind: str, a: torch.Tensor, b: torch.Tensor, segments: int) -> torch.Tensor:
    return {"lerp": lerp_path, "slerp": slerp_path}[kind](a, b, segments)
