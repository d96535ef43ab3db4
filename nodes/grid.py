"""Direction x Strength Grid: the sweep artists ask for, as one labelled image."""
from __future__ import annotations

import torch

from comfy_api.latest import io

from ..core import plot
from ..core.backends import comfy_unet
from ..core.backends.comfy_grid import strength_sweep
from ..core.errors import LatentDirectionsError
from .direction_nodes import parse_numbers
from .edit import check_direction_fits, check_window
from .view import check_grid_size
from .common import cond_inputs, direction_input, latent_size_input, model_input, sampling_inputs, seed_input, window_inputs

NODE = "Direction x Strength Grid"


class DirectionStrengthGrid(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DirectionStrengthGrid", display_name="Direction x Strength Grid",
            category="latent_directions/view",
            description="Samples one seed with each of the first K directions at each strength and returns a labelled "
                        "grid (rows: directions, columns: strengths) and the images.",
            inputs=[model_input(), io.Vae.Input("vae", tooltip="Decodes the samples into the grid's images."),
                    *cond_inputs(what="every cell is sampled with"), latent_size_input(),
                    direction_input(tooltip="An h-space DIRECTION set; rows are its first max_directions."),
                    seed_input(tooltip="One seed for every cell, so cells differ only by the edit."),
                    *sampling_inputs(),
                    io.Int.Input("max_directions", default=4, min=1, max=64, tooltip="Rows: the first K directions."),
                    io.String.Input("strengths", default="-4, -2, 0, 2, 4",
                                    tooltip="Columns: comma-separated strengths, in units of the direction's own "
                                            "scale (PCA: std of h)."),
                    *window_inputs(),
                    io.Int.Input("scale", default=4, min=1, max=16,
                                 tooltip=f"Upscale of each tile in the grid; tiles are not upscaled beyond "
                                         f"{plot.MAX_TILE} px.")],
            outputs=[io.Image.Output(display_name="grid"), io.Image.Output(display_name="images")])

    @classmethod
    def execute(cls, model, vae, positive, negative, latent_image, direction, seed, steps, cfg, sampler_name,
                scheduler, max_directions, strengths, start_percent, end_percent, branch, scale) -> io.NodeOutput:
        check_window(start_percent, end_percent, NODE)
        comfy_unet.require_unet(model, NODE)
        check_direction_fits(model, direction, NODE)
        vals = parse_numbers(NODE, "strengths", strengths)
        if len(vals) > 64:
            raise LatentDirectionsError(NODE, f"{len(vals)} strengths were given", "Use at most 64 columns")
        rows = list(range(min(max_directions, direction.k)))
        lat = latent_image["samples"]
        ratio = decode_ratio(vae)
        check_grid_size(NODE, len(rows) * len(vals), lat.shape[-2] * ratio, lat.shape[-1] * ratio, len(vals), scale)
        imgs = strength_sweep(model, vae, positive, negative, lat, direction, rows, vals, seed,
                              steps, cfg, sampler_name, scheduler,
                              comfy_unet.window_from_percent(model, start_percent, end_percent), branch, NODE)
        grid = plot.labelled_grid(imgs.float().cpu().numpy(), len(vals), [direction.labels[k] for k in rows],
                                  [f"{v:+g}" for v in vals], scale,
                                  f"{direction.meta.get('method', '')} directions x strength (seed {seed})")
        return io.NodeOutput(torch.from_numpy(grid).unsqueeze(0), imgs)


def decode_ratio(vae) -> int:
    """Pixels per latent cell of the VAE's decoder (1 for the pixel-space VAE, 8 for SD's)."""
    try:
        return max(1, int(vae.spacial_compression_decode()))
    except (AttributeError, TypeError, ValueError):
        return 1


NODES = [DirectionStrengthGrid]
