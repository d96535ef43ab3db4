"""Discovery runs that sample with ComfyUI: h-space PCA over N generated samples (Haas et al. §IV-A)."""
from __future__ import annotations

import numpy as np
import torch

import comfy.model_management

from ..direction import Direction
from ..errors import LatentDirectionsError
from ..pca import TrajectoryPCA
from ..plot import line_plot
from . import comfy_sampling, comfy_unet


def pca_directions(model, positive, negative, latent: torch.Tensor, seed: int, n_samples: int, batch_size: int,
                   steps: int, cfg: float, sampler_name: str, scheduler: str, k: int, mode: str, branch: str,
                   node: str, rank_cap: int | None = None) -> tuple[Direction, np.ndarray]:
    """Sample n_samples images (seeds seed .. seed+n-1) in batches, record h of `branch` at every step, and stream
    them into a per-timestep, transported or pooled PCA (core/pca.py). Returns the DIRECTION and an explained-variance
    plot."""
    comfy_unet.require_unet(model, node)
    if n_samples < 2:
        raise LatentDirectionsError(node, f"n_samples is {n_samples}", "PCA needs at least 2 samples; use 16 or more")
    if branch == "uncond" and cfg == 1.0:
        raise LatentDirectionsError(node, "CFG 1 runs no uncond (negative) pass, so there is no uncond h to record",
                                    "Record the cond branch or use CFG > 1")
    pca = TrajectoryPCA(k, mode, rank_cap)
    template = latent[:1]
    batches = [list(range(seed + i, seed + min(i + batch_size, n_samples))) for i in range(0, n_samples, batch_size)]
    bar = comfy_sampling.progress_bar(len(batches) * steps)
    for seeds in batches:
        comfy.model_management.throw_exception_if_processing_interrupted()
        _, traj = comfy_sampling.sample_recording_h(
            model, branch, node, positive=positive, negative=negative, latent=template.repeat(len(seeds), 1, 1, 1),
            seeds=seeds, steps=steps, cfg=cfg, sampler_name=sampler_name, scheduler=scheduler, progress=bar)
        if not traj:
            raise LatentDirectionsError(node, f"no h of the {branch} branch was recorded",
                                        "Check the sampler runs the model (steps > 0)")
        pca.feed(traj)
        del traj
    parts = pca.direction_parts()
    kk = parts["vectors"].shape[0]
    sig = comfy_unet.signature(model)
    sig["h_shape"] = list(parts["vectors"].shape[2:])
    meta = {"method": "pca", "space": "h", "tap": "unet_mid_out",
            "params": {"k": kk, "mode": mode, "n_samples": n_samples, "branch": branch, "rank_cap": pca.rank_cap,
                       "scale": "std of h along the component (sigma / sqrt(N - 1))"},
            "model": sig, "sampling": {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler},
            "labels": [f"PC{i}" for i in range(kk)], "provenance": {"seeds": [seed, seed + n_samples - 1]}}
    d = Direction(parts["vectors"], parts["timesteps"], parts["scales"], meta,
                  {"explained_variance": parts["explained_variance"], "mean": parts["mean"]})
    return d, explained_variance_plot(d)


def explained_variance_plot(d: Direction) -> np.ndarray:
    ev = d.extra.get("explained_variance")
    ts = d.timesteps.tolist()
    series = {d.labels[k]: (ts, ev[k].tolist()) for k in range(min(d.k, 8))}
    if len(ts) == 1:
        series = {"explained variance": (list(range(d.k)), ev[:, 0].tolist())}
        return line_plot(series, "explained variance ratio per component", "component", "")
    return line_plot(series, f"explained variance ratio per timestep ({d.meta['params']['mode']})",
                     "t (DDPM timestep; sampling runs from high t to low t)", "")
