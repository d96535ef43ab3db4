"""Prompt-pair, seed-list and disentangle nodes on the real ComfyUI (tiny SD1.5-shaped model)."""
import pytest
import torch

from conftest import sd15_conds
from latent_directions.core.backends import comfy_supervised as CS
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import pca as P
from latent_directions.nodes import supervised as S

LATENT = {"samples": torch.zeros(1, 4, 16, 16)}
SAMPLING = dict(steps=3, cfg=2.0, sampler_name="euler", scheduler="normal", record_branch="cond")


def test_prompt_pair_is_the_mean_trajectory_difference(tiny_sd15):
    a, neg = sd15_conds(seed=0)
    b, _ = sd15_conds(seed=1)
    d = S.PromptPairDirection.execute(tiny_sd15, a, b, neg, LATENT, seed=4, n_samples=3, label="a-b",
                                      **SAMPLING).args[0]
    assert d.k == 1 and d.labels == ["a-b"] and d.meta["method"] == "mean_difference"
    ts, ha = CS.record_trajectories(tiny_sd15, a, neg, LATENT["samples"], [4, 5, 6], 3, 2.0, "euler", "normal",
                                    "cond", "t")
    _, hb = CS.record_trajectories(tiny_sd15, b, neg, LATENT["samples"], [4, 5, 6], 3, 2.0, "euler", "normal",
                                   "cond", "t")
    want = ha.mean(0) - hb.mean(0)  # [T, *shape] in sampling order (t descending)
    got = (d.scales[0].view(-1, 1, 1, 1) * d.vectors[0]).flip(0)  # stored ascending in t
    assert torch.allclose(got, want, atol=1e-5)


def test_seed_lists_and_disentangle(tiny_sd15):
    pos, neg = sd15_conds()
    d = S.SeedListDirection.execute(tiny_sd15, pos, neg, LATENT, "1, 2", "3", label="picked", **SAMPLING).args[0]
    pcs = P.ExtractHSpacePCA.execute(tiny_sd15, pos, neg, LATENT, 0, 4, 4, 3, 2.0, "euler", "normal", 2,
                                     "per_timestep", "cond").args[0]
    clean = S.DisentangleDirections.execute(d, pcs).args[0]
    full = lambda x: (x.scales.view(x.k, -1, 1, 1, 1) * x.vectors).reshape(x.k, -1)
    assert torch.allclose(full(pcs) @ full(clean)[0], torch.zeros(2), atol=1e-3 * float(full(d).norm()))
    with pytest.raises(LatentDirectionsError, match=r"^Seed-List Direction: '' in seeds_without|^Seed-List Direction: seeds_without is empty"):
        S.SeedListDirection.execute(tiny_sd15, pos, neg, LATENT, "1", "", label="x", **SAMPLING)
