"""h-space PCA (Haas et al. 2023, §IV-A "Unsupervised global directions"; SPEC.md §2.3).

For each sampling timestep separately, the centred h_t of N samples are decomposed; component k at step t is a unit
vector u_{k,t} with scale s_{k,t} = sigma_k / sqrt(N - 1), the standard deviation of h_t along it (the reference
code's path A; the paper's editing strength is then in std units). Signs are aligned across steps (each step to its
neighbour, so slowly rotating components keep one orientation; the reference code aligns every step to step 0).
A pooled variant decomposes the whole trajectory (N x T*D) at once (reference `get_PCs_all`; not the paper's choice).

Mode "transported" (ours, not in the papers): per-step PCs are ranked by that step's variance, and neighbouring
steps' ranks swap where variances are close (on the demo model PC0 follows no measured factor above t ≈ 740 and
is centre y from t ≈ 680 down), so one "PC0" edit applied over all steps mixes factors. Transported components
start as the top K PCs of the last (least noisy) step and are carried back step by step: at each step the K
orthonormal vectors inside that step's top-r principal subspace closest to the next step's (orthogonal Procrustes,
the polar factor of Q_t V_{t+1}^T). Each keeps the std of h_t along it as its scale. Measured in docs/pca_factors.md.

Memory does not grow with N: an incremental SVD (Ross et al. 2008, the algorithm behind IncrementalPCA) keeps per
step a rank-r basis r x D, the mean and the total variance, merging each batch exactly; it is exact while N <= r,
and r = rank_cap (default max(2K, K + 16)) bounds it otherwise.
"""
from __future__ import annotations

import torch


class StreamingPCA:
    """Centred PCA of rows fed in batches: partial_fit(X [m, D]) ... then components(k)."""

    def __init__(self, rank_cap: int):
        self.r = int(rank_cap)
        self.n = 0
        self.mean: torch.Tensor | None = None
        self.basis: torch.Tensor | None = None  # [r', D] = diag(sigma) @ V^T of the centred data so far
        self.total_ss = 0.0  # sum of squared deviations from the mean (exact)

    def partial_fit(self, x: torch.Tensor) -> None:
        """Merge a batch exactly: the stored basis and mean are float32, the small Gram solve is float64."""
        x = x.detach().reshape(x.shape[0], -1).float()
        m = x.shape[0]
        if m == 0:
            return
        mu_b = x.double().mean(0)
        xc = x - mu_b.float()
        ss_b = float(xc.double().pow(2).sum())
        if self.n == 0:
            self.mean, stack, self.total_ss = mu_b, xc, ss_b
        else:
            n = self.n
            d = mu_b - self.mean
            corr = ((n * m / (n + m)) ** 0.5 * d).float()
            stack = torch.cat([self.basis, xc, corr.unsqueeze(0)])
            self.total_ss += ss_b + float((d ** 2).sum()) * n * m / (n + m)
            self.mean = self.mean + d * (m / (n + m))
        self.n += m
        self.basis = _top_rows(stack, self.r)

    def components(self, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(unit components [k, D], std along each [k], explained-variance ratio [k]) in float32."""
        if self.basis is None or self.n < 2:
            raise ValueError("PCA needs at least 2 samples")
        k = min(int(k), self.basis.shape[0])
        b = self.basis[:k].double()
        sig = b.norm(dim=1)
        comp = b / sig.clamp_min(1e-30).unsqueeze(1)
        std = sig / (self.n - 1) ** 0.5
        ratio = sig ** 2 / max(self.total_ss, 1e-30)
        return comp.float(), std.float(), ratio.float()


def _top_rows(stack: torch.Tensor, r: int) -> torch.Tensor:
    """Rows diag(sigma_i) v_i^T of the top-r right singular triplets of stack [p, D] (float32), via the p x p Gram
    matrix solved in float64."""
    s64 = stack.double()
    evals, evecs = torch.linalg.eigh(s64 @ s64.T)
    order = torch.argsort(evals, descending=True)[:r]
    evals, evecs = evals[order].clamp_min(0.0), evecs[:, order]
    keep = evals > evals[0] * 1e-24 if len(evals) else evals > 0
    rows = evecs[:, keep].T @ s64  # = U^T stack
    del s64
    idx = rows.abs().argmax(dim=1)  # deterministic sign: largest-magnitude entry positive
    sgn = torch.sign(rows[torch.arange(rows.shape[0]), idx])
    return (rows * sgn.unsqueeze(1)).float()


def align_signs(components: torch.Tensor) -> torch.Tensor:
    """components [K, T, D]: flip step t of each component so that it has a non-negative inner product with
    step t-1 (the steps ordered as given)."""
    out = components.clone()
    for t in range(1, out.shape[1]):
        dots = (out[:, t] * out[:, t - 1]).sum(-1)
        out[:, t] *= torch.where(dots < 0, -1.0, 1.0).unsqueeze(-1)
    return out


MODES = ("per_timestep", "transported", "pooled")


def transport_components(bases: list[torch.Tensor], k: int) -> list[torch.Tensor]:
    """bases: per step (sampling order) the rows sigma_i v_i^T [r, D]. Returns per step k orthonormal vectors [k, D]
    inside that step's top-r principal subspace, each step's the closest (orthogonal Procrustes) to the next step's;
    the last (least noisy) step keeps its top k PCs."""
    qs = []
    for b in bases:
        b = b.double()
        sig = b.norm(dim=1)
        b = b[sig > sig[0] * 1e-6]  # numerically null rows carry no direction
        qs.append(b / b.norm(dim=1, keepdim=True))  # [r', D] orthonormal PCs of the step
    k = min(k, *(len(q) for q in qs))
    out = [None] * len(bases)
    out[-1] = qs[-1][:k]
    for i in range(len(bases) - 2, -1, -1):
        q = qs[i]
        m = q @ out[i + 1].T  # [r', k]
        u, _, wt = torch.linalg.svd(m, full_matrices=False)
        out[i] = (u @ wt).T @ q
    return out


def default_rank_cap(k: int) -> int:
    return max(2 * k, k + 16)


class TrajectoryPCA:
    """Per-timestep (mode "per_timestep") or pooled-trajectory (mode "pooled") PCA of h, fed one batch of
    trajectories at a time: feed({t: h [B, *shape]}), then direction_parts(k)."""

    def __init__(self, k: int, mode: str = "per_timestep", rank_cap: int | None = None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.k, self.mode = int(k), mode
        self.rank_cap = rank_cap or default_rank_cap(self.k)
        self.steps: dict[float, StreamingPCA] = {}
        self.pooled = StreamingPCA(self.rank_cap)
        self.ts: list[float] | None = None
        self.shape: tuple[int, ...] | None = None
        self.n = 0

    def feed(self, traj: dict[float, torch.Tensor]) -> None:
        ts = sorted(traj, reverse=True)  # sampling order: noisiest first
        if self.ts is None:
            self.ts, self.shape = ts, tuple(traj[ts[0]].shape[1:])
        elif ts != self.ts:
            raise ValueError("every batch must be sampled at the same timesteps (same steps, sampler, scheduler)")
        if self.mode != "pooled":
            for t in ts:
                self.steps.setdefault(t, StreamingPCA(self.rank_cap)).partial_fit(traj[t])
        else:
            self.pooled.partial_fit(torch.cat([traj[t].reshape(traj[t].shape[0], -1) for t in ts], dim=1))
        self.n += int(traj[ts[0]].shape[0])

    def direction_parts(self) -> dict:
        """vectors [K, T, *shape], timesteps [T], scales [K, T], explained_variance [K, T], mean [T, *shape]."""
        if self.ts is None or self.n < 2:
            raise ValueError("PCA needs at least 2 samples")
        T, D = len(self.ts), int(torch.tensor(self.shape).prod())
        if self.mode == "per_timestep":
            parts = [self.steps[t].components(self.k) for t in self.ts]
            k = min(p[0].shape[0] for p in parts)
            comps = torch.stack([p[0][:k] for p in parts], dim=1)  # [K, T, D]
            comps = align_signs(comps)
            scales = torch.stack([p[1][:k] for p in parts], dim=1)
            ratio = torch.stack([p[2][:k] for p in parts], dim=1)
            mean = torch.stack([self.steps[t].mean.float() for t in self.ts])
        elif self.mode == "transported":
            sp = [self.steps[t] for t in self.ts]
            vecs = transport_components([p.basis for p in sp], self.k)
            k = vecs[0].shape[0]
            comps = align_signs(torch.stack(vecs, dim=1).float())
            proj = torch.stack([(p.basis.double() @ v.T).norm(dim=0) for p, v in zip(sp, vecs)], dim=1)  # [K, T]
            scales = (proj / (self.n - 1) ** 0.5).float()
            ratio = torch.stack([proj[:, i] ** 2 / max(p.total_ss, 1e-30) for i, p in enumerate(sp)], dim=1).float()
            mean = torch.stack([p.mean.float() for p in sp])
        else:
            comp, std, ratio1 = self.pooled.components(self.k)
            k = comp.shape[0]
            comps = comp.reshape(k, T, D)
            scales = std.unsqueeze(1).expand(k, T).clone()
            ratio = ratio1.unsqueeze(1).expand(k, T).clone()
            mean = self.pooled.mean.float().reshape(T, D)
        return {"vectors": comps.reshape(k, T, *self.shape), "timesteps": torch.tensor(self.ts),
                "scales": scales, "explained_variance": ratio, "mean": mean.reshape(T, *self.shape)}
