"""End to end against a real ComfyUI server on 127.0.0.1: registration, and the example workflows over HTTP."""
import glob
import io
import os

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from latent_directions.core.demo import measure as M
from scripts.comfy_server import execution_error
from scripts.workflows import load, ui_to_api

pytestmark = pytest.mark.server

PACK_NODES = {"LD_LoadDemoModel", "LD_DemoPrompt", "LD_EmptyDemoLatent", "LD_MeasureDemoFactors", "LD_LabelledGrid",
              "LD_ExtractHSpacePCA", "LD_SaveDirection", "LD_LoadDirection", "LD_SelectDirections",
              "LD_ScaleDirections", "LD_CombineDirections", "LD_ApplyLatentEdit", "LD_DirectionStrengthGrid"}
WORKFLOWS = sorted(glob.glob(os.path.join(REPO, "example_workflows", "*.json")))


def test_object_info_lists_the_pack(server):
    info = server.get("/object_info")
    assert PACK_NODES <= set(info)
    for n in PACK_NODES:
        assert info[n]["python_module"].startswith("custom_nodes.latent_directions")
        assert info[n]["category"].startswith("latent_directions")
    pack_lines = [l for l in server.log().splitlines() if l.rstrip().endswith("custom_nodes/latent_directions")]
    assert pack_lines and all("IMPORT FAILED" not in l for l in pack_lines), pack_lines


def _pngs_to_batch(pngs):
    return np.stack([np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), np.float32) / 255.0 for p in pngs])


@pytest.mark.parametrize("path", WORKFLOWS, ids=[os.path.basename(p) for p in WORKFLOWS])
def test_example_workflow_runs(server, path):
    info = server.get("/object_info")
    prompt = ui_to_api(load(path), info)
    entry = server.run(prompt)
    assert execution_error(entry) is None, execution_error(entry)
    assert entry["status"]["status_str"] == "success"
    assert server.images(entry), "the workflow wrote no images"
    for node_id, node in prompt_measurers(prompt):
        rows = entry["outputs"][node_id]["text"][0].splitlines()[1:]
        one = sum(r.split("\t")[1] == "one" for r in rows) / len(rows)
        assert one >= 0.75, f"{os.path.basename(path)}: only {one:.0%} of the measured images hold one object"
        check = SEMANTIC_CHECKS.get(os.path.basename(path))
        if check:
            check(rows)


def _stripes_sides(rows):
    """demo_boundary_stripes: rows 2 and 3 (8 images each) are sent to the vertical / horizontal side of the x_t
    boundary; the striped circles there must show that orientation."""
    stripes = [r.split("\t")[-1] for r in rows]
    for row, want in ((1, "vertical"), (2, "horizontal")):
        got = [s for s in stripes[8 * row:8 * row + 8] if s in ("vertical", "horizontal")]
        assert len(got) >= 3 and got.count(want) >= 0.9 * len(got), (want, stripes)


SEMANTIC_CHECKS = {"demo_boundary_stripes.json": _stripes_sides}


def prompt_measurers(prompt):
    return [(k, v) for k, v in prompt.items() if v["class_type"] == "LD_MeasureDemoFactors"]


def test_main_workflow_samples_pass_the_measurer(server):
    """Demo model quality through the real server: >= 90 % one object, >= 90 % class = prompt."""
    path = os.path.join(REPO, "example_workflows", "demo_generate_grid.json")
    prompt = ui_to_api(load(path), server.get("/object_info"))
    entry = server.run(prompt)
    assert execution_error(entry) is None, execution_error(entry)
    saver = next(k for k, v in prompt.items() if v["inputs"].get("filename_prefix", "").endswith("demo_samples"))
    imgs = _pngs_to_batch(server.images(entry, saver))
    assert imgs.shape == (24, 32, 32, 3)
    m = M.measure(imgs.transpose(0, 3, 1, 2))
    want = np.repeat(np.arange(3), 8)
    one = m["single"].mean()
    acc = (m["cls"] == want).mean()
    assert one >= 0.9, f"only {one:.0%} of samples hold exactly one object"
    assert acc >= 0.9, f"class accuracy {acc:.0%}"


def test_ui_to_api_maps_widgets_and_links(server):
    info = server.get("/object_info")
    prompt = ui_to_api(load(os.path.join(REPO, "example_workflows", "demo_generate_grid.json")), info)
    ks = [v for v in prompt.values() if v["class_type"] == "KSampler"]
    assert len(ks) == 3
    k = ks[0]["inputs"]
    assert (k["seed"], k["steps"], k["cfg"], k["sampler_name"], k["scheduler"], k["denoise"]) == \
        (100, 50, 2.5, "euler", "normal", 1.0)
    loader = next(i for i, v in prompt.items() if v["class_type"] == "LD_LoadDemoModel")
    assert k["model"] == [loader, 0]
    assert not any(v["class_type"] == "MarkdownNote" for v in prompt.values())


def test_pca_workflow_saves_a_loadable_direction(server):
    files = os.listdir(os.path.join(server.workdir, "models", "latent_directions"))
    if not files:
        entry = server.run(ui_to_api(load(os.path.join(REPO, "example_workflows", "demo_pca_discover.json")),
                                     server.get("/object_info")))
        assert execution_error(entry) is None
        files = os.listdir(os.path.join(server.workdir, "models", "latent_directions"))
    assert files and all(f.endswith(".safetensors") for f in files)
    assert files[0] in server.get("/object_info/LD_LoadDirection")["LD_LoadDirection"]["input"]["required"][
        "direction_file"][1]["options"]
    prompt = {"1": {"class_type": "LD_LoadDirection", "inputs": {"direction_file": files[0]}}}
    entry = server.run(prompt | {"2": {"class_type": "LD_SaveDirection",
                                       "inputs": {"direction": ["1", 0], "filename_prefix": "copy"}}})
    assert execution_error(entry) is None
    assert "8 direction(s) | method pca" in entry["outputs"]["2"]["text"][0]
