"""Shared fixtures: the pinned real ComfyUI imported in-process, tiny random-weight U-Nets built with ComfyUI's own
UNetModel wrapped in real ModelPatchers, tiny diffusers U-Nets, and a real ComfyUI server on 127.0.0.1."""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # for scripts.comfy_server (tests only; the pack itself uses relative imports)
from scripts.comfy_server import ComfyServer, comfy_dir  # noqa: E402

COMFY = comfy_dir()
PACK = "latent_directions"

if os.environ.get("LD_TEST_THREADS"):
    torch.set_num_threads(int(os.environ["LD_TEST_THREADS"]))


def _load_pack():
    """Import the repository as the package `latent_directions`, the way ComfyUI imports a custom node folder."""
    if PACK not in sys.modules:
        spec = importlib.util.spec_from_file_location(PACK, os.path.join(REPO, "__init__.py"),
                                                      submodule_search_locations=[REPO])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[PACK] = mod
        spec.loader.exec_module(mod)
    return sys.modules[PACK]


_load_pack()


def _import_comfy():
    """The pinned real ComfyUI, imported in-process (CPU, PyTorch attention), before any test module imports it."""
    if not os.path.isfile(os.path.join(COMFY, "comfy", "model_patcher.py")):
        raise RuntimeError(f"no ComfyUI at {COMFY}: run scripts/setup.sh (or set COMFYUI_DIR)")
    if COMFY not in sys.path:
        sys.path.insert(0, COMFY)
    import comfy.cli_args
    comfy.cli_args.args.cpu = True
    comfy.cli_args.args.use_pytorch_cross_attention = True
    import comfy.model_management
    import comfy.model_patcher
    import comfy.sample
    import comfy.samplers
    import comfy.supported_models
    return comfy


_COMFY_MODULE = _import_comfy()


@pytest.fixture(scope="session")
def comfy():
    return _COMFY_MODULE


@pytest.fixture(scope="session")
def tiny_sd15(comfy):
    """SD1.5-shaped UNetModel (cross-attention, context 32), random weights, h = [64, H/2, W/2]."""
    from latent_directions.core.backends import comfy_tiny
    return comfy_tiny.tiny_sd15()


@pytest.fixture(scope="session")
def tiny_sdxl(comfy):
    """SDXL-shaped UNetModel (adm conditioning: pooled 1280 + size embeddings), random weights."""
    from latent_directions.core.backends import comfy_tiny
    return comfy_tiny.tiny_sdxl()


@pytest.fixture(scope="session")
def tiny_flux(comfy):
    """A tiny Flux (DiT) model built with ComfyUI's own classes: no U-Net mid-block."""
    from latent_directions.core.backends import comfy_tiny
    return comfy_tiny.tiny_flux()


def sd15_conds(batch=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [[torch.randn(1, 4, 32, generator=g), {}]], [[torch.randn(1, 4, 32, generator=g), {}]]


def sdxl_conds(seed=0):
    g = torch.Generator().manual_seed(seed)
    mk = lambda: [[torch.randn(1, 4, 32, generator=g), {"pooled_output": torch.randn(1, 1280, generator=g),
                                                         "width": 64, "height": 64}]]
    return mk(), mk()


def sample(comfy, model, positive, negative, batch=1, size=16, steps=6, cfg=2.0, seed=0, sampler="euler",
           scheduler="normal", channels=4):
    latent = torch.zeros(batch, channels, size, size)
    noise = comfy.sample.prepare_noise(latent, seed)
    return comfy.sample.sample(model, noise, steps, cfg, sampler, scheduler, positive, negative, latent,
                               seed=seed, disable_pbar=True)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real ComfyUI server (main.py --cpu) on a free 127.0.0.1 port with only this pack; always shut down."""
    srv = ComfyServer(workdir=str(tmp_path_factory.mktemp("comfy")))
    srv.start()
    try:
        yield srv
    finally:
        srv.cleanup()
