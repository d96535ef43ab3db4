"""Jacobian engine against the SVD of dense Jacobians on small networks."""
import pytest
import torch

from latent_directions.core import jacobian as J


def _net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3, padding=1), torch.nn.GroupNorm(2, 6), torch.nn.SiLU(),
                               torch.nn.Conv2d(6, 3, 3, padding=1, stride=2)).double()


def _dense(f, x):
    jac = torch.autograd.functional.jacobian(lambda z: f(z.unsqueeze(0))[0], x)
    m = jac.reshape(-1, x.numel())
    u, s, vt = torch.linalg.svd(m)
    return u, s, vt


@pytest.mark.parametrize("k,chunk", [(1, None), (4, None), (6, 2)])
def test_block_iteration_matches_dense_svd(k, chunk):
    f = _net()
    x = torch.randn(2, 6, 6, dtype=torch.float64)
    jvp, vjp = J.func_jvp_vjp(f, x)
    res = J.top_singular(jvp, vjp, tuple(x.shape), k, iters=500, tol=1e-7, chunk=chunk, dtype=torch.float64)
    u, s, vt = _dense(f, x)
    assert torch.allclose(res.s, s[:k], rtol=1e-5)
    cos_v = (res.v.reshape(k, -1) * vt[:k]).sum(1).abs()
    cos_u = (res.u.reshape(k, -1) * u[:, :k].T).sum(1).abs()
    assert (cos_v > 0.999).all() and (cos_u > 0.999).all(), (cos_v, cos_u)
    assert res.iterations < 500 and res.max_angle < 1e-7
    b = k + max(2, -(-k // 2))  # the default oversampled block
    assert res.jvps == b * (res.iterations + 1) and res.vjps == b * res.iterations


def test_subspace_tolerance_stops_early_and_sequential_agrees():
    f = _net(1)
    x = torch.randn(2, 6, 6, dtype=torch.float64)
    jvp, vjp = J.func_jvp_vjp(f, x)
    _, s, _ = _dense(f, x)
    block = J.top_singular(jvp, vjp, tuple(x.shape), 3, iters=1000, tol=1e-4, dtype=torch.float64)
    seq = J.power_sequential(jvp, vjp, tuple(x.shape), 3, iters=2000, tol=1e-6, dtype=torch.float64)
    assert torch.allclose(block.s, s[:3], rtol=1e-3)
    assert torch.allclose(seq.s, s[:3], rtol=1e-3)
    assert block.jvps + block.vjps < seq.jvps + seq.vjps


def test_principal_angle():
    a = torch.eye(4)[:2]
    b = torch.stack([torch.tensor([1.0, 0, 0, 0]), torch.tensor([0, 2 ** -0.5, 2 ** -0.5, 0])])
    assert abs(J.max_principal_angle(a, b) - torch.pi / 4) < 1e-6
    assert J.max_principal_angle(a, a.flip(0)) < 1e-6


def test_parallel_transport_and_tangent_distance():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(12, 12, generator=g, dtype=torch.float64))
    u_b, v_b = q[:3], torch.eye(5, dtype=torch.float64)[:3]  # B's basis: u_b[i] <-> v_b[i]
    # a direction lying along B's second h vector maps to B's second x vector
    assert torch.allclose(J.parallel_transport(u_b[1] * 3.0, u_b, v_b), v_b[1])
    mix = J.parallel_transport(u_b[0] + u_b[2], u_b, v_b)
    assert torch.allclose(mix, (v_b[0] + v_b[2]) / 2 ** 0.5)
    assert J.tangent_distance(u_b, u_b.flip(0)) < 1e-6
    assert abs(J.tangent_distance(q[:1], q[1:2]) - torch.pi / 2) < 1e-6


def test_krylov_basis_needs_fewer_iterations_than_plain_subspace_iteration():
    f = _net(2)
    x = torch.randn(2, 6, 6, dtype=torch.float64)
    jvp, vjp = J.func_jvp_vjp(f, x)
    _, s, vt = _dense(f, x)
    plain = J.top_singular(jvp, vjp, tuple(x.shape), 3, iters=2000, tol=1e-8, dtype=torch.float64, basis_blocks=1,
                           oversample=0)
    krylov = J.top_singular(jvp, vjp, tuple(x.shape), 3, iters=2000, tol=1e-8, dtype=torch.float64)
    for res in (plain, krylov):
        assert torch.allclose(res.s, s[:3], rtol=1e-6)
        assert ((res.v.reshape(3, -1) * vt[:3]).sum(1).abs() > 0.9999).all()
    assert krylov.iterations * 2 <= plain.iterations, (krylov.iterations, plain.iterations)


def test_krylov_basis_stays_orthonormal_past_the_rank_of_j():
    """A rank-27 Jacobian with a 48-vector basis: collapsed directions must not corrupt Rayleigh-Ritz."""
    f = _net(0)
    x = torch.randn(2, 6, 6, dtype=torch.float64)
    jvp, vjp = J.func_jvp_vjp(f, x)
    _, s, _ = _dense(f, x)
    res = J.top_singular(jvp, vjp, tuple(x.shape), 4, iters=60, tol=1e-12, dtype=torch.float64, basis_blocks=8)
    assert torch.allclose(res.s, s[:4], rtol=1e-6)
