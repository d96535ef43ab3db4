"""Directions from two labelled sets of real images: VAE-encode, DDIM-invert while recording h and x_t
(comfy_inversion.py), then fit the mean difference (Haas et al. eq. 11; SM-F records h_{T:1} during DDIM inversion
of labelled real images, SPEC.md §2.5) or the SVM boundary at the mixing step (BoundaryDiffusion fits it on inverted
real images, SPEC.md §3.3) on the recorded trajectories, as the seed-based nodes do on sampled ones."""
from __future__ import annotations

import torch

from ..errors import LatentDirectionsError
from . import comfy_unet
from .comfy_boundary import boundary_from_trajectories
from .comfy_inversion import invert_recording
from .comfy_supervised import direction_from_sets

METHODS = ("mean difference", "SVM boundary")


def image_set_direction(model, vae, positive, negative, images_with: torch.Tensor, images_without: torch.Tensor,
                        method, steps, scheduler, cfg, mix_percent, space, c, test_every, label, node):
    """IMAGE batches [N, H, W, C] with / without the attribute -> (DIRECTION, report)."""
    comfy_unet.require_unet(model, node)
    if tuple(images_with.shape[1:3]) != tuple(images_without.shape[1:3]):
        raise LatentDirectionsError(node, f"the two image sets differ in size ({tuple(images_with.shape[1:3])} vs "
                                          f"{tuple(images_without.shape[1:3])})", "Resize both sets to one size")
    if method == METHODS[1] and min(len(images_with), len(images_without)) < 2:
        raise LatentDirectionsError(node, "each class needs at least 2 images for the SVM",
                                    "Give 10 or more images per class")
    run = lambda imgs: invert_recording(model, positive, negative, vae.encode(imgs[..., :3]), steps, scheduler, cfg,
                                        node=node)[1]
    ta, tb = run(images_with), run(images_without)
    sampling = {"steps": steps, "cfg": cfg, "sampler": "euler (DDIM inversion)", "scheduler": scheduler}
    src = {"source": "ddim_inversion", "n_with": ta.n, "n_without": tb.n}
    if method == METHODS[1]:
        d, text = boundary_from_trajectories(model, ta, tb, mix_percent, c, "gram", test_every, sampling, src, space)
        return d, f"{text} (class A = images_with, from {ta.n} + {tb.n} inverted images)"
    d = direction_from_sets(model, ta.ts, ta.h, tb.h, src, sampling, label, {"n_with": ta.n, "n_without": tb.n})
    s = d.scales[0]
    return d, (f"mean difference of h over {len(ta.ts)} inversion steps from {ta.n} / {tb.n} images; |v_t| from "
               f"{float(s.min()):.3g} to {float(s.max()):.3g}")
