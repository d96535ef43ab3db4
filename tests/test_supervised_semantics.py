"""A prompt-pair direction on the bundled demo model moves the measured class (a cheap scripts.measure_supervised d)."""
import os

import pytest
import torch

from latent_directions.core.backends import comfy_demo, comfy_sampling, comfy_unet
from latent_directions.core.backends.comfy_supervised import mean_difference_direction
from latent_directions.core.demo import measure as M
from latent_directions.core.edit import edit_tap
from latent_directions.nodes import paths

pytestmark = pytest.mark.slow
STEPS, CFG = 8, 2.5


def test_square_minus_circle_makes_null_prompt_samples_square(comfy):
    weights = os.environ.get("LD_DEMO_WEIGHTS", paths.demo_weights_path())
    model, tok, const = comfy_demo.load_demo_model(weights)
    cond = lambda i: [[comfy_demo.context_for(tok, const, i), {}]]
    circle, square, null = cond(0), cond(1), cond(3)
    latent = torch.zeros(1, 3, 32, 32)
    seeds = list(range(610_000, 610_012))
    d = mean_difference_direction(model, square, circle, null, latent, seeds, seeds, STEPS, CFG, "euler", "normal",
                                  "cond", "test")
    held_out = list(range(620_000, 620_016))
    window = comfy_unet.window_from_percent(model, 0.0, 1.0)
    share = {}
    for s in (0.0, 2.0):
        m = comfy_unet.with_tap(model, edit_tap(d, torch.tensor([s]), window), "test")
        out = comfy_sampling.sample(m, null, null, latent.repeat(len(held_out), 1, 1, 1), held_out, STEPS, CFG,
                                    "euler", "normal")
        cls = M.measure(((out + 1) / 2).clamp(0, 1))["cls"]
        share[s] = ((cls == 1).mean(), (cls == 0).mean())
    gain = share[2.0][0] - share[0.0][0]
    assert gain >= 0.125, f"square share {share[0.0][0]:.0%} -> {share[2.0][0]:.0%} at strength 2"
    assert share[2.0][1] <= share[0.0][1], f"circle share rose: {share[0.0][1]:.0%} -> {share[2.0][1]:.0%}"
