"""Supervised h-space directions from generated samples: prompt pairs over the same seeds, or seed lists picked from
a generated batch (Haas et al. eq. 11, mean difference over whole trajectories)."""
from __future__ import annotations

import torch

import comfy.model_management

from ..direction import Direction
from ..errors import LatentDirectionsError
from ..supervised import mean_difference
from ..trajectory import Trajectory
from . import comfy_sampling, comfy_unet


def record_trajectories(model, positive, negative, latent, seeds, steps, cfg, sampler_name, scheduler, branch,
                        node, batch_size=16, bar=None, with_x=False):
    """h of `branch` at every step for each seed -> (timesteps in sampling order, h [N, T, *shape]); with_x: a
    Trajectory that also holds the U-Net input x_t of each step."""
    hs, xs, ts = [], [], None
    for i in range(0, len(seeds), batch_size):
        comfy.model_management.throw_exception_if_processing_interrupted()
        s = seeds[i:i + batch_size]
        m, rec_h, rec_x = comfy_sampling.recording_model(model, branch, node, record_x=with_x)
        comfy_sampling.sample(m, positive, negative, latent[:1].repeat(len(s), 1, 1, 1), s, steps, cfg, sampler_name,
                              scheduler, progress=bar)
        order = sorted(rec_h, reverse=True)
        if ts is None:
            ts = order
        hs.append(torch.stack([rec_h[t] for t in order], dim=1))
        if with_x:
            xs.append(torch.stack([rec_x[t] for t in order], dim=1))
    if not with_x:
        return ts, torch.cat(hs)
    return Trajectory(ts, torch.cat(hs), torch.cat(xs), meta={"source": "sampled", "branch": branch})


def direction_from_sets(model, ts, pos, neg, params, sampling, label, provenance) -> Direction:
    """Mean-difference DIRECTION (eq. 11) from two recorded sets h [N, T, *shape] on the same timesteps."""
    unit, scale = mean_difference(pos, neg)
    sig = comfy_unet.signature(model)
    sig["h_shape"] = list(unit.shape[1:])
    meta = {"method": "mean_difference", "space": "h", "tap": "unet_mid_out",
            "params": {**params, "scale": "|mean(h | with) - mean(h | without)| per step (strength 1 = the raw difference)"},
            "model": sig, "sampling": sampling, "labels": [label], "provenance": provenance}
    return Direction(unit.unsqueeze(0), torch.tensor(ts), scale.unsqueeze(0), meta)


def mean_difference_direction(model, with_cond, without_cond, negative, latent, seeds_with, seeds_without, steps,
                              cfg, sampler_name, scheduler, branch, node, label="supervised") -> Direction:
    comfy_unet.require_unet(model, node)
    if not seeds_with or not seeds_without:
        raise LatentDirectionsError(node, "one of the two example sets is empty", "Give at least one seed for each set")
    if branch == "uncond" and cfg == 1.0:
        raise LatentDirectionsError(node, "CFG 1 runs no uncond pass, so there is no uncond h to record",
                                    "Record the cond branch or use CFG > 1")
    bar = comfy_sampling.progress_bar((len(seeds_with) + len(seeds_without)) * steps)
    ts, pos = record_trajectories(model, with_cond, negative, latent, seeds_with, steps, cfg, sampler_name, scheduler,
                                  branch, node, bar=bar)
    _, neg = record_trajectories(model, without_cond, negative, latent, seeds_without, steps, cfg, sampler_name,
                                 scheduler, branch, node, bar=bar)
    return direction_from_sets(model, ts, pos, neg, {"n_with": len(seeds_with), "n_without": len(seeds_without),
                                                     "branch": branch},
                               {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler}, label,
                               {"seeds_with": seeds_with[:64], "seeds_without": seeds_without[:64]})
