"""Supervised h-space directions and disentangling (Haas et al. 2023).

- Mean difference, eq. 11: v_t = mean(h_t | with attribute) - mean(h_t | without), per timestep, no normalisation.
  Stored as unit vectors with scale = |v_t|, so strength 1 adds the raw mean difference (SPEC.md §5.6).
- Disentangle by projection, eq. 12: v = [I - V (V^T V)^-1 V^T] v_0 over whole flattened trajectories, solved
  through the normal equations (no explicit inverse).
- Gram-Schmidt of a set (in order).
"""
from __future__ import annotations

import torch

from .direction import Direction
from .errors import LatentDirectionsError


def mean_difference(pos: torch.Tensor, neg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """pos [N+, T, *shape], neg [N-, T, *shape] -> (unit vectors [T, *shape], scales [T])."""
    if pos.shape[0] == 0 or neg.shape[0] == 0:
        raise ValueError("both label sets need at least one example")
    if pos.shape[1:] != neg.shape[1:]:
        raise ValueError(f"the sets differ in shape: {tuple(pos.shape[1:])} vs {tuple(neg.shape[1:])}")
    v = pos.double().mean(0) - neg.double().mean(0)
    norms = v.reshape(v.shape[0], -1).norm(dim=1)
    unit = v / norms.clamp_min(1e-30).view(-1, *[1] * (v.dim() - 1))
    return unit.float(), norms.float()


def project_out(v0: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """Remove from v0 [*shape] its component in the span of others [M, *shape] (eq. 12)."""
    a = others.reshape(others.shape[0], -1).double()
    b = v0.reshape(-1).double()
    coef = torch.linalg.lstsq(a @ a.T, (a @ b).unsqueeze(1)).solution.squeeze(1)
    return (b - coef @ a).reshape(v0.shape).to(v0.dtype)


def disentangle(direction: Direction, remove: Direction, node: str = "Disentangle Directions") -> Direction:
    """Each direction of the set without its component along every direction of `remove` (eq. 12) over the whole
    scaled trajectory; the remaining norm per step becomes the new scale (strength s adds s x the projected vector)."""
    if direction.shape != remove.shape or not torch.equal(direction.timesteps, remove.timesteps):
        raise LatentDirectionsError(node, "the two sets differ in h shape or timesteps",
                                    "Use directions made on the same model with the same steps and sampler")
    full = lambda d: d.scales.view(d.k, -1, *[1] * len(d.shape)) * d.vectors  # [K, T, *shape]
    others = full(remove)
    out = torch.stack([project_out(v, others) for v in full(direction)])
    norms = out.flatten(2).norm(dim=2)  # [K, T]
    unit = out / norms.clamp_min(1e-30).view(*norms.shape, *[1] * len(direction.shape))
    meta = dict(direction.meta, method="disentangled",
                params={"from": direction.meta.get("method"), "removed": remove.labels},
                labels=[f"{l} without {'+'.join(remove.labels)}" for l in direction.labels])
    return Direction(unit, direction.timesteps, norms, meta)


def gram_schmidt(vs: torch.Tensor) -> torch.Tensor:
    """Orthonormalise rows of vs [K, *shape] in order (each row loses its components along the earlier ones)."""
    out = []
    for v in vs.reshape(vs.shape[0], -1).double():
        for u in out:
            v = v - (v @ u) * u
        n = v.norm()
        if n < 1e-12:
            raise ValueError("the directions are linearly dependent")
        out.append(v / n)
    return torch.stack(out).reshape(vs.shape).to(vs.dtype)
