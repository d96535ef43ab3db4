"""Linear SVM boundaries in h (or x_t) and the one-step move across them (BoundaryDiffusion, Zhu et al. 2023).

The reference code fits sklearn's SVC(kernel="linear", C=1) on flattened features and uses the unit normal
n = w / |w|; its "distance" is the projection <h, n> through the origin (intercept unused), and the edit moves h to
a target d: h' = h + (d - <h, n>) n (SPEC.md §3.3-3.4). With N << D the same libsvm problem is solved on the N x N
Gram matrix (kernel="precomputed"), and w = sum_i alpha_i y_i x_i is assembled from the support vectors: memory
O(N^2 + N D) instead of libsvm copying N x D features, and the same normal. The same fit on x_t features (the
paper's "z-space" boundary, §3.3) gives the normal the x_t move uses. radius_match is the radius-matching proxy for
the mixing step (§3.2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Boundary:
    normal: torch.Tensor  # unit, [*shape]
    intercept: float  # b / |w|: signed SVM distance = <x, n> + intercept
    train_accuracy: float
    test_accuracy: float | None
    n_support: int


def fit_linear_svm(x: torch.Tensor, y, x_test: torch.Tensor | None = None, y_test=None, c: float = 1.0,
                   via: str = "gram") -> Boundary:
    """x [N, *shape], labels y in {0, 1} or {-1, +1}. via: "gram" (N x N kernel) or "direct" (features)."""
    from sklearn.svm import SVC
    y = np.where(np.asarray(y) > 0, 1, -1)
    if len(np.unique(y)) < 2:
        raise ValueError("the labels hold only one class")
    shape = x.shape[1:]
    xf = x.reshape(x.shape[0], -1).float()  # a view when x is already fp32: no N x D copy
    if via == "gram":
        svc = SVC(kernel="precomputed", C=c).fit((xf @ xf.T).double().numpy(), y)
        alpha = torch.zeros(xf.shape[0])
        alpha[torch.from_numpy(svc.support_)] = torch.from_numpy(svc.dual_coef_[0]).float()
        w = (alpha @ xf).double()  # w = sum_i alpha_i y_i x_i without gathering the support rows
        predict = lambda z: np.sign((z.reshape(z.shape[0], -1).float() @ w.float()).double().numpy()
                                    + svc.intercept_[0])
    elif via == "direct":
        svc = SVC(kernel="linear", C=c).fit(xf.double().numpy(), y)
        w = torch.from_numpy(svc.coef_[0]).double()
        predict = lambda z: svc.predict(z.reshape(z.shape[0], -1).double().numpy())
    else:
        raise ValueError(f"via must be gram or direct, got {via!r}")
    norm = float(w.norm())
    acc = lambda z, t: float((predict(z) == np.where(np.asarray(t) > 0, 1, -1)).mean())
    return Boundary(normal=(w / norm).float().reshape(shape), intercept=float(svc.intercept_[0]) / norm,
                    train_accuracy=acc(x, y), test_accuracy=acc(x_test, y_test) if x_test is not None else None,
                    n_support=int(len(svc.support_)))


def projection(h: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    """<h, n> per row of h [B, *shape] (the reference code's signed distance)."""
    return h.reshape(h.shape[0], -1).float() @ normal.reshape(-1).float()


def move_to_distance(h: torch.Tensor, normal: torch.Tensor, d) -> torch.Tensor:
    """h' = h + (d - <h, n>) n, per row; d a number or [B]."""
    d = torch.as_tensor(d, dtype=torch.float32, device=h.device)
    step = (d - projection(h, normal)).view(-1, *[1] * (h.dim() - 1))
    return (h.float() + step * normal.to(h.device).float()).to(h.dtype)


TARGETS = ("class A side", "class B side", "signed distance d (reference code)")
DEFAULT_DISTANCE = 8.0  # class separations past the midpoint (measured in docs/supervised_effects.md)


def target_distance(target: str, value: float, mean_a: float, mean_b: float) -> float:
    """The signed distance <h, n> to move to. The reference code's d is absolute (SPEC.md §3.4), so its useful range
    depends on the model; the class sides are relative to the two classes' mean distances m_A, m_B (our addition; the
    boundary records them on its held-out examples, as training examples sit at the margin when N << D):
    d = (m_A + m_B) / 2 + value * (m_side - m_other), i.e. value class separations past the midpoint (0.5 = the
    side's own mean)."""
    if target == TARGETS[2]:
        return float(value)
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    side, other = (mean_a, mean_b) if target == TARGETS[0] else (mean_b, mean_a)
    return 0.5 * (mean_a + mean_b) + float(value) * (side - other)


def radius_match(r_sampled, r_inverted, delta: float) -> tuple[int, bool]:
    """Radius-matching proxy for the mixing step (SPEC.md §3.2 proxy 1, [INFERRED]; the paper's criterion is not
    public): inputs in sampling order (high t first); the first (noisiest) index whose relative gap
    |r_s - r_i| / r_s is below delta -> (index, True), else the index of the smallest gap -> (index, False)."""
    rs, ri = np.asarray(r_sampled, dtype=float), np.asarray(r_inverted, dtype=float)
    gap = np.abs(rs - ri) / np.maximum(rs, 1e-12)
    ok = np.nonzero(gap < delta)[0]
    return (int(ok[0]), True) if len(ok) else (int(np.argmin(gap)), False)
