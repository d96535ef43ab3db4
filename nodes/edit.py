"""Apply Latent Edit at Timestep: MODEL -> MODEL with an h-space edit in a window of the sampling run."""
from __future__ import annotations

from comfy_api.latest import io, ui

from ..core.backends import comfy_unet
from ..core.backends.comfy_xedit import NOT_FAITHFUL, with_x_edit
from ..core.direction import check_model
from ..core.edit import edit_tap
from ..core.errors import LatentDirectionsError
from .direction_nodes import parse_numbers
from .common import direction_input, model_input, window_inputs

NODE = "Apply Latent Edit at Timestep"


def strengths_for(direction, strength: float, per_direction: str) -> list[float]:
    if not per_direction.strip():
        return [float(strength)] * direction.k
    vals = parse_numbers(NODE, "per_direction_strengths", per_direction)
    if len(vals) != direction.k:
        raise LatentDirectionsError(NODE, f"per_direction_strengths has {len(vals)} values for {direction.k} "
                                          "directions", "Give one value per direction, or leave it empty")
    return [v * float(strength) for v in vals]


def check_window(start_percent: float, end_percent: float, node: str = NODE) -> None:
    if start_percent > end_percent:
        raise LatentDirectionsError(node, f"start_percent {start_percent} is after end_percent {end_percent}",
                                    "Set start_percent <= end_percent (0 = first step, 1 = last)")


def check_direction_fits(model, direction, node: str = NODE, space: str = "h") -> None:
    if direction.meta.get("space", "h") != space:
        raise LatentDirectionsError(node, f"this is an {direction.meta.get('space')}-space direction",
                                    f"Use an {space}-space direction here")
    why = check_model(direction, comfy_unet.signature(model))
    if why:
        raise LatentDirectionsError(node, why, "Use a direction made on this model family")


class ApplyLatentEdit(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_ApplyLatentEdit", display_name="Apply Latent Edit at Timestep",
            category="latent_directions/edit",
            description="Adds strength x scale x direction to the U-Net's mid-block output h at every step inside "
                        "the window (Haas et al.). Strength 1 = one unit of the direction's own scale (PCA: one "
                        "standard deviation). Works with every stock sampler; the input MODEL is not changed. An "
                        "x-space (pullback) direction instead splits the sampler at its step and adds strength x v "
                        "to x_t, or runs Park's (s, N) x-space guidance there; the split is exact for euler and ddim: "
                        f"{NOT_FAITHFUL}.",
            inputs=[model_input(), direction_input(tooltip="An h-space DIRECTION set, or an x-space (pullback) one."),
                    io.Float.Input("strength", default=1.0, min=-100.0, max=100.0, step=0.1, display_mode=io.NumberDisplay.slider,
                                   tooltip="In units of the direction's own scale (PCA: one std of h; Jacobian: one singular "
                                           "value; x-space: x_t units); negative reverses it."),
                    *window_inputs(),
                    io.String.Input("per_direction_strengths", default="", optional=True,
                                    tooltip="Optional: one multiplier per direction of the set, e.g. '1, 0, -0.5'."),
                    io.Boolean.Input("resample", default=False, optional=True,
                                     tooltip="Resize the direction bilinearly when sampling at another resolution."),
                    *x_mode_inputs()],
            outputs=[io.Model.Output()])

    @classmethod
    def execute(cls, model, direction, strength, start_percent, end_percent, branch,
                per_direction_strengths="", resample=False, x_mode="add", guidance_scale=1.0,
                guidance_steps=16) -> io.NodeOutput:
        check_window(start_percent, end_percent)
        comfy_unet.require_unet(model, NODE)
        s = strengths_for(direction, strength, per_direction_strengths)
        if direction.meta.get("space") == "x":
            return apply_x_edit(model, direction, s, guidance_of(x_mode, guidance_scale, guidance_steps))
        check_direction_fits(model, direction)
        tap = edit_tap(direction, s, comfy_unet.window_from_percent(model, start_percent, end_percent), branch,
                       resample, NODE)
        return io.NodeOutput(comfy_unet.with_tap(model, tap, NODE))


def x_mode_inputs() -> list:
    split = f"Only for x-space directions; the sampler is split at the edit step ({NOT_FAITHFUL})."
    return [io.Combo.Input("x_mode", options=["add", "guidance"], default="add", optional=True,
                           tooltip="add: x_t <- x_t + strength x v. guidance: Park's x-space guidance, N times "
                                   "x <- x + s (eps(x + strength x v) - eps(x)) at the same step. " + split),
            io.Float.Input("guidance_scale", default=1.0, min=-100.0, max=100.0, step=0.01, optional=True,
                           tooltip="s of the x-space guidance (reference: 0.1 pixel models, 1 SD). 0 = no edit."),
            io.Int.Input("guidance_steps", default=16, min=1, max=1000, optional=True,
                         tooltip="N, the number of guidance iterations (reference: 16, 64 with an edit prompt).")]


def guidance_of(x_mode: str, scale: float, steps: int):
    return (float(scale), int(steps)) if x_mode == "guidance" else None


def apply_x_edit(model, direction, strengths, guidance=None) -> io.NodeOutput:
    """x-space (pullback) directions: x_t <- x_t + strength * v at the direction's own step, or (s, N) guidance
    along strength * v, by splitting the sampler there (the window inputs do not apply)."""
    check_direction_fits(model, direction, NODE, space="x")
    sigma = float(direction.meta.get("params", {}).get("at_sigma", 0.0))
    if sigma <= 0.0:
        raise LatentDirectionsError(NODE, "the x-space direction does not record the sigma it was found at",
                                    "Re-create it with Jacobian Directions (pullback)")
    m = with_x_edit(model, direction, strengths, sigma, NODE, guidance)
    t = float(direction.timesteps[0])
    how = "" if guidance is None else f", guidance s={guidance[0]:g} N={guidance[1]}"
    return io.NodeOutput(m, ui=ui.PreviewText(f"x-space edit at t={t:.0f} (sigma {sigma:.3g}{how}); {NOT_FAITHFUL}"))


NODES = [ApplyLatentEdit]
