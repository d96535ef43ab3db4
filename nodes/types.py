"""The pack's custom ComfyUI types, created once and imported everywhere."""
from comfy_api.latest import io

Direction = io.Custom("DIRECTION")
Trajectory = io.Custom("LD_TRAJECTORY")
