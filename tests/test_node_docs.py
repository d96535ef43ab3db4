"""What artists see: every LD_ node has a description, a help page in web/docs and a tooltip on every input, and
strength / percent / distance inputs are sliders."""
import asyncio
import os

import pytest

from comfy_api.latest import io

from conftest import REPO
from latent_directions.nodes import LatentDirectionsExtension

NODES = asyncio.run(LatentDirectionsExtension().get_node_list())
SCHEMAS = {cls.__name__: cls.define_schema() for cls in NODES}
SLIDER_WORDS = ("strength", "percent", "distance")


def test_node_ids_are_unique_and_prefixed():
    ids = [s.node_id for s in SCHEMAS.values()]
    assert len(ids) == len(set(ids)), ids
    assert all(i.startswith("LD_") for i in ids), [i for i in ids if not i.startswith("LD_")]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_node_has_description_help_page_and_input_tooltips(name):
    s = SCHEMAS[name]
    assert (s.description or "").strip(), f"{s.node_id} has no description"
    page = os.path.join(REPO, "web", "docs", f"{s.node_id}.md")
    assert os.path.isfile(page), f"{s.node_id} has no help page web/docs/{s.node_id}.md"
    with open(page, encoding="utf-8") as f:
        assert f.read().lstrip().startswith("# "), f"{page} does not start with a title"
    missing = [i.id for i in s.inputs if not (i.tooltip or "").strip()]
    assert not missing, f"{s.node_id}: inputs without a tooltip: {missing}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_strength_percent_distance_inputs_are_sliders(name):
    s = SCHEMAS[name]
    for i in s.inputs:
        if isinstance(i, io.Float.Input) and any(w in i.id for w in SLIDER_WORDS):
            assert i.display_mode == io.NumberDisplay.slider, f"{s.node_id}.{i.id} is not a slider"
            assert i.min is not None and i.max is not None and i.step, f"{s.node_id}.{i.id} needs min, max and step"
            assert i.min <= i.default <= i.max, f"{s.node_id}.{i.id}: default outside [min, max]"


def test_every_help_page_belongs_to_a_node():
    ids = {s.node_id for s in SCHEMAS.values()}
    pages = {f[:-3] for f in os.listdir(os.path.join(REPO, "web", "docs")) if f.endswith(".md")}
    assert pages <= ids, pages - ids


def test_direction_nodes_show_summary_text_and_a_spectrum_plot():
    import torch

    from latent_directions.core.direction import Direction
    from latent_directions.nodes import direction_nodes as DN

    many = Direction(torch.randn(10, 5, 4, 2, 2), torch.linspace(50, 950, 5), torch.rand(10, 5) + 0.5,
                     {"method": "pca", "labels": [f"PC{i}" for i in range(10)]})
    one = Direction(torch.randn(3, 1, 4, 2, 2), torch.tensor([400.0]), torch.ones(3, 1), {"method": "jacobian_pullback"},
                    {"singular_values": torch.tensor([[9.0], [4.0], [1.0]])})
    svm = Direction(torch.randn(1, 1, 4, 2, 2), torch.tensor([500.0]), torch.ones(1, 1),
                    {"method": "svm_boundary", "params": {"mean_distance_a": 3.0, "mean_distance_b": -2.0}})
    for d in (many, one, svm):
        img = DN.spectrum_image(d)
        assert img.shape == (*DN.PLOT_SIZE[::-1], 3) and img.min() < 0.5  # something is drawn
    out = DN.ScaleDirections.execute(many, -2.0)
    assert out.ui["text"] == (DN.summary(out.args[0]),)
    assert out.ui["images"][0]["type"] == "temp" and out.ui["images"][0]["filename"].endswith(".png")
    nan = Direction(torch.randn(1, 2, 3), torch.tensor([1.0, 2.0]), torch.full((1, 2), float("nan")), {"method": "x"})
    assert "images" not in DN.direction_ui(nan, None) and DN.direction_ui(nan, None, "t")["text"] == ("t",)
