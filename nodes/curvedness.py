"""Tangent-Space Curvedness (Park et al.): how the pullback tangent space moves over t and between two samples."""
from __future__ import annotations

import torch

import comfy.model_management
from comfy_api.latest import io, ui

from ..core.backends import comfy_curvedness as CC
from ..core.backends import comfy_unet
from ..core.plot import line_plot
from .common import cond_inputs, latent_size_input, model_input, sampling_inputs, seed_input

NODE = "Tangent-Space Curvedness"


class TangentCurvedness(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_TangentCurvedness", display_name=NODE, category="latent_directions/analysis",
            description="Samples two seeds and, at each step, takes the k-dim tangent space of h (left singular "
                        "vectors of d h / d x_t, Park et al.) at both x_t. Plots against t the Grassmann distance "
                        "between the two samples, the change to the next step, and the semantic length of the lerp "
                        "and slerp paths between them (slerp shorter = X is curved). Costs about "
                        "steps x (2 + 2 x (segments - 1)) pullback decompositions.",
            inputs=[model_input(), *cond_inputs(what="both samples are generated with"), latent_size_input(),
                    seed_input("seed_a", "Noise seed of sample A.", control=False),
                    seed_input("seed_b", "Noise seed of sample B.", default=1, control=False),
                    *sampling_inputs(steps=10),
                    io.Int.Input("k", default=4, min=1, max=64, tooltip="Dimension of each tangent space."),
                    io.Int.Input("iterations", default=30, min=1, max=1000,
                                 tooltip="Most subspace iterations per decomposition."),
                    io.Float.Input("tolerance", default=1e-3, min=1e-8, max=1.0, step=1e-4,
                                   tooltip="Subspace-iteration stop angle (radians)."),
                    io.Int.Input("segments", default=4, min=0, max=64,
                                 tooltip="Segments of the lerp / slerp paths between the samples (paper: 30); "
                                         "0 = no path lengths."),
                    io.Int.Input("every", default=1, min=1, max=1000, tooltip="Measure every n-th step.")],
            outputs=[io.Image.Output(display_name="plot"), io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, positive, negative, latent_image, seed_a, seed_b, steps, cfg, sampler_name, scheduler,
                k, iterations, tolerance, segments, every) -> io.NodeOutput:
        comfy_unet.require_unet(model, NODE)
        c = CC.measure(model, positive, negative, latent_image["samples"][:1], seed_a, seed_b, steps, cfg,
                       sampler_name, scheduler, k, iterations, tolerance, segments, every, NODE,
                       check=comfy.model_management.throw_exception_if_processing_interrupted)
        series = {"A-B distance": (c.t, c.a_to_b)}
        if c.step_change:
            series["change to next step"] = (c.t[:-1], c.step_change)
        if segments >= 1:
            series["lerp path length"] = (c.t, c.lerp)
            series["slerp path length"] = (c.t, c.slerp)
        plot = line_plot(series, f"tangent spaces (k={k}) over t", "t (sampling runs from high t to low t)",
                         "radians")
        text = CC.report(c, k, segments)
        return io.NodeOutput(torch.from_numpy(plot).unsqueeze(0), text, ui=ui.PreviewText(text))


NODES = [TangentCurvedness]
