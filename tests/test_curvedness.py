"""Tangent-space distance, path length and the curvedness node, against dense pullback Jacobians on a tiny U-Net."""
import math

import pytest
import torch
from torch.func import jacrev

from conftest import sd15_conds
from latent_directions.core import curvedness as C


def test_paths_and_lengths():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    lp, sp = C.lerp_path(a, b, 4), C.slerp_path(a, b, 4)
    assert torch.equal(lp[0], a) and torch.allclose(lp[-1], b) and torch.allclose(lp[2], torch.tensor([1.5, 1.5]))
    assert torch.allclose(sp.norm(dim=1), torch.full((5,), 3.0)) and torch.allclose(sp[-1], b, atol=1e-6)
    assert torch.allclose(C.slerp_path(a, 2 * a, 3), C.lerp_path(a, 2 * a, 3))  # parallel: lerp
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    rot = lambda th: torch.stack([math.cos(th) * q[0] + math.sin(th) * q[2], q[1]])
    total, seg = C.path_length([rot(0.0), rot(0.3), rot(0.7)])
    assert abs(total - 0.7) < 1e-6 and abs(seg[0] - 0.3) < 1e-6  # one principal angle grows: lengths add


def _dense_u(f, x, k):
    jac = jacrev(lambda z: f(z.unsqueeze(0))[0])(x)
    u, _, _ = torch.linalg.svd(jac.reshape(-1, x.numel()).double(), full_matrices=False)
    return u[:, :k].T


def test_measure_matches_dense_pullback_bases(tiny_sd15):
    from latent_directions.core.backends import comfy_curvedness as CC
    from latent_directions.core.backends import comfy_jacobian as CJ
    pos, neg = sd15_conds()
    latent = torch.zeros(1, 4, 8, 8)
    with torch.inference_mode():
        c = CC.measure(tiny_sd15, pos, neg, latent, 1, 2, 2, 2.0, "euler", "normal", 2, 400, 1e-6, 2, 2, "t")
        runs = [CJ.capture_calls(tiny_sd15, pos, neg, latent, s, 2, 2.0, "euler", "normal", "t") for s in (1, 2)]
    assert len(c.t) == 1 and c.step_change == [] and c.bases == 4  # every=2: the first step only
    dm = tiny_sd15.model.diffusion_model
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        for i in range(1):  # the noisiest step: well separated singular values, fast convergence
            a, b = runs[0][i], runs[1][i]
            f = CJ.encoder_fn(dm, state, a)
            u = [_dense_u(f, p, 2) for p in C.slerp_path(a.x[0].clone(), b.x[0].clone(), 2)]
            ul = _dense_u(f, C.lerp_path(a.x[0].clone(), b.x[0].clone(), 2)[1], 2)
            assert abs(c.a_to_b[i] - C.tangent_distance(u[0], u[2])) < 1e-3
            assert abs(c.slerp[i] - C.path_length(u)[0]) < 1e-3
            assert abs(c.lerp[i] - C.path_length([u[0], ul, u[2]])[0]) < 1e-3
    assert all(0 < d < 2 ** 0.5 * math.pi / 2 for d in c.a_to_b)


def test_node_plot_report_and_errors(tiny_sd15):
    from latent_directions.core.errors import LatentDirectionsError
    from latent_directions.nodes import curvedness as N
    pos, neg = sd15_conds()
    latent = {"samples": torch.zeros(1, 4, 8, 8)}
    with torch.inference_mode():
        out = N.TangentCurvedness.execute(tiny_sd15, pos, neg, latent, 0, 1, 4, 2.0, "euler", "normal", 2, 20, 1e-3,
                                          2, 2)
    plot, text = out.args
    assert plot.shape[0] == 1 and plot.shape[-1] == 3 and plot.dtype == torch.float32
    assert text.count("t=") == 2 and "lerp/slerp" in text and "trajectory A path length" in text
    with pytest.raises(LatentDirectionsError, match=r"^Tangent-Space Curvedness: seed_a and seed_b are the same"):
        N.TangentCurvedness.execute(tiny_sd15, pos, neg, latent, 3, 3, 4, 2.0, "euler", "normal", 2, 20, 1e-3, 2, 1)
