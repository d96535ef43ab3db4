"""ComfyUI glue: thin V3 nodes over core/."""
from typing_extensions import override

from comfy_api.latest import ComfyExtension, io

from . import boundary, curvedness, demo, direction_nodes, edit, grid, image_set, inversion, jacobian, paths, pca, supervised, view


class LatentDirectionsExtension(ComfyExtension):
    @override
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        paths.install_example_inputs()  # ComfyUI 0.3.75 never calls on_load
        return [*demo.NODES, *view.NODES, *direction_nodes.NODES, *pca.NODES, *jacobian.NODES, *curvedness.NODES, *supervised.NODES, *boundary.NODES, *image_set.NODES, *edit.NODES, *inversion.NODES,
                *grid.NODES]
