"""The models/latent_directions/ folder: registered once with ComfyUI's folder_paths, safetensors only."""
from __future__ import annotations

import os

import folder_paths

from ..core.errors import LatentDirectionsError

FOLDER = "latent_directions"

# Keep paths an extra_model_paths.yaml may already have added (first = where Save writes); safetensors only.
_paths = folder_paths.folder_names_and_paths.get(FOLDER, ([], set()))[0]
if os.path.join(folder_paths.models_dir, FOLDER) not in _paths:
    _paths.append(os.path.join(folder_paths.models_dir, FOLDER))
folder_paths.folder_names_and_paths[FOLDER] = (_paths, {".safetensors"})


def save_dir() -> str:
    d = folder_paths.get_folder_paths(FOLDER)[0]
    os.makedirs(d, exist_ok=True)
    return d


def list_files() -> list[str]:
    return folder_paths.get_filename_list(FOLDER)


def resolve(node: str, name: str) -> str:
    """Full path of a direction file given by name; names only (no absolute paths, no '..'), .safetensors only."""
    if not name:
        raise LatentDirectionsError(node, "no direction file was chosen", f"Save one into models/{FOLDER}/ first")
    parts = name.replace("\\", "/").split("/")
    if os.path.isabs(name) or ".." in parts or name.startswith("~"):
        raise LatentDirectionsError(node, f"'{name}' is a path, not a file name",
                                    f"Pick a file listed from models/{FOLDER}/")
    if not name.lower().endswith(".safetensors"):
        raise LatentDirectionsError(node, f"'{name}' is not a .safetensors file",
                                    "Direction files are safetensors; re-save it with Save Direction")
    path = folder_paths.get_full_path(FOLDER, name)
    if path is None:
        raise LatentDirectionsError(node, f"'{name}' was not found in models/{FOLDER}/",
                                    "Refresh the node list (R) or save the direction again")
    return path
