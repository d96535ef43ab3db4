"""Nodes that turn results into pictures."""
from __future__ import annotations

import torch

from comfy_api.latest import io

from ..core import plot


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
                    io.Int.Input("scale", default=4, min=1, max=16, tooltip="Upscale factor of each tile."),
                    io.String.Input("title", default="", tooltip="Optional title above the grid.")],
            outputs=[io.Image.Output()])

    @classmethod
    def execute(cls, images, columns, row_labels, column_labels, scale, title) -> io.NodeOutput:
        grid = plot.labelled_grid(images.detach().cpu().float().numpy(), columns, plot.split_labels(row_labels),
                                  plot.split_labels(column_labels), scale, title)
        return io.NodeOutput(torch.from_numpy(grid).unsqueeze(0))


NODES = [LabelledGrid]
