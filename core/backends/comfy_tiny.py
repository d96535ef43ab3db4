"""Tiny random-weight U-Nets built with ComfyUI's own model classes (SD1.5-, SDXL-shaped, and a tiny Flux DiT),
wrapped in real ModelPatchers: the test and benchmark models that need no download."""
from __future__ import annotations

import torch

import comfy.model_patcher
import comfy.supported_models

from .comfy_demo import init_weights


def tiny_unet_config(**over) -> dict:
    cfg = dict(use_checkpoint=False, image_size=32, in_channels=4, out_channels=4, model_channels=32,
               num_res_blocks=[1, 1], channel_mult=[1, 2], transformer_depth=[1, 1], transformer_depth_middle=1,
               transformer_depth_output=[1, 1, 1, 1], use_spatial_transformer=True, legacy=False,
               use_linear_in_transformer=False, context_dim=32, adm_in_channels=None,
               use_temporal_attention=False, use_temporal_resblock=False)
    cfg.update(over)
    return cfg


def build_patcher(config_cls, unet_config: dict, seed: int = 0, dtype=torch.float32):
    cfg = config_cls(unet_config)
    cfg.set_inference_dtype(dtype, None)
    model = cfg.get_model({})
    torch.manual_seed(seed)
    init_weights(model.diffusion_model)
    model.diffusion_model.to(dtype)
    dev = torch.device("cpu")
    return comfy.model_patcher.ModelPatcher(model, load_device=dev, offload_device=dev)


def tiny_sd15(seed: int = 0, dtype=torch.float32):
    """SD1.5-shaped: cross-attention (context 32), h = [64, H/2, W/2] for a latent of H x W."""
    return build_patcher(comfy.supported_models.SD15, tiny_unet_config(), seed, dtype)


def tiny_sdxl(seed: int = 1):
    """SDXL-shaped: adm conditioning (pooled 1280 + size embeddings), h = [128, H/2, W/2]."""
    return build_patcher(comfy.supported_models.SDXL,
                         tiny_unet_config(adm_in_channels=2816, num_classes="sequential", use_linear_in_transformer=True,
                                          model_channels=64, num_head_channels=16, num_heads=-1), seed)


def tiny_flux(seed: int = 0):
    """A tiny Flux DiT: no U-Net mid-block."""
    cfg = dict(image_model="flux", in_channels=16, out_channels=16, vec_in_dim=32, context_in_dim=32, hidden_size=32,
               mlp_ratio=2.0, num_heads=2, depth=1, depth_single_blocks=1, axes_dim=[4, 6, 6], theta=10000,
               patch_size=2, qkv_bias=True, guidance_embed=False)
    return build_patcher(comfy.supported_models.Flux, cfg, seed)
