"""Run every example workflow through one headless real ComfyUI and refresh the pictures made from their outputs:
docs/images/NAME.png (the workflow's grid) and example_workflows/NAME.jpg (512-px-wide thumbnail for the template
browser).

    .venv/bin/python -m scripts.make_pictures [NAME ...]
"""
from __future__ import annotations

import glob
import os
import sys

from PIL import Image

from scripts.comfy_server import PACK_DIR, ComfyServer, execution_error
from scripts.workflows import load, ui_to_api

FLOWS = os.path.join(PACK_DIR, "example_workflows")
IMAGES = os.path.join(PACK_DIR, "docs", "images")


def grid_file(srv: ComfyServer, prompt: dict) -> str:
    """The newest PNG written by the workflow's grid SaveImage (prefix ending in _grid)."""
    prefix = next(v["inputs"]["filename_prefix"] for v in prompt.values()
                  if v["class_type"] == "SaveImage" and v["inputs"]["filename_prefix"].endswith("_grid"))
    return sorted(glob.glob(os.path.join(srv.output_dir, prefix + "_*.png")), key=os.path.getmtime)[-1]


def main() -> int:
    names = sys.argv[1:] or sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(FLOWS, "*.json")))
    with ComfyServer() as srv:
        info = srv.get("/object_info")
        for name in names:
            prompt = ui_to_api(load(os.path.join(FLOWS, name + ".json")), info)
            err = execution_error(srv.run(prompt))
            if err:
                print(f"{name} failed in {err.get('node_type')}: {err.get('exception_message')}", file=sys.stderr)
                return 1
            img = Image.open(grid_file(srv, prompt)).convert("RGB")
            img.save(os.path.join(IMAGES, name + ".png"))
            w = min(512, img.width)
            img.resize((w, round(img.height * w / img.width)), Image.LANCZOS).save(
                os.path.join(FLOWS, name + ".jpg"), quality=85)
            print("refreshed", name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
