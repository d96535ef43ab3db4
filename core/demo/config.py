"""Configuration of the bundled demo model (pure data; the model itself is ComfyUI's UNetModel)."""
from __future__ import annotations

PROMPTS = ("circle", "square", "triangle", "")  # index 3 = the null prompt used for CFG
NULL_INDEX = 3
CONTEXT_DIM = 32
CONTEXT_TOKENS = 2  # [class token, a learned constant token]

# An SD-shaped UNetModel in pixel space: 32x32x3 in, 3 levels, mid-block h is [64, 8, 8].
UNET_CONFIG = {
    "image_size": 32, "in_channels": 3, "out_channels": 3, "model_channels": 32,
    "num_res_blocks": [1, 1, 1], "channel_mult": [1, 2, 2],
    "transformer_depth": [0, 1, 1], "transformer_depth_middle": 1,
    "transformer_depth_output": [0, 0, 1, 1, 1, 1],
    "context_dim": CONTEXT_DIM, "num_heads": -1, "num_head_channels": 32,
    "use_spatial_transformer": True, "use_linear_in_transformer": True, "legacy": False,
    "adm_in_channels": None, "use_temporal_attention": False, "use_temporal_resblock": False,
    "use_checkpoint": False,
}
# A variant with cross-attention only in the middle block: the prompt reaches the decoder only through h (and
# the skips' shape evidence), an experiment on how much of the class h then decides (docs/h_reliance.md).
UNET_CONFIG_MIDDLE_ATTENTION = {**UNET_CONFIG, "transformer_depth": [0, 0, 0],
                                "transformer_depth_output": [0, 0, 0, 0, 0, 0]}
UNET_CONFIGS = {"sd": UNET_CONFIG, "middle": UNET_CONFIG_MIDDLE_ATTENTION}

# Stable Diffusion's 1000-step "linear" schedule as ComfyUI and LDM name it (betas linear in sqrt(beta) from
# 0.00085 to 0.012; sigma_max 14.6). DDPM's plain linspace 1e-4..0.02 (sigma_max 157) was tried first: ComfyUI's
# samplers do not clip x0, and the small model's bias in eps at high noise then integrates into saturated images.
SAMPLING_SETTINGS = {"beta_schedule": "linear", "linear_start": 0.00085, "linear_end": 0.012, "timesteps": 1000}
H_SHAPE = (64, 8, 8)
