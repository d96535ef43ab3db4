"""Inputs several nodes share, with their tooltips."""
from __future__ import annotations

import comfy.samplers
from comfy_api.latest import io

from ..core.tap import BRANCHES
from .types import Direction as DirectionType

SEED_MAX = 0xffffffffffffffff


def sampling_inputs(steps: int = 20, cfg: float = 2.5) -> list:
    """steps, cfg, sampler_name, scheduler: the stock KSampler settings a discovery node samples with."""
    return [io.Int.Input("steps", default=steps, min=1, max=1000,
                         tooltip="Sampling steps of each run (as on KSampler); directions get one entry per step."),
            io.Float.Input("cfg", default=cfg, min=0.0, max=100.0, step=0.1,
                           tooltip="Classifier-free guidance scale (as on KSampler); 1 runs no negative pass."),
            io.Combo.Input("sampler_name", options=comfy.samplers.SAMPLER_NAMES, default="euler",
                           tooltip="ComfyUI sampler used to generate the samples (as on KSampler)."),
            scheduler_input()]


def scheduler_input(tooltip: str = "Noise schedule of the sampling run (as on KSampler).") -> io.Combo.Input:
    return io.Combo.Input("scheduler", options=comfy.samplers.SCHEDULER_NAMES, default="normal", tooltip=tooltip)


def model_input(tooltip: str = "The diffusion model (a U-Net: SD1.x, SD2.x, SDXL or the demo model).") -> io.Input:
    return io.Model.Input("model", tooltip=tooltip)


def cond_inputs(positive: str = "positive", negative: str = "negative",
                what: str = "the samples are generated with") -> list:
    """positive and negative CONDITIONING, as on KSampler."""
    return [io.Conditioning.Input(positive, tooltip=f"Positive conditioning (prompt) {what}."),
            io.Conditioning.Input(negative, tooltip=f"Negative conditioning {what} (the CFG uncond branch).")]


def direction_input(id: str = "direction",
                    tooltip: str = "A DIRECTION set (from a discovery node or Load Direction).") -> io.Input:
    return DirectionType.Input(id, tooltip=tooltip)


def seed_input(id: str = "seed", tooltip: str = "Noise seed of the sample.", default: int = 0,
               control: bool = True) -> io.Int.Input:
    return io.Int.Input(id, default=default, min=0, max=SEED_MAX, control_after_generate=control, tooltip=tooltip)


def record_branch_input() -> io.Combo.Input:
    return io.Combo.Input("record_branch", options=["cond", "uncond"], default="cond",
                          tooltip="Which CFG branch's h is recorded: cond (positive) or uncond (negative).")


def latent_size_input() -> io.Latent.Input:
    return io.Latent.Input("latent_image", tooltip="Only its size is used.")


def window_inputs() -> list:
    """start_percent, end_percent, branch: where in the run and on which CFG branch an h edit acts."""
    return [io.Float.Input("start_percent", default=0.0, min=0.0, max=1.0, step=0.01,
                           display_mode=io.NumberDisplay.slider,
                           tooltip="Where the edit starts, as a fraction of the sampling schedule: 0 = first "
                                   "(noisiest) step."),
            io.Float.Input("end_percent", default=1.0, min=0.0, max=1.0, step=0.01,
                           display_mode=io.NumberDisplay.slider,
                           tooltip="Where the edit ends, as a fraction of the sampling schedule: 1 = last step."),
            io.Combo.Input("branch", options=list(BRANCHES), default="both",
                           tooltip="Edit both CFG branches, only the positive (cond) or only the negative.")]


def svm_c_input() -> io.Float.Input:
    """The SVM's C; step 0.0001 so the frontend, which rounds a FLOAT to its step, keeps small values."""
    return io.Float.Input("C", default=1.0, min=0.0001, max=1e6, step=0.0001,
                          tooltip="SVM regularisation (1 = the paper's code): larger C fits the training examples "
                                  "harder. Where the examples are fewer than the features (x_t, large h) C = 1 "
                                  "separates them exactly; a smaller C (0.01 on the demo model's x_t) gave a normal "
                                  "that generalises and flips more (docs/supervised_effects.md, part e).")
