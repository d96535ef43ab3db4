"""Tangent-space curvedness along two samples' trajectories on ComfyUI's UNetModel (Park et al., SPEC.md §4.6).

At every measured step t of the sampler the pullback bases (d h / d x_t, top-k, core/jacobian.py) are taken at the
two samples' x_t, and at the points of the lerp and slerp paths between them (same t, the cond branch's
conditioning). All bases share one temporary weight copy; each warm-starts from the previous one.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from ..curvedness import interpolation_path, path_length, tangent_distance
from ..errors import LatentDirectionsError
from . import comfy_jacobian as CJ


@dataclass
class Curvedness:
    t: list[float] = field(default_factory=list)
    sigma: list[float] = field(default_factory=list)
    a_to_b: list[float] = field(default_factory=list)  # D_geo(T_A(t), T_B(t))
    step_change: list[float] = field(default_factory=list)  # D_geo(T_A(t_i), T_A(t_i+1)), one fewer
    lerp: list[float] = field(default_factory=list)  # semantic length of the lerp path A -> B at t
    slerp: list[float] = field(default_factory=list)
    bases: int = 0


def measure(model, positive, negative, latent, seed_a: int, seed_b: int, steps: int, cfg: float, sampler_name: str,
            scheduler: str, k: int, iters: int, tol: float, segments: int, every: int, node: str,
            check=None) -> Curvedness:
    if seed_a == seed_b:
        raise LatentDirectionsError(node, "seed_a and seed_b are the same sample, so there is no path between them",
                                    "Pick two different seeds")
    runs = [CJ.capture_calls(model, positive, negative, latent, s, steps, cfg, sampler_name, scheduler, node)
            for s in (seed_a, seed_b)]
    if not runs[0] or len(runs[0]) != len(runs[1]):
        raise LatentDirectionsError(node, "the sampler made no model call with the positive branch",
                                    "Use steps >= 1 and a non-empty positive conditioning")
    idx = list(range(0, len(runs[0]), max(1, int(every))))
    out = Curvedness()
    dm = model.model.diffusion_model
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        warm = None

        def basis(call):
            nonlocal warm
            r = CJ.pullback_at(dm, state, call, k, iters, tol, chunk=k, check=check, v0=warm)
            warm, out.bases = r.v, out.bases + 1
            return r.u

        prev = None
        for i in idx:
            a, b = runs[0][i], runs[1][i]
            ua, ub = basis(a), basis(b)
            out.t.append(a.t)
            out.sigma.append(a.sigma)
            out.a_to_b.append(tangent_distance(ua, ub))
            if prev is not None:
                out.step_change.append(tangent_distance(prev, ua))
            prev = ua
            for kind, dest in (("lerp", out.lerp), ("slerp", out.slerp)):
                if segments < 1:
                    continue
                pts = interpolation_path(kind, a.x[0].detach().clone(), b.x[0].detach().clone(), segments)
                mids = [basis(replace(a, x=p.unsqueeze(0))) for p in pts[1:-1]]
                dest.append(path_length([ua, *mids, ub])[0])
    return out


def report(c: Curvedness, k: int, segments: int) -> str:
    lines = [f"tangent spaces of dim {k} (pullback d h / d x_t), {c.bases} bases; distances in radians "
             f"(max sqrt(k)*pi/2 = {k ** 0.5 * 3.14159 / 2:.3f})"]
    for j, t in enumerate(c.t):
        row = f"t={t:.0f}: A-B {c.a_to_b[j]:.4f}"
        if j < len(c.step_change):
            row += f", to next step {c.step_change[j]:.4f}"
        if segments >= 1:
            row += f", lerp {c.lerp[j]:.4f}, slerp {c.slerp[j]:.4f}, lerp/slerp {c.lerp[j] / max(c.slerp[j], 1e-12):.3f}"
        lines.append(row)
    lines.append(f"trajectory A path length over t: {sum(c.step_change):.4f}")
    if segments >= 1:
        lines.append(f"mean lerp {sum(c.lerp) / len(c.lerp):.4f}, mean slerp {sum(c.slerp) / len(c.slerp):.4f} "
                     f"({segments} segments)")
    return "\n".join(lines)
