"""Nodes that turn results into pictures."""
from __future__ import annotations

import torch

from comfy_api.latest import io

from ..core import plot
from ..core.errors import LatentDirectionsError

NODE = "Labelled Image Grid"


class LabelledGrid(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_LabelledGrid", display_name="Labelled Image Grid (Latent Directions)",
            category="latent_directions/view",
            description="Tiles an image batch into one grid with row and column labels (nearest-neighbour upscale).",
            inputs=[io.Image.Input("images", tooltip="The image batch to tile, in row-major order."),
                    io.Int.Input("columns", default=8, min=1, max=256, tooltip="Images per row."),
                    io.String.Input("row_labels", default="", multiline=True,
                                    tooltip="One label per row, comma- or line-separated."),
                    io.String.Input("column_labels", default="", multiline=True,
                                    tooltip="One label per column, comma- or line-separated."),
                    io.Int.Input("scale", default=4, min=1, max=16,
                                 tooltip=f"Upscale factor of each tile (nearest neighbour); tiles are not upscaled "
                                         f"beyond {plot.MAX_TILE} px."),
                    io.String.Input("title", default="", tooltip="Optional title above the grid.")],
            outputs=[io.Image.Output()])

    @classmethod
    def execute(cls, images, columns, row_labels, column_labels, scale, title) -> io.NodeOutput:
        if images.shape[0] == 0:
            raise LatentDirectionsError(NODE, "the image batch is empty", "Connect a node that outputs images")
        check_grid_size(NODE, images.shape[0], images.shape[1], images.shape[2], columns, scale)
        grid = plot.labelled_grid(images.detach().cpu().float().numpy(), columns, plot.split_labels(row_labels),
                                  plot.split_labels(column_labels), scale, title)
        return io.NodeOutput(torch.from_numpy(grid).unsqueeze(0))


def check_grid_size(node: str, n: int, h: int, w: int, columns: int, scale: int) -> None:
    """Refuse, before any work, a grid with a side over plot.MAX_SIDE px."""
    cols, rows, width, height = plot.grid_shape(n, h, w, columns, scale)
    if max(width, height) > plot.MAX_SIDE:
        raise LatentDirectionsError(
            node, f"{rows} x {cols} tiles of {w} x {h} px at scale {plot.tile_scale(h, w, scale)} make a "
                  f"{width} x {height} px grid, over the {plot.MAX_SIDE} px limit",
            "Lower scale, or change columns (or, on a strength grid, use fewer strengths or directions)")


NODES = [LabelledGrid]
