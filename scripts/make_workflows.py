"""Regenerate example_workflows/*.json (UI format) from the definitions below, using a real server's /object_info.

    .venv/bin/python scripts/make_workflows.py
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.comfy_server import PACK_DIR, ComfyServer  # noqa: E402
from scripts.workflows import Graph  # noqa: E402

OUT = os.path.join(PACK_DIR, "example_workflows")
MAIN = "demo_generate_grid"
SHAPES = ("circle", "square", "triangle")


def demo_generate_grid(info: dict) -> dict:
    """Samples of each shape class from the bundled demo model, labelled grid + raw batch + measured factors."""
    g = Graph(info)
    load = g.add("LD_LoadDemoModel", pos=[0, 0])
    neg = g.add("LD_DemoPrompt", pos=[0, 200], shape="(none)", title="Negative: null prompt")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 340], batch_size=8)
    images = []
    for i, shape in enumerate(SHAPES):
        pos = g.add("LD_DemoPrompt", pos=[380, 420 * i], shape=shape, title=f"Prompt: {shape}")
        ks = g.add("KSampler", pos=[740, 420 * i], model=(load, 0), positive=(pos, 0), negative=(neg, 0),
                   latent_image=(latent, 0), seed=100 + i, steps=50, cfg=2.5, sampler_name="euler",
                   scheduler="normal", denoise=1.0)
        images.append(g.add("VAEDecode", pos=[1100, 420 * i], samples=(ks, 0), vae=(load, 1)))
    batch = g.add("ImageBatch", pos=[1400, 0], image1=(images[0], 0), image2=(images[1], 0))
    batch = g.add("ImageBatch", pos=[1400, 160], image1=(batch, 0), image2=(images[2], 0))
    grid = g.add("LD_LabelledGrid", pos=[1700, 0], images=(batch, 0), columns=8, row_labels=", ".join(SHAPES),
                 column_labels="", scale=4, title="Demo model: 8 samples per shape prompt (50 steps, CFG 2.5)")
    g.add("SaveImage", pos=[2080, 0], images=(grid, 0), filename_prefix="latent_directions/demo_grid")
    g.add("SaveImage", pos=[2080, 560], images=(batch, 0), filename_prefix="latent_directions/demo_samples")
    g.add("LD_MeasureDemoFactors", pos=[1700, 560], images=(batch, 0))
    g.note("**Latent Directions demo model**: a 32x32 pixel-space U-Net trained on rendered shapes with known "
           "factors. Each row is one shape prompt; the measurer reads the factors back.", pos=[0, 620])
    return g.to_json()


def demo_pca_discover(info: dict) -> dict:
    """Discover 8 h-space PCs on the demo model, save them, and show the top 4 x 5 strengths."""
    g = Graph(info)
    load = g.add("LD_LoadDemoModel", pos=[0, 0])
    pos = g.add("LD_DemoPrompt", pos=[0, 180], shape="circle", title="Positive: circle")
    neg = g.add("LD_DemoPrompt", pos=[0, 320], shape="(none)", title="Negative: null prompt")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 460], batch_size=1)
    pca = g.add("LD_ExtractHSpacePCA", pos=[380, 0], model=(load, 0), positive=(pos, 0), negative=(neg, 0),
                latent_image=(latent, 0), seed=1000, n_samples=64, batch_size=16, steps=20, cfg=2.5,
                sampler_name="euler", scheduler="normal", components=8, mode="per_timestep", record_branch="cond")
    g.add("LD_SaveDirection", pos=[800, 0], direction=(pca, 0), filename_prefix="demo_pca")
    g.add("SaveImage", pos=[800, 220], images=(pca, 1), filename_prefix="latent_directions/demo_pca_variance")
    grid = g.add("LD_DirectionStrengthGrid", pos=[800, 640], model=(load, 0), vae=(load, 1), positive=(pos, 0),
                 negative=(neg, 0), latent_image=(latent, 0), direction=(pca, 0), seed=7, steps=20, cfg=2.5,
                 sampler_name="euler", scheduler="normal", max_directions=4, strengths="-4, -2, 0, 2, 4",
                 start_percent=0.0, end_percent=1.0, branch="both", scale=4)
    g.add("SaveImage", pos=[1220, 640], images=(grid, 0), filename_prefix="latent_directions/demo_pca_grid")
    g.note("**h-space PCA** (Haas et al.): 64 samples, 20 steps, 8 components per timestep, saved to "
           "models/latent_directions/. The grid shows PC0..PC3 at -4..+4 standard deviations over the whole "
           "trajectory, same seed in every cell.", pos=[0, 640])
    return g.to_json()


def _demo_inputs(g: Graph, shape: str = "circle"):
    load = g.add("LD_LoadDemoModel", pos=[0, 0])
    pos = g.add("LD_DemoPrompt", pos=[0, 180], shape=shape, title=f"Positive: {shape}")
    neg = g.add("LD_DemoPrompt", pos=[0, 320], shape="(none)", title="Negative: null prompt")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 460], batch_size=1)
    return load, pos, neg, latent


def demo_jacobian_edit(info: dict) -> dict:
    """Image-specific directions of one sample from the denoiser Jacobian, shown as a strength grid."""
    g = Graph(info)
    load, pos, neg, latent = _demo_inputs(g, "square")
    jac = g.add("LD_JacobianDirections", pos=[380, 0], mode="denoiser", model=(load, 0), positive=(pos, 0),
                negative=(neg, 0), latent_image=(latent, 0), seed=7, steps=12, cfg=2.5, sampler_name="euler",
                scheduler="normal", at_percent=0.4, k=2, iterations=15, tolerance=1e-2, step_scale="gain")
    grid = g.add("LD_DirectionStrengthGrid", pos=[800, 0], model=(load, 0), vae=(load, 1), positive=(pos, 0),
                 negative=(neg, 0), latent_image=(latent, 0), direction=(jac, 0), seed=7, steps=12, cfg=2.5,
                 sampler_name="euler", scheduler="normal", max_directions=2, strengths="-100, -50, 0, 50, 100",
                 start_percent=0.0, end_percent=1.0, branch="both", scale=4)
    g.add("SaveImage", pos=[1220, 0], images=(grid, 0), filename_prefix="latent_directions/demo_jacobian_grid")
    g.note("**Jacobian Directions** (Haas et al.): the top-2 right singular vectors of d eps / d h at 40 % "
           "of seed 7's run, applied at every step (strength in singular values; the paper uses +-50..100). The "
           "middle column is the unedited sample.", pos=[0, 600])
    return g.to_json()


def demo_supervised(info: dict) -> dict:
    """A prompt-pair direction (square minus circle over the same seeds), disentangled from PC0..PC3, applied."""
    g = Graph(info)
    load, circle, neg, latent = _demo_inputs(g, "circle")
    square = g.add("LD_DemoPrompt", pos=[0, 600], shape="square", title="square")
    pair = g.add("LD_PromptPairDirection", pos=[380, 0], model=(load, 0), with_attribute=(square, 0),
                 without_attribute=(circle, 0), negative=(neg, 0), latent_image=(latent, 0), seed=200, n_samples=8,
                 steps=12, cfg=2.5, sampler_name="euler", scheduler="normal", record_branch="cond",
                 label="square - circle")
    pca = g.add("LD_ExtractHSpacePCA", pos=[380, 420], model=(load, 0), positive=(circle, 0), negative=(neg, 0),
                latent_image=(latent, 0), seed=1000, n_samples=16, batch_size=16, steps=12, cfg=2.5,
                sampler_name="euler", scheduler="normal", components=4, mode="per_timestep", record_branch="cond")
    clean = g.add("LD_DisentangleDirections", pos=[800, 420], direction=(pair, 0), remove=(pca, 0))
    both = g.add("LD_CombineDirections", pos=[1100, 200], a=(pair, 0), b=(clean, 0), mode="concat", weight_a=1.0,
                 weight_b=1.0)
    grid = g.add("LD_DirectionStrengthGrid", pos=[1400, 0], model=(load, 0), vae=(load, 1), positive=(circle, 0),
                 negative=(neg, 0), latent_image=(latent, 0), direction=(both, 0), seed=11, steps=12, cfg=2.5,
                 sampler_name="euler", scheduler="normal", max_directions=2, strengths="0, 2, 4, 6",
                 start_percent=0.0, end_percent=1.0, branch="both", scale=4)
    g.add("SaveImage", pos=[1820, 0], images=(grid, 0), filename_prefix="latent_directions/demo_supervised_grid")
    g.note("**Prompt-pair direction** (Haas et al. eq. 11): mean h trajectory of 'square' minus 'circle' over the same "
           "8 seeds, applied to a circle prompt; second row: the same direction with PC0..PC3 projected out (eq. 12).",
           pos=[0, 760])
    return g.to_json()


WORKFLOWS = {MAIN: demo_generate_grid, "demo_pca_discover": demo_pca_discover, "demo_jacobian_edit": demo_jacobian_edit,
             "demo_supervised": demo_supervised}


def main():
    os.makedirs(OUT, exist_ok=True)
    with ComfyServer() as srv:
        info = srv.get("/object_info")
    for name, fn in WORKFLOWS.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fn(info), f, indent=1)
        print("wrote", os.path.join(OUT, name + ".json"))


if __name__ == "__main__":
    main()
