"""PCA against a dense reference (full SVD of stored h) for per-timestep and pooled modes."""
import torch

from latent_directions.core import pca as P


def _dense(x: torch.Tensor, k: int):
    xc = (x - x.mean(0)).double()
    u, s, vt = torch.linalg.svd(xc, full_matrices=False)
    return vt[:k], s[:k] / (x.shape[0] - 1) ** 0.5, s[:k] ** 2 / (xc ** 2).sum()


def _check(comp, std, ratio, ref):
    rv, rs, rr = ref
    cos = (comp.double() * rv).sum(-1).abs()
    assert (cos >= 0.999).all(), cos
    assert torch.allclose(std.double(), rs, rtol=1e-4)
    assert torch.allclose(ratio.double(), rr, rtol=1e-4)


def _trajectories(n=40, T=5, shape=(6, 3, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    D = int(torch.tensor(shape).prod())
    # low-rank structure plus noise, different per step
    base = torch.randn(T, 4, D, generator=g) * torch.tensor([5.0, 3.0, 2.0, 1.5]).view(1, 4, 1)
    coef = torch.randn(n, 4, generator=g)
    h = torch.einsum("nk,tkd->ntd", coef, base) + 0.3 * torch.randn(n, T, D, generator=g) + 2.0
    ts = [999.0, 750.5, 500.0, 250.0, 1.0]
    return h.reshape(n, T, *shape), ts


def test_per_timestep_matches_full_svd_streamed_in_batches():
    h, ts = _trajectories()
    k = 4
    pca = P.TrajectoryPCA(k, "per_timestep", rank_cap=48)  # >= N: exact
    for i in range(0, h.shape[0], 7):
        pca.feed({t: h[i:i + 7, j] for j, t in enumerate(ts)})
    out = pca.direction_parts()
    assert out["vectors"].shape == (k, 5, 6, 3, 3)
    for j, t in enumerate(ts):
        col = int((out["timesteps"] == t).nonzero())
        ref = _dense(h[:, j].reshape(h.shape[0], -1), k)
        _check(out["vectors"][:, col].reshape(k, -1), out["scales"][:, col], out["explained_variance"][:, col], ref)
        assert torch.allclose(out["mean"][col], h[:, j].mean(0), atol=1e-5)


def test_streaming_with_small_rank_cap_stays_close_on_low_rank_data():
    h, ts = _trajectories(n=200, seed=1)
    pca = P.TrajectoryPCA(3, "per_timestep")  # default cap 19 < N = 200
    for i in range(0, 200, 16):
        pca.feed({t: h[i:i + 16, j] for j, t in enumerate(ts)})
    out = pca.direction_parts()
    for j, t in enumerate(ts):
        col = int((out["timesteps"] == t).nonzero())
        rv, rs, _ = _dense(h[:, j].reshape(200, -1), 3)
        cos = (out["vectors"][:, col].reshape(3, -1).double() * rv).sum(-1).abs()
        assert (cos >= 0.999).all()
        assert torch.allclose(out["scales"][:, col].double(), rs, rtol=1e-3)


def test_pooled_matches_full_svd():
    h, ts = _trajectories(seed=2)
    k = 3
    pca = P.TrajectoryPCA(k, "pooled", rank_cap=64)
    for i in range(0, h.shape[0], 9):
        pca.feed({t: h[i:i + 9, j] for j, t in enumerate(ts)})
    out = pca.direction_parts()
    vec = out["vectors"].reshape(k, -1)  # concatenated in sampling order (descending t)
    ref = _dense(h.reshape(h.shape[0], -1), k)
    _check(vec, out["scales"][:, 0], out["explained_variance"][:, 0], ref)


def test_signs_are_aligned_across_steps():
    h, ts = _trajectories(seed=3)
    pca = P.TrajectoryPCA(2, rank_cap=48)
    pca.feed({t: h[:, j] for j, t in enumerate(ts)})
    v = pca.direction_parts()["vectors"].reshape(2, 5, -1)
    dots = (v[:, 1:] * v[:, :-1]).sum(-1)
    assert (dots >= 0).all()


def _dense_transport(h: torch.Tensor, k: int):
    """Dense reference of the transported mode: full SVD per step, last step's top k, then per step the orthogonal
    Procrustes fit of the next step's vectors inside that step's principal subspace (all non-null PCs)."""
    n, T = h.shape[0], h.shape[1]
    out = [None] * T
    _, _, vt = torch.linalg.svd((h[:, -1] - h[:, -1].mean(0)).double(), full_matrices=False)
    out[-1] = vt[:k]
    for j in range(T - 2, -1, -1):
        _, s, vt = torch.linalg.svd((h[:, j] - h[:, j].mean(0)).double(), full_matrices=False)
        q = vt[s > s[0] * 1e-6]
        u, _, wt = torch.linalg.svd(q @ out[j + 1].T, full_matrices=False)
        out[j] = (u @ wt).T @ q
    return out


def test_transported_matches_dense_procrustes_reference():
    h, ts = _trajectories(seed=4)
    h = h.reshape(h.shape[0], h.shape[1], -1)
    k = 3
    pca = P.TrajectoryPCA(k, "transported", rank_cap=48)  # >= N: the stored subspaces are exact
    for i in range(0, h.shape[0], 8):
        pca.feed({t: h[i:i + 8, j] for j, t in enumerate(ts)})
    out = pca.direction_parts()
    ref = _dense_transport(h, k)
    v = out["vectors"].reshape(k, len(ts), -1).double()
    for j in range(len(ts)):
        cos = (v[:, j] * ref[j]).sum(-1).abs()
        assert (cos >= 0.999).all(), (j, cos)
        assert torch.allclose(v[:, j] @ v[:, j].T, torch.eye(k, dtype=torch.float64), atol=1e-5)
        xc = (h[:, j] - h[:, j].mean(0)).double()
        std = (xc @ v[:, j].T).std(0)  # unbiased: N - 1
        assert torch.allclose(out["scales"][:, j].double(), std, rtol=1e-4)
        ratio = (xc @ v[:, j].T).pow(2).sum(0) / xc.pow(2).sum()
        assert torch.allclose(out["explained_variance"][:, j].double(), ratio, rtol=1e-4)
    # the last step is plain PCA; an earlier step is not (its own PCs rotate away from the next step's)
    _check(v[:, -1], out["scales"][:, -1], out["explained_variance"][:, -1], _dense(h[:, -1], k))
    own = _dense(h[:, 0], k)[0]
    assert ((v[:, 0] * own).sum(-1).abs() < 0.99).any()
