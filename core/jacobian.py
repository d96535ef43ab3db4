"""Top-k singular triplets of a Jacobian from batched JVPs and VJPs (block subspace iteration).

Used for the denoiser Jacobian J = d eps / d h (Haas et al. 2023, §IV-B, Alg. 1: subspace iteration in h) and the
pullback J = d h / d x_t (Park et al. 2023, §3: power method on J^T J). Both reference codes iterate one vector at
a time (SPEC.md §2.4, §4.3); here all k vectors move together:

    V <- orth(J^T J V)   (b = k + oversample JVPs and VJPs per iteration, in batches of `chunk`)

with a Rayleigh-Ritz step after every JVP batch, and convergence is judged on the subspace: the largest principal
angle between successive top-k Ritz spans (not raw entries, which flip sign and rotate inside a cluster of equal
singular values). It returns right singular vectors v_i (input space), left singular vectors u_i (output space) and
sigma_i, descending.
`power_sequential` is the reference style (one vector at a time with deflation), kept for benchmarks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from .errors import LatentDirectionsError

Batched = Callable[[torch.Tensor], torch.Tensor]  # [b, *in] -> [b, *out] (jvp) or [b, *out] -> [b, *in] (vjp)


@dataclass
class SVDResult:
    v: torch.Tensor  # [k, *in_shape], orthonormal rows
    u: torch.Tensor  # [k, *out_shape], orthonormal rows
    s: torch.Tensor  # [k], descending
    iterations: int
    max_angle: float  # largest principal angle (radians) at the last iteration
    jvps: int
    vjps: int


def _chunked(fn: Batched, x: torch.Tensor, chunk: int) -> torch.Tensor:
    return torch.cat([fn(x[i:i + chunk]).detach() for i in range(0, x.shape[0], chunk)])


def _orth_rows(w: torch.Tensor) -> torch.Tensor:
    q, _ = torch.linalg.qr(w.reshape(w.shape[0], -1).T.double())
    return q.T.to(w.dtype)


def max_principal_angle(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest principal angle between the row spans of a and b (both with orthonormal rows)."""
    return float(principal_angles(a, b).max())


def top_singular(jvp: Batched, vjp: Batched, in_shape: tuple[int, ...], k: int, iters: int = 50,
                 tol: float = 1e-3, chunk: int | None = None, generator: torch.Generator | None = None,
                 v0: torch.Tensor | None = None, check: Callable[[], None] | None = None,
                 dtype=torch.float32, device=None, oversample: int | None = None,
                 basis_blocks: int = 8) -> SVDResult:
    """Top-k singular triplets of J (given as batched jvp / vjp callables) by block subspace iteration on J^T J.

    The block holds b = k + oversample vectors (default oversample = ceil(k / 2), at least 2). Each iteration applies
    J^T J to the newest block (b JVPs, b VJPs) and does Rayleigh-Ritz on the span of the last `basis_blocks` blocks
    (a block Krylov space; Musco & Musco 2015). basis_blocks = 1 is plain subspace iteration, whose top k converge at
    the rate (sigma_{b+1} / sigma_k)^2 per iteration; the Krylov basis converges in far fewer iterations when the
    spectrum decays slowly. When the basis is full it restarts from the top-b Ritz vectors, whose J-images are known
    (no extra JVPs). Convergence is judged on the subspace: stop when the largest principal angle between successive
    top-k Ritz spans is below tol (radians). check: called every iteration (e.g. to honour an interrupt)."""
    n = math.prod(in_shape)
    k = min(int(k), n)
    p = max(2, math.ceil(k / 2)) if oversample is None else max(0, int(oversample))
    b = min(k + p, n)
    cap = max(1, min(int(basis_blocks), n // b))  # blocks kept; the basis never exceeds the input dimension
    chunk = chunk or b
    g = generator or torch.Generator().manual_seed(0)
    v = torch.randn(b, n, generator=g, dtype=torch.float64)
    if v0 is not None:
        v0 = v0.reshape(-1, n).to(torch.float64)[:b]
        v[:v0.shape[0]] = v0
    v = _orth_rows(v.to(dtype))
    v = v.to(device) if device is not None else v
    u0 = _chunked(jvp, v.reshape(b, *in_shape), chunk)
    out_shape = tuple(u0.shape[1:])
    jvps = lambda x: _chunked(jvp, x.reshape(x.shape[0], *in_shape), chunk).reshape(x.shape[0], -1)
    kv, ku = [v], [u0.reshape(b, -1)]  # orthonormal basis blocks and their images under J
    jv, vj, it = b, 0, 0
    angle, prev = math.pi / 2, None
    while True:
        basis = torch.cat(kv).double()
        # Rayleigh-Ritz on span(basis): J basis^T = images^T = P S Q^T -> right vectors Q^T basis, left P, values S
        pl, sv, qt = torch.linalg.svd(torch.cat(ku).double().T, full_matrices=False)
        ritz = qt @ basis
        if prev is not None:
            angle = max_principal_angle(prev, ritz[:k])
        if angle < tol or it >= iters:
            break
        prev = ritz[:k]
        if check:
            check()
        if len(kv) >= cap:  # restart from the top-b Ritz vectors: J ritz_i = s_i p_i
            kv, ku = [ritz[:b].to(dtype)], [(pl[:, :b] * sv[:b]).T.to(dtype)]
            basis = ritz[:b]
        w = _chunked(vjp, ku[-1].reshape(b, *out_shape), chunk)
        it += 1
        vj += b
        v = w.reshape(b, n).double()
        for _ in range(3):  # project out the basis and normalise; repeated, so that directions that collapsed to
            v = _orth_rows(v - (v @ basis.T) @ basis)  # rounding noise (J of low rank) are orthogonal to it too
        v = v.to(dtype)
        kv.append(v)
        ku.append(jvps(v))
        jv += b
    return SVDResult(v=ritz[:k].to(dtype).reshape(k, *in_shape), u=pl.T[:k].to(dtype).reshape(k, *out_shape),
                     s=sv[:k].to(dtype), iterations=it, max_angle=angle, jvps=jv, vjps=vj)


def power_sequential(jvp: Batched, vjp: Batched, in_shape: tuple[int, ...], k: int, iters: int = 50,
                     tol: float = 1e-3, generator: torch.Generator | None = None, dtype=torch.float32) -> SVDResult:
    """Reference style: power iteration on J^T J one vector at a time, deflating found vectors (no batching)."""
    n = math.prod(in_shape)
    g = generator or torch.Generator().manual_seed(0)
    found: list[torch.Tensor] = []
    jv = vj = total_it = 0
    angle = 0.0
    for _ in range(min(k, n)):
        x = torch.randn(n, generator=g, dtype=torch.float64).to(dtype)
        for it in range(1, iters + 1):
            for f in found:
                x = x - (x @ f) * f
            x = x / x.norm()
            y = vjp(jvp(x.reshape(1, *in_shape)).detach()).detach().reshape(-1).to(dtype)
            jv, vj = jv + 1, vj + 1
            for f in found:
                y = y - (y @ f) * f
            y = y / y.norm()
            angle = float(torch.arccos((x @ y).abs().clamp(max=1.0)))
            x = y
            total_it += 1
            if angle < tol:
                break
        found.append(x)
    v = torch.stack(found)
    u = jvp(v.reshape(len(found), *in_shape)).detach().to(dtype)
    jv += len(found)
    s = u.reshape(len(found), -1).norm(dim=1)
    order = torch.argsort(s, descending=True)
    return SVDResult(v=v[order].reshape(len(found), *in_shape), u=(u.reshape(len(found), -1) / s[:, None])[order].reshape(u.shape),
                     s=s[order], iterations=total_it, max_angle=angle, jvps=jv, vjps=vj)


def func_jvp_vjp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[Batched, Batched]:
    """Batched JVP / VJP callables of a per-sample function f ([B, *in] -> [B, *out]) at the point x [*in], using
    torch.func: tangents are stacked along the batch, so f runs once per chunk on x repeated."""
    from torch.func import jvp as fjvp
    from torch.func import vjp as fvjp

    def jvp(v):
        xs = x.unsqueeze(0).expand(v.shape[0], *x.shape).contiguous()
        return fjvp(f, (xs,), (v.to(x.dtype),))[1]

    def vjp(u):
        xs = x.unsqueeze(0).expand(u.shape[0], *x.shape).contiguous()
        _, pull = fvjp(f, xs)
        return pull(u.to(x.dtype))[0]

    return jvp, vjp


def parallel_transport(u_a: torch.Tensor, u_b: torch.Tensor, v_b: torch.Tensor) -> torch.Tensor:
    """Park et al. (NeurIPS code `run_edit_parallel_transport`): move the h-direction u_a [*h] found on sample A into
    sample B's basis: v = normalize(V_B U_B^T u_a), with U_B [k, *h] and V_B [k, *x] the pullback singular vectors at
    B (same t). Returns the unit x-space direction [*x] for B."""
    coef = u_b.reshape(u_b.shape[0], -1).double() @ u_a.reshape(-1).double()
    v = coef @ v_b.reshape(v_b.shape[0], -1).double()
    return (v / v.norm().clamp_min(1e-30)).to(v_b.dtype).reshape(v_b.shape[1:])


def principal_angles(u1: torch.Tensor, u2: torch.Tensor) -> torch.Tensor:
    """Principal angles (ascending) between the row spans of u1 [k1, *h] and u2 [k2, *h]. Rows are re-orthonormalised
    in float64 and small angles come from sines (arccos of cosines near 1 loses half the digits; Knyazev & Argentati
    2002)."""
    q1, q2 = _orth_rows(u1.double()).reshape(u1.shape[0], -1), _orth_rows(u2.double()).reshape(u2.shape[0], -1)
    if q1.shape[0] > q2.shape[0]:
        q1, q2 = q2, q1
    cos = torch.linalg.svdvals(q1 @ q2.T).clamp(0.0, 1.0)  # descending
    sin = torch.linalg.svdvals(q1 - (q1 @ q2.T) @ q2).clamp(0.0, 1.0).flip(0)  # ascending
    return torch.where(cos > 0.5 ** 0.5, torch.arcsin(sin), torch.arccos(cos))


def tangent_distance(u1: torch.Tensor, u2: torch.Tensor) -> float:
    """Geodesic (Grassmann) distance between two tangent spaces spanned by the rows of u1, u2 [k, *h]:
    sqrt(sum_k theta_k^2), theta_k the principal angles (Park et al. v1 §4.2)."""
    return float(principal_angles(u1, u2).pow(2).sum().sqrt())


def output_mask(mask: torch.Tensor, hw: tuple[int, int], node: str) -> torch.Tensor:
    """Haas et al. eqs. 9-10 (masked Jacobian d(M * eps)/dh): a ComfyUI MASK [H, W] or [B, H, W] (the first is used),
    in pixels or latent cells, area-resized to the model output's H x W -> [1, 1, H, W]. Soft values are kept (the
    paper's M is binary; a soft M weights the region)."""
    m = mask.detach().float()
    m = m.reshape(-1, *m.shape[-2:])[:1] if m.dim() >= 2 else m
    if m.dim() != 3 or m.numel() == 0:
        raise LatentDirectionsError(node, f"the mask has shape {tuple(mask.shape)}", "Connect a MASK of shape [H, W]")
    mh, mw = m.shape[-2:]
    if abs(mw - hw[1] * mh / hw[0]) > mh / hw[0]:  # more than one latent cell off
        raise LatentDirectionsError(node, f"the mask is {mh}x{mw} but the image is {hw[0]}x{hw[1]} latent cells "
                                          "(another aspect ratio)", "Use a mask of the image's size")
    m = torch.nn.functional.interpolate(m.unsqueeze(0), size=tuple(hw), mode="area")
    if float(m.abs().max()) <= 0.0:
        raise LatentDirectionsError(node, "the mask is empty (all zero), so the masked Jacobian is zero",
                                    "Paint the region whose noise prediction should change")
    return m
