"""DDIM Inversion of real images."""
from __future__ import annotations

import comfy.samplers
from comfy_api.latest import io

from ..core.backends import comfy_unet
from ..core.backends.comfy_inversion import invert

NODE = "DDIM Inversion"


class DDIMInversion(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DDIMInversion", display_name=NODE, category="latent_directions/edit",
            description="Inverts a clean LATENT (e.g. VAE Encode of a real image) to noise with deterministic DDIM "
                        "(ComfyUI's euler on the reversed schedule). Sample the result with KSamplerAdvanced "
                        "(add_noise disabled, same steps and scheduler, sampler euler or ddim) to reconstruct it; put "
                        "Apply Latent Edit at Timestep on that model to edit it. Keep CFG at 1 for a faithful inversion.",
            inputs=[io.Model.Input("model"), io.Conditioning.Input("positive"), io.Conditioning.Input("negative"),
                    io.Latent.Input("latent"),
                    io.Int.Input("steps", default=50, min=1, max=10000),
                    io.Combo.Input("scheduler", options=comfy.samplers.SCHEDULER_NAMES, default="normal"),
                    io.Float.Input("cfg", default=1.0, min=0.0, max=100.0, step=0.1,
                                   tooltip="1 inverts the positive alone; higher values drift.")],
            outputs=[io.Latent.Output(display_name="inverted")])

    @classmethod
    def execute(cls, model, positive, negative, latent, steps, scheduler, cfg) -> io.NodeOutput:
        comfy_unet.require_unet(model, NODE)
        out = dict(latent)
        out["samples"] = invert(model, positive, negative, latent["samples"], steps, scheduler, cfg)
        return io.NodeOutput(out)


NODES = [DDIMInversion]
