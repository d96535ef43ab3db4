"""Mean difference, projection, Gram-Schmidt and the SVM boundary against direct references."""
import numpy as np
import pytest
import torch

from latent_directions.core import boundary as B
from latent_directions.core import supervised as S


def test_mean_difference_is_eq_11():
    g = torch.Generator().manual_seed(0)
    pos, neg = torch.randn(5, 3, 2, 4, generator=g) + 1.0, torch.randn(7, 3, 2, 4, generator=g)
    unit, scale = S.mean_difference(pos, neg)
    want = pos.mean(0) - neg.mean(0)
    assert torch.allclose(unit * scale.view(3, 1, 1), want, atol=1e-6)
    assert torch.allclose(unit.reshape(3, -1).norm(dim=1), torch.ones(3), atol=1e-6)


def test_projection_removes_the_span():
    g = torch.Generator().manual_seed(1)
    others, v0 = torch.randn(3, 20, generator=g), torch.randn(20, generator=g)
    v = S.project_out(v0, others)
    assert torch.allclose(others @ v, torch.zeros(3), atol=1e-5)
    p = others.T @ torch.linalg.solve(others @ others.T, others @ v0)  # dense reference
    assert torch.allclose(v, v0 - p, atol=1e-5)
    q = S.gram_schmidt(torch.randn(4, 10, generator=g))
    assert torch.allclose(q @ q.T, torch.eye(4), atol=1e-5)


@pytest.mark.parametrize("c", [1.0, 0.01])  # 0.01: demo_boundary_stripes' C, most examples at the bound
def test_svm_gram_route_equals_direct_solver(c):
    g = torch.Generator().manual_seed(2)
    n, d = 60, 500
    w = torch.randn(d, generator=g)
    x = torch.randn(n, d, generator=g)
    y = (x @ w + 0.5 * torch.randn(n, generator=g) > 0).long().numpy()
    xt = torch.randn(40, d, generator=g)
    yt = (xt @ w > 0).long().numpy()
    a = B.fit_linear_svm(x, y, xt, yt, c=c, via="gram")
    b = B.fit_linear_svm(x, y, xt, yt, c=c, via="direct")
    assert abs(float(a.normal @ b.normal)) >= 0.999
    assert abs(a.intercept - b.intercept) < 1e-3 * max(1.0, abs(b.intercept))
    assert a.train_accuracy == b.train_accuracy and a.test_accuracy == b.test_accuracy
    assert a.test_accuracy > 0.5


def test_move_to_distance():
    n = torch.tensor([0.6, 0.8])
    h = torch.tensor([[1.0, 1.0], [-2.0, 0.5]])
    out = B.move_to_distance(h, n, 3.0)
    assert torch.allclose(B.projection(out, n), torch.full((2,), 3.0))
    orth = torch.tensor([0.8, -0.6])
    assert torch.allclose(out @ orth, h @ orth)  # the orthogonal part is untouched
    assert np.isclose(float(B.projection(h, n)[0]), 1.4)


def test_radius_match_picks_the_noisiest_step_within_delta():
    assert B.radius_match([100, 90, 80, 70], [130, 91, 80.5, 70], 0.02) == (1, True)
    assert B.radius_match([100, 90], [130, 80], 0.02) == (1, False)  # none within: the smallest gap
