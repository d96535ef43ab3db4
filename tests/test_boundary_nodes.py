"""SVM Boundary and Boundary Edit on the real ComfyUI (tiny SD1.5-shaped model)."""
import pytest
import torch

from conftest import sample, sd15_conds
from latent_directions.core import tap as T
from latent_directions.core.backends import comfy_unet as CU
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import boundary as B

LATENT = {"samples": torch.zeros(1, 4, 16, 16)}


@pytest.fixture(scope="module")
def svm(tiny_sd15):
    a, neg = sd15_conds(seed=0)
    b, _ = sd15_conds(seed=5)
    return B.SVMBoundary.execute(tiny_sd15, a, b, neg, LATENT, "0-9", "0-9", 0.5, 4, 2.0, "euler", "normal",
                                 "cond", 1.0, 5).args, (a, b, neg)


def test_boundary_separates_two_prompts(svm):
    (d, report), _ = svm
    assert d.meta["method"] == "svm_boundary" and d.k == 1 and len(d.timesteps) == 1
    assert abs(float(d.vectors.norm()) - 1.0) < 1e-5
    assert d.meta["params"]["train_accuracy"] == 1.0 and "held-out" in report


def test_edit_moves_h_to_the_distance_once(comfy, tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    before, after = [], []
    m0 = tiny_sd15.clone()
    m0.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: before.append((i, h))), None))
    m = B.BoundaryEdit.execute(m0, d, 7.5, "both").args[0]
    m.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: after.append((i, h))), None))
    n = d.vectors[0, 0].reshape(-1)
    for run in range(2):  # the single-step state resets between runs
        before.clear(), after.clear()
        sample(comfy, m, a, neg, steps=6)
        changed = [k for k, ((i, hb), (_, ha)) in enumerate(zip(before, after)) if not torch.equal(hb, ha)]
        assert len({before[k][0].sigma for k in changed}) == 1  # one step only (both CFG chunks)
        for k in changed:
            assert torch.allclose(after[k][1].reshape(after[k][1].shape[0], -1) @ n, torch.full((after[k][1].shape[0],), 7.5), atol=1e-3)


def test_refusals(tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    with pytest.raises(LatentDirectionsError, match=r"^SVM Boundary: each class needs at least 2"):
        B.SVMBoundary.execute(tiny_sd15, a, b, neg, LATENT, "1", "2-5", 0.5, 3, 2.0, "euler", "normal", "cond", 1.0, 5)
    with pytest.raises(LatentDirectionsError, match=r"^SVM Boundary: '1-x' in seeds_a is not a seed range"):
        B.parse_seeds("SVM Boundary", "seeds_a", "1-x")
    assert B.parse_seeds("x", "s", "0-3, 7") == [0, 1, 2, 3, 7]


def test_mixing_step_search(tiny_sd15, svm):
    _, (a, b, neg) = svm
    d, percent, plot, report = B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 4, 2.0, "euler",
                                                          "normal", "cond", 1.0, 4).args
    curve = d.meta["params"]["curve"]
    assert len(curve) == 4 and 0.0 <= percent <= 1.0 and plot.shape[0] == 1
    best = max(c[1] for c in curve)
    assert d.meta["params"]["test_accuracy"] == best and "separability" in report
