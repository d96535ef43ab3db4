"""DDIM Inversion of real images (records the trajectory: h and x_t per sigma)."""
from __future__ import annotations

from comfy_api.latest import io, ui

from ..core.backends import comfy_unet
from ..core.backends.comfy_inversion import invert_recording
from ..core.errors import LatentDirectionsError
from .common import cond_inputs, model_input, scheduler_input
from .types import Trajectory as TrajectoryType

NODE = "DDIM Inversion"


class DDIMInversion(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DDIMInversion", display_name=NODE, category="latent_directions/edit",
            description="Inverts a clean LATENT (e.g. VAE Encode of a real image) to noise with deterministic DDIM "
                        "(ComfyUI's euler on the reversed schedule) and records h and x_t at every step. Sample the "
                        "result with KSamplerAdvanced (add_noise disabled, same steps, scheduler and start_at_step, "
                        "sampler euler or ddim: ancestral and SDE samplers add fresh noise and cannot reconstruct) to "
                        "reconstruct it; put Apply Latent Edit or Boundary Edit on that model to edit it. Keep CFG "
                        "at 1 for a faithful inversion.",
            inputs=[model_input(), *cond_inputs(what="the latent is inverted with"),
                    io.Latent.Input("latent", tooltip="A clean LATENT, e.g. VAE Encode of a real image."),
                    io.Int.Input("steps", default=50, min=1, max=10000,
                                 tooltip="Inversion steps, the same as on the KSamplerAdvanced that reconstructs."),
                    scheduler_input("Noise schedule, the same as on the KSamplerAdvanced that reconstructs."),
                    io.Float.Input("cfg", default=1.0, min=0.0, max=100.0, step=0.1,
                                   tooltip="1 inverts the positive alone; higher values drift."),
                    io.Int.Input("start_at_step", default=0, min=0, max=10000,
                                 tooltip="Stop where KSamplerAdvanced will start: 0 inverts to pure noise; "
                                         "BoundaryDiffusion stops at its mixing step (steps / 2).")],
            outputs=[io.Latent.Output(display_name="inverted"), TrajectoryType.Output(display_name="trajectory"),
                     io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, positive, negative, latent, steps, scheduler, cfg, start_at_step=0) -> io.NodeOutput:
        comfy_unet.require_unet(model, NODE)
        if start_at_step >= steps:
            raise LatentDirectionsError(NODE, f"start_at_step {start_at_step} leaves none of the {steps} steps",
                                        "Set start_at_step below steps")
        out = dict(latent)
        out["samples"], traj = invert_recording(model, positive, negative, latent["samples"], steps, scheduler, cfg,
                                                start_at_step, NODE)
        ts, r = traj.radius()
        n = traj.x[0, 0].numel()
        text = (f"inverted {traj.n} latent(s) over {len(traj.ts)} steps to t={ts[0]:.0f}; mean |x_t| there "
                f"{float(r[0]):.1f} (pure noise: sqrt(n) = {n ** 0.5:.1f}); recorded h {tuple(traj.h.shape[2:])} "
                f"and x_t at every step")
        return io.NodeOutput(out, traj, text, ui=ui.PreviewText(text))


NODES = [DDIMInversion]
