"""Image-Set Direction: mean difference or SVM boundary from two labelled sets of real images (DDIM inversion)."""
from __future__ import annotations

from comfy_api.latest import io

from ..core.backends.comfy_boundary import SPACES
from ..core.backends.comfy_imageset import METHODS, image_set_direction
from .direction_nodes import direction_ui
from .common import cond_inputs, model_input, scheduler_input, svm_c_input
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
            inputs=[model_input(), io.Vae.Input("vae", tooltip="Encodes the images into the model's latent space."),
                    *cond_inputs(what="the images are inverted with"),
                    io.Image.Input("images_with", tooltip="Images that show the attribute (class A)."),
                    io.Image.Input("images_without", tooltip="Images that do not (class B), the same size."),
                    io.Combo.Input("method", options=list(METHODS), default=METHODS[0],
                                   tooltip="mean difference: for Apply Latent Edit. SVM boundary: for Boundary Edit."),
                    io.Int.Input("steps", default=20, min=1, max=1000, tooltip="DDIM inversion steps."),
                    scheduler_input("Noise schedule of the inversion."),
                    io.Float.Input("cfg", default=1.0, min=0.0, max=100.0, step=0.1,
                                   tooltip="Inversion CFG: 1 inverts the positive alone (faithful)."),
                    io.Float.Input("mixing_percent", default=0.5, min=0.0, max=1.0, step=0.01,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="SVM boundary: where in the sampling schedule the boundary lives "
                                           "(0 = first, noisiest step)."),
                    io.Combo.Input("space", options=list(SPACES), default="h", tooltip="SVM boundary: h or x_t."),
                    svm_c_input(),
                    io.Int.Input("holdout_every", default=5, min=0, max=100,
                                 tooltip="SVM: every n-th image is held out to report accuracy (0: none)."),
                    io.String.Input("label", default="images",
                                    tooltip="Name of the direction, shown in grids and saved in the file.")],
            outputs=[DirectionType.Output(display_name="direction"), io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, vae, positive, negative, images_with, images_without, method, steps, scheduler, cfg,
                mixing_percent, space, C, holdout_every, label) -> io.NodeOutput:
        d, text = image_set_direction(model, vae, positive, negative, images_with, images_without, method, steps,
                                      scheduler, cfg, mixing_percent, space, C, holdout_every, label, NODE)
        return io.NodeOutput(d, text, ui=direction_ui(d, cls, text))


NODES = [ImageSetDirection]
