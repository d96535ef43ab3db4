"""Builds the bundled demo model with ComfyUI's own UNetModel, BaseModel, ModelPatcher and pixel-space VAE."""
from __future__ import annotations

import json

import torch
from safetensors import safe_open
from safetensors.torch import load_file

import comfy.latent_formats
import comfy.model_base
import comfy.model_management
import comfy.model_patcher
import comfy.ops
import comfy.sd
import comfy.supported_models_base
from comfy.ldm.modules.diffusionmodules.openaimodel import UNetModel

from ..demo import config as C

UNET_PREFIX = "diffusion_model."
EMBED_KEY = "conditioner.tokens"  # [len(PROMPTS), CONTEXT_DIM]
CONST_KEY = "conditioner.constant"  # [CONTEXT_TOKENS - 1, CONTEXT_DIM]


class DemoLatentFormat(comfy.latent_formats.LatentFormat):
    """Pixel space: 3 channels, no scaling (the pixel-space VAE maps [0, 1] to [-1, 1])."""

    latent_channels = 3
    scale_factor = 1.0


class DemoModelConfig(comfy.supported_models_base.BASE):
    unet_config = dict(C.UNET_CONFIG)
    unet_extra_config = {}
    sampling_settings = dict(C.SAMPLING_SETTINGS)
    latent_format = DemoLatentFormat
    memory_usage_factor = 1.0
    supported_inference_dtypes = [torch.float32, torch.bfloat16, torch.float16]


def init_weights(module: torch.nn.Module) -> None:
    """ComfyUI's ops skip initialisation; run torch's own reset_parameters on every layer."""
    for m in module.modules():
        for base in type(m).__mro__:
            if base.__module__.startswith("torch.nn") and "reset_parameters" in base.__dict__:
                base.reset_parameters(m)
                break


def build_unet(config: dict | None = None) -> UNetModel:
    """A freshly initialised demo UNetModel for training (config: C.UNET_CONFIG unless given)."""
    unet = UNetModel(**(config or C.UNET_CONFIG), dtype=torch.float32, operations=comfy.ops.disable_weight_init)
    init_weights(unet)
    return unet


def load_demo_model(path: str, dtype: torch.dtype | None = None):
    """Load the demo weights file -> (ModelPatcher, token embeddings [P, D], constant tokens [L-1, D])."""
    sd = load_file(path)
    tokens, const = sd.pop(EMBED_KEY), sd.pop(CONST_KEY)
    with safe_open(path, "pt") as fh:
        meta = fh.metadata() or {}
    cfg = DemoModelConfig(json.loads(meta["config"]) if "config" in meta else dict(C.UNET_CONFIG))
    load_device = comfy.model_management.get_torch_device()
    if dtype is None:
        dtype = comfy.model_management.unet_dtype(model_params=sum(v.numel() for v in sd.values()),
                                                  supported_dtypes=cfg.supported_inference_dtypes,
                                                  weight_dtype=torch.float32)
    manual_cast = comfy.model_management.unet_manual_cast(dtype, load_device, cfg.supported_inference_dtypes)
    cfg.set_inference_dtype(dtype, manual_cast)
    model = cfg.get_model({}, "")
    model.load_model_weights(sd, UNET_PREFIX)
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=load_device,
                                               offload_device=comfy.model_management.unet_offload_device())
    return patcher, tokens, const


def pixel_vae():
    """ComfyUI's built-in pixel-space VAE (IMAGE [0, 1] <-> LATENT [-1, 1])."""
    return comfy.sd.VAE(sd={"pixel_space_vae": torch.tensor(1.0)})


def context_for(tokens: torch.Tensor, const: torch.Tensor, index: int) -> torch.Tensor:
    """Cross-attention context [1, CONTEXT_TOKENS, D] for prompt index (3 = null)."""
    return torch.cat([tokens[index:index + 1], const], dim=0).unsqueeze(0).float()
