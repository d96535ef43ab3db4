"""Nodes for the bundled demo model: loader, shape prompt, empty latent, factor measurer."""
from __future__ import annotations

import os

import torch
from safetensors import safe_open

from comfy_api.latest import io, ui

from ..core.demo import config as C
from ..core.demo import measure as M
from ..core.demo import render as R
from ..core.errors import LatentDirectionsError
from . import paths

DTYPES = {"auto": None, "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
PROMPT_CHOICES = [p or "(none)" for p in C.PROMPTS]


def _file_key(path: str) -> str:
    st = os.stat(path)
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _require_weights(node: str) -> str:
    path = paths.demo_weights_path()
    if not os.path.isfile(path):
        raise LatentDirectionsError(node, f"the demo weights {path} are missing",
                                    "Restore demo_model/ from the repository (git checkout -- demo_model)")
    return path


class LoadDemoModel(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_LoadDemoModel", display_name="Load Demo Model (Latent Directions)",
            category="latent_directions/demo",
            description="Loads the bundled 32x32 pixel-space demo U-Net (shapes with known factors) and its "
                        "pixel-space VAE. Sample it with 'Demo Shape Prompt' and 'Empty Demo Latent'.",
            inputs=[io.Combo.Input("weight_dtype", options=list(DTYPES), default="auto",
                                   tooltip="Model dtype; auto picks what ComfyUI would for this device.")],
            outputs=[io.Model.Output(), io.Vae.Output()])

    @classmethod
    def fingerprint_inputs(cls, weight_dtype):
        path = paths.demo_weights_path()
        return _file_key(path) if os.path.isfile(path) else "missing"

    @classmethod
    def execute(cls, weight_dtype) -> io.NodeOutput:
        from ..core.backends import comfy_demo
        model, _, _ = comfy_demo.load_demo_model(_require_weights("Load Demo Model"), dtype=DTYPES[weight_dtype])
        return io.NodeOutput(model, comfy_demo.pixel_vae())


_TOKEN_CACHE: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}


def _tokens(path: str):
    key = _file_key(path)
    if key not in _TOKEN_CACHE:
        from ..core.backends.comfy_demo import CONST_KEY, EMBED_KEY
        with safe_open(path, "pt") as f:
            _TOKEN_CACHE.clear()
            _TOKEN_CACHE[key] = (f.get_tensor(EMBED_KEY), f.get_tensor(CONST_KEY))
    return _TOKEN_CACHE[key]


class DemoPrompt(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DemoPrompt", display_name="Demo Shape Prompt (Latent Directions)",
            category="latent_directions/demo",
            description="Conditioning for the demo model: the shape class, or (none), the null prompt used as the "
                        "negative for classifier-free guidance.",
            inputs=[io.Combo.Input("shape", options=PROMPT_CHOICES, default="circle",
                                   tooltip="Shape class to generate; (none) is the unconditional/null prompt.")],
            outputs=[io.Conditioning.Output()])

    @classmethod
    def fingerprint_inputs(cls, shape):
        path = paths.demo_weights_path()
        return (_file_key(path) if os.path.isfile(path) else "missing", shape)

    @classmethod
    def execute(cls, shape) -> io.NodeOutput:
        from ..core.backends.comfy_demo import context_for
        tokens, const = _tokens(_require_weights("Demo Shape Prompt"))
        ctx = context_for(tokens, const, PROMPT_CHOICES.index(shape))
        return io.NodeOutput([[ctx, {}]])


class EmptyDemoLatent(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_EmptyDemoLatent", display_name="Empty Demo Latent (Latent Directions)",
            category="latent_directions/demo",
            description="An empty pixel-space latent for the demo model (3 channels; it was trained at 32x32).",
            inputs=[io.Int.Input("width", default=32, min=8, max=512, step=8, tooltip="Image width in pixels."),
                    io.Int.Input("height", default=32, min=8, max=512, step=8, tooltip="Image height in pixels."),
                    io.Int.Input("batch_size", default=1, min=1, max=4096, tooltip="Number of images.")],
            outputs=[io.Latent.Output()])

    @classmethod
    def execute(cls, width, height, batch_size) -> io.NodeOutput:
        return io.NodeOutput({"samples": torch.zeros(batch_size, 3, height, width)})


class MeasureDemoFactors(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_MeasureDemoFactors", display_name="Measure Demo Factors (Latent Directions)",
            category="latent_directions/demo",
            description="Reads shape class, hue, size, centre, background and stripes back from demo images, and "
                        "says which images do not hold exactly one object.",
            inputs=[io.Image.Input("images", tooltip="32x32 images from the demo model (or any renders).")],
            outputs=[io.String.Output(display_name="table")], is_output_node=True)

    @classmethod
    def execute(cls, images) -> io.NodeOutput:
        if images.shape[1] != R.SIZE or images.shape[2] != R.SIZE:
            raise LatentDirectionsError("Measure Demo Factors", f"images are {images.shape[2]}x{images.shape[1]}, "
                                        f"the measurer reads {R.SIZE}x{R.SIZE} demo images",
                                        "Measure the demo model's 32x32 outputs")
        table = format_table(M.measure(images.permute(0, 3, 1, 2)))
        return io.NodeOutput(table, ui=ui.PreviewText(table))


def format_table(m: dict) -> str:
    rows = ["i\tobject\tclass\thue\tsize\tcx\tcy\tbg\tstripes"]
    for i in range(len(m["single"])):
        if not m["single"][i]:
            rows.append(f"{i}\t{m['n_objects'][i]} objects\t-\t-\t-\t-\t-\t{m['bg'][i]:.2f}\t-")
            continue
        rows.append(f"{i}\tone\t{R.CLASSES[m['cls'][i]]}\t{m['hue'][i]:.3f}\t{m['r'][i]:.2f}\t{m['cx'][i]:.1f}\t"
                    f"{m['cy'][i]:.1f}\t{m['bg'][i]:.2f}\t{R.STRIPES[m['stripes'][i]]}")
    return "\n".join(rows)


NODES = [LoadDemoModel, DemoPrompt, EmptyDemoLatent, MeasureDemoFactors]
