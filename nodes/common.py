"""Inputs several nodes share."""
from __future__ import annotations

import comfy.samplers
from comfy_api.latest import io


def sampling_inputs(steps: int = 20, cfg: float = 2.5) -> list:
    """steps, cfg, sampler_name, scheduler: the stock KSampler settings a discovery node samples with."""
    return [io.Int.Input("steps", default=steps, min=1, max=1000),
            io.Float.Input("cfg", default=cfg, min=0.0, max=100.0, step=0.1),
            io.Combo.Input("sampler_name", options=comfy.samplers.SAMPLER_NAMES, default="euler"),
            io.Combo.Input("scheduler", options=comfy.samplers.SCHEDULER_NAMES, default="normal")]
