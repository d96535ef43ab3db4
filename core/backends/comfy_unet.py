"""ComfyUI backend of the h-space tap: SD-style UNetModel via the clone-safe output-block patch.

h is the `h` handed to the first output-block patch, where transformer_options["block"] == ("output", 0): the
mid-block output with ControlNet's middle residual added (openaimodel.py `_forward`; COMFYUI.md §2.6).
The patch is attached to a clone; the input MODEL is never changed.
"""
from __future__ import annotations

import torch

import comfy.patcher_extension
from comfy.ldm.modules.diffusionmodules.openaimodel import UNetModel

from ..errors import LatentDirectionsError
from ..tap import COND, StepInfo, Tap, Window, continuous_t

H_BLOCK = ("output", 0)


def model_family(model) -> str:
    """A readable family name, e.g. 'SD15 (BaseModel/UNetModel)'."""
    inner = getattr(model, "model", model)
    cfg = getattr(inner, "model_config", None)
    dm = getattr(inner, "diffusion_model", None)
    return f"{type(cfg).__name__ if cfg is not None else '?'} ({type(inner).__name__}/{type(dm).__name__})"


def require_unet(model, node: str) -> UNetModel:
    """The model's UNetModel with a middle block, or a clear refusal naming the model family."""
    dm = getattr(getattr(model, "model", None), "diffusion_model", None)
    if not isinstance(dm, UNetModel):
        raise LatentDirectionsError(
            node, f"the model is {model_family(model)}, which has no U-Net mid-block (h-space exists only in "
                  "SD1.x/SD2.x/SDXL-style U-Nets; Flux, SD3 and other DiT models are not supported yet)",
            "Connect an SD1.x, SD2.x or SDXL-family checkpoint, or the bundled demo model")
    if getattr(dm, "middle_block", None) is None:
        raise LatentDirectionsError(node, f"this U-Net ({model_family(model)}) was built without a middle block",
                                    "Use a checkpoint whose U-Net has a middle block")
    return dm


def model_sampling(model):
    """The model's sampling object, honouring object patches (ModelSamplingDiscrete nodes etc.)."""
    return model.get_model_object("model_sampling")


def window_from_percent(model, start_percent: float, end_percent: float) -> Window:
    """ComfyUI start/end percent (0 = first step, 1 = last) to an inclusive sigma window."""
    ms = model_sampling(model)
    return Window(sigma_lo=float(ms.percent_to_sigma(end_percent)), sigma_hi=float(ms.percent_to_sigma(start_percent)))


def step_info(transformer_options: dict, log_sigmas: torch.Tensor | None) -> StepInfo:
    sig = transformer_options.get("sigmas")
    sigma = float(sig.reshape(-1)[0]) if sig is not None else None
    t = continuous_t(log_sigmas, sigma) if (sigma is not None and log_sigmas is not None) else None
    chunks = tuple(int(c) for c in transformer_options.get("cond_or_uncond", (COND,)))
    return StepInfo(sigma=sigma, t=t, chunks=chunks or (COND,))


def make_patch(tap: Tap, log_sigmas: torch.Tensor | None):
    """An output-block patch (h, hsp, transformer_options) -> (h, hsp) that runs tap on h at block ("output", 0)."""

    def h_tap_patch(h, hsp, transformer_options):
        if transformer_options.get("block") != H_BLOCK:
            return h, hsp
        return tap(h, step_info(transformer_options, log_sigmas)), hsp

    h_tap_patch.latent_directions_tap = tap
    return h_tap_patch


def with_tap(model, tap: Tap, node: str):
    """A clone of model with tap attached at h. The input model is unchanged.

    A tap limited to the uncond branch also gets an OUTER_SAMPLE wrapper that refuses CFG 1, where ComfyUI runs no
    uncond pass and the edit would silently do nothing."""
    require_unet(model, node)
    ms = model_sampling(model)
    log_sigmas = getattr(ms, "log_sigmas", None)
    m = model.clone()
    m.set_model_output_block_patch(make_patch(tap, log_sigmas.detach().cpu() if log_sigmas is not None else None))
    if tap.branch == "uncond":
        m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.OUTER_SAMPLE, f"latent_directions_{id(tap)}",
                               _require_uncond_pass(node))
    return m


def _require_uncond_pass(node: str):
    def wrapper(executor, *args, **kwargs):
        guider = executor.class_obj
        cfg = getattr(guider, "cfg", None)
        opts = getattr(guider, "model_options", {}) or {}
        if cfg is not None and float(cfg) == 1.0 and not opts.get("disable_cfg1_optimization", False):
            raise LatentDirectionsError(node, "branch is uncond but CFG is 1, where ComfyUI runs no uncond (negative) "
                                              "pass, so the edit would do nothing", "Set CFG above 1 or branch to both")
        return executor(*args, **kwargs)

    return wrapper


def h_shape(model, latent_hw: tuple[int, int]) -> tuple[int, int, int]:
    """[C, H, W] of h for a latent of spatial size latent_hw."""
    require_unet(model, "h shape")
    cfg = model.model.model_config.unet_config
    mult = list(cfg["channel_mult"])
    f = 2 ** (len(mult) - 1)
    return (int(cfg["model_channels"] * mult[-1]), -(-latent_hw[0] // f), -(-latent_hw[1] // f))


def signature(model) -> dict:
    """What a direction file records about the model it was made on (DESIGN.md "The DIRECTION type")."""
    require_unet(model, "model signature")
    inner = model.model
    cfg = inner.model_config.unet_config
    return {
        "family": type(inner.model_config).__name__,
        "model_type": getattr(inner.model_type, "name", str(inner.model_type)),
        "h_channels": int(cfg["model_channels"] * list(cfg["channel_mult"])[-1]),
        "downsample": 2 ** (len(cfg["channel_mult"]) - 1),
        "latent_channels": int(inner.latent_format.latent_channels),
        "context_dim": cfg.get("context_dim"),
        "adm_in_channels": cfg.get("adm_in_channels"),
    }
