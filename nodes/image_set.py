"""Image-Set Direction: mean difference or SVM boundary from two labelled sets of real images (DDIM inversion)."""
from __future__ import annotations

import comfy.samplers
from comfy_api.latest import io, ui

from ..core.backends.comfy_boundary import SPACES
from ..core.backends.comfy_imageset import METHODS, image_set_direction
from .types import Direction as DirectionType

NODE = "Image-Set Direction"


class ImageSetDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_ImageSetDirection", display_name=NODE, category="latent_directions/discover",
            description="A direction from real images you labelled: both sets are VAE-encoded and DDIM-inverted with "
                        "the model and positive conditioning while h and x_t are recorded at every step. mean "
                        "difference: with minus without over the whole h trajectory (Haas et al.), strength 1 adds "
                        "the raw difference. SVM boundary: the unit normal at the mixing step (BoundaryDiffusion), for "
                        "Boundary Edit; class A = images_with.",
            inputs=[io.Model.Input("model"), io.Vae.Input("vae"), io.Conditioning.Input("positive"),
                    io.Conditioning.Input("negative"), io.Image.Input("images_with"), io.Image.Input("images_without"),
                    io.Combo.Input("method", options=list(METHODS), default=METHODS[0]),
                    io.Int.Input("steps", default=20, min=1, max=1000),
                    io.Combo.Input("scheduler", options=comfy.samplers.SCHEDULER_NAMES, default="normal"),
                    io.Float.Input("cfg", default=1.0, min=0.0, max=100.0, step=0.1,
                                   tooltip="Inversion CFG: 1 inverts the positive alone (faithful)."),
                    io.Float.Input("mixing_percent", default=0.5, min=0.0, max=1.0, step=0.01,
                                   tooltip="SVM boundary: where in the run the boundary lives."),
                    io.Combo.Input("space", options=list(SPACES), default="h", tooltip="SVM boundary: h or x_t."),
                    io.Float.Input("C", default=1.0, min=1e-6, max=1e6, step=0.1, tooltip="SVM regularisation."),
                    io.Int.Input("holdout_every", default=5, min=0, max=100,
                                 tooltip="SVM: every n-th image is held out to report accuracy (0: none)."),
                    io.String.Input("label", default="images")],
            outputs=[DirectionType.Output(display_name="direction"), io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, vae, positive, negative, images_with, images_without, method, steps, scheduler, cfg,
                mixing_percent, space, C, holdout_every, label) -> io.NodeOutput:
        d, text = image_set_direction(model, vae, positive, negative, images_with, images_without, method, steps,
                                      scheduler, cfg, mixing_percent, space, C, holdout_every, label, NODE)
        return io.NodeOutput(d, text, ui=ui.PreviewText(text))


NODES = [ImageSetDirection]
