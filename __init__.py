"""Latent Directions: discover and apply semantic directions in a diffusion U-Net's h-space (ComfyUI node pack)."""

WEB_DIRECTORY = "./web"


async def comfy_entrypoint():
    from .nodes import LatentDirectionsExtension  # ComfyUI imports happen only inside ComfyUI

    return LatentDirectionsExtension()
