"""Backend adapters: the only modules of core/ that import a host (ComfyUI or diffusers)."""
