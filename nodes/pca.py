"""Extract h-space PCA (Haas et al. 2023 §IV-A)."""
from __future__ import annotations

import torch

from comfy_api.latest import io, ui

from ..core.backends.comfy_discover import pca_directions
from ..core.pca import MODES
from .direction_nodes import summary
from .common import cond_inputs, latent_size_input, model_input, sampling_inputs, seed_input
from .types import Direction as DirectionType

NODE = "Extract h-space PCA"


class ExtractHSpacePCA(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_ExtractHSpacePCA", display_name="Extract h-space PCA", category="latent_directions/discover",
            description="Samples n images with stock ComfyUI sampling, records h (the U-Net mid-block output) at every "
                        "step and returns its principal components per timestep (Haas et al.), each scaled by the "
                        "standard deviation of h along it. Memory does not grow with n.",
            inputs=[model_input(), *cond_inputs(), latent_size_input(),
                    seed_input(tooltip="Sample i uses seed + i."),
                    io.Int.Input("n_samples", default=64, min=2, max=100000, tooltip="Number of generated samples."),
                    io.Int.Input("batch_size", default=16, min=1, max=1024, tooltip="Samples per sampling call."),
                    *sampling_inputs(),
                    io.Int.Input("components", default=8, min=1, max=256, tooltip="K principal components to keep."),
                    io.Combo.Input("mode", options=list(MODES), default="transported",
                                   tooltip="per_timestep: PCA of h_t at each step, ranked by that step's variance "
                                           "(paper). transported: the last step's PCs carried back step by step "
                                           "inside each step's principal subspace, so PC k means one thing at every "
                                           "step (ours). pooled: PCA of the whole trajectory at once."),
                    io.Combo.Input("record_branch", options=["cond", "uncond"], default="cond",
                                   tooltip="Which CFG branch's h to analyse.")],
            outputs=[DirectionType.Output(display_name="direction"),
                     io.Image.Output(display_name="explained_variance")])

    @classmethod
    def execute(cls, model, positive, negative, latent_image, seed, n_samples, batch_size, steps, cfg, sampler_name,
                scheduler, components, mode, record_branch) -> io.NodeOutput:
        d, plot = pca_directions(model, positive, negative, latent_image["samples"], seed, n_samples, batch_size,
                                 steps, cfg, sampler_name, scheduler, components, mode, record_branch, NODE)
        img = torch.from_numpy(plot).unsqueeze(0)
        preview = ui.PreviewImage(img, cls=cls).as_dict()
        return io.NodeOutput(d, img, ui={"text": (summary(d),), "images": preview["images"]})


NODES = [ExtractHSpacePCA]
