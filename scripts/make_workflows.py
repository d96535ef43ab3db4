"""Regenerate example_workflows/*.json (UI format) from the definitions below, using a real server's /object_info.

    .venv/bin/python -m scripts.make_workflows   (from the repository root)
"""
from __future__ import annotations

import json
import os

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
                sampler_name="euler", scheduler="normal", components=8, mode="transported", record_branch="cond")
    g.add("LD_SaveDirection", pos=[800, 0], direction=(pca, 0), filename_prefix="demo_pca")
    g.add("SaveImage", pos=[800, 220], images=(pca, 1), filename_prefix="latent_directions/demo_pca_variance")
    grid = g.add("LD_DirectionStrengthGrid", pos=[800, 640], model=(load, 0), vae=(load, 1), positive=(pos, 0),
                 negative=(neg, 0), latent_image=(latent, 0), direction=(pca, 0), seed=7, steps=20, cfg=2.5,
                 sampler_name="euler", scheduler="normal", max_directions=4, strengths="-4, -2, 0, 2, 4",
                 start_percent=0.0, end_percent=1.0, branch="both", scale=4)
    g.add("SaveImage", pos=[1220, 640], images=(grid, 0), filename_prefix="latent_directions/demo_pca_grid")
    g.note("**h-space PCA** (Haas et al.): 64 samples, 20 steps, 8 components per timestep (mode transported: "
           "the last step's PCs carried back along the trajectory, so PC k means one thing at every step), saved to "
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


def demo_bigger_from_seeds(info: dict) -> dict:
    """A "bigger" direction from seeds picked as large vs small circles, applied in a strength grid."""
    g = Graph(info)
    load, pos, neg, latent = _demo_inputs(g, "circle")
    d = g.add("LD_SeedListDirection", pos=[380, 0], model=(load, 0), positive=(pos, 0), negative=(neg, 0),
              latent_image=(latent, 0), seeds_with=", ".join(map(str, BIG_SEEDS)),
              seeds_without=", ".join(map(str, SMALL_SEEDS)), steps=12, cfg=2.5, sampler_name="euler",
              scheduler="normal", record_branch="cond", label="bigger")
    grid = g.add("LD_DirectionStrengthGrid", pos=[800, 0], model=(load, 0), vae=(load, 1), positive=(pos, 0),
                 negative=(neg, 0), latent_image=(latent, 0), direction=(d, 0), seed=31, steps=12, cfg=2.5,
                 sampler_name="euler", scheduler="normal", max_directions=1, strengths="-2, -1, 0, 1, 2, 3",
                 start_percent=0.0, end_percent=1.0, branch="both", scale=4)
    g.add("SaveImage", pos=[1220, 0], images=(grid, 0), filename_prefix="latent_directions/demo_bigger_grid")
    g.add("LD_MeasureDemoFactors", pos=[1220, 360], images=(grid, 1))
    g.note("**Seed-List Direction** (Haas et al. eq. 11): seeds 0-23 of 'circle' (12 steps, CFG 2.5) were sampled and "
           f"the 6 largest ({', '.join(map(str, BIG_SEEDS))}) and 6 smallest measured circles picked; the mean h "
           "trajectory difference, applied to seed 31 at -2..3 (strength 1 = the raw difference).", pos=[0, 600])
    return g.to_json()


def _before_after(g: Graph, load, models: list, pos, neg, latent, seed: int, steps: int, title: str, prefix: str,
                  x=1100, labels="before, after"):
    images = []
    for i, m in enumerate(models):
        ks = g.add("KSampler", pos=[x, 300 * i], model=m, positive=(pos, 0), negative=(neg, 0),
                   latent_image=(latent, 0), seed=seed, steps=steps, cfg=2.5, sampler_name="euler",
                   scheduler="normal", denoise=1.0)
        images.append(g.add("VAEDecode", pos=[x + 360, 300 * i], samples=(ks, 0), vae=(load, 1)))
    batch = g.add("ImageBatch", pos=[x + 640, 0], image1=(images[0], 0), image2=(images[1], 0))
    grid = g.add("LD_LabelledGrid", pos=[x + 940, 0], images=(batch, 0), columns=8, row_labels=labels,
                 column_labels="", scale=4, title=title)
    g.add("SaveImage", pos=[x + 1300, 0], images=(grid, 0), filename_prefix=prefix)
    g.add("LD_MeasureDemoFactors", pos=[x + 940, 400], images=(batch, 0))


def demo_boundary_edit(info: dict) -> dict:
    """SVM boundary between circle and square prompts at the mixing step, then Boundary Edit: before / after."""
    g = Graph(info)
    load, circle, neg, _ = _demo_inputs(g, "circle")
    square = g.add("LD_DemoPrompt", pos=[0, 600], shape="square", title="square")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 460], batch_size=8)
    svm = g.add("LD_SVMBoundary", pos=[380, 0], model=(load, 0), class_a=(circle, 0), class_b=(square, 0),
                negative=(neg, 0), latent_image=(latent, 0), seeds_a="0-11", seeds_b="0-11", mixing_percent=0.5,
                steps=12, cfg=2.5, sampler_name="euler", scheduler="normal", record_branch="cond", C=1.0,
                holdout_every=4, space="h")
    edit = g.add("LD_BoundaryEdit", pos=[760, 300], model=(load, 0), boundary=(svm, 0), target="class A side",
                 distance=BOUNDARY_DISTANCE, branch="both", mode="single step (paper)")
    _before_after(g, load, [(load, 0), (edit, 0)], square, neg, latent, 40, 12,
                  f"square prompt: before / after Boundary Edit to the circle side ({BOUNDARY_DISTANCE:g} separations)",
                  "latent_directions/demo_boundary_grid")
    g.note("**SVM Boundary / Boundary Edit** (BoundaryDiffusion): a linear SVM on h at 50 % of the run separates 12 "
           "circle from 12 square samples (same seeds); the edit moves h of square-prompt samples once, at that step, "
           "to the circle side (target class A side: the midpoint of the class means + distance x their "
           "separation). On this small model a one-step h move barely changes the class (the prompt's "
           "cross-attention decides it); measured in docs/supervised_effects.md.", pos=[0, 760])
    return g.to_json()


def demo_boundary_stripes(info: dict) -> dict:
    """Stripes orientation boundary on x_t (Mixing-Step Search over the whole run), then Boundary Edit both ways."""
    g = Graph(info)
    load, circle, neg, _ = _demo_inputs(g, "circle")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 460], batch_size=8)
    steps = STRIPES_STEPS
    search = g.add("LD_MixingStepSearch", pos=[380, 0], model=(load, 0), class_a=(circle, 0), class_b=(circle, 0),
                   negative=(neg, 0), latent_image=(latent, 0), seeds_a=", ".join(map(str, HORIZONTAL_SEEDS)),
                   seeds_b=", ".join(map(str, VERTICAL_SEEDS)), steps=steps, cfg=2.5, sampler_name="euler",
                   scheduler="normal", record_branch="cond", C=STRIPES_C, holdout_every=4, proxy="separability",
                   radius_tolerance=0.02, space="x_t", search_start=0.0, search_end=0.95)
    g.add("SaveImage", pos=[760, 600], images=(search, 2), filename_prefix="latent_directions/demo_stripes_search")
    models = [(load, 0)]
    for i, target in enumerate(("class B side", "class A side")):
        models.append((g.add("LD_BoundaryEdit", pos=[760, 200 * i], model=(load, 0), boundary=(search, 0),
                             target=target, distance=BOUNDARY_DISTANCE, branch="both", mode="single step (paper)"), 0))
    images = []
    for i, m in enumerate(models):
        ks = g.add("KSampler", pos=[1100, 300 * i], model=m, positive=(circle, 0), negative=(neg, 0),
                   latent_image=(latent, 0), seed=STRIPES_SEED, steps=steps, cfg=2.5, sampler_name="euler",
                   scheduler="normal", denoise=1.0)
        images.append((g.add("VAEDecode", pos=[1460, 300 * i], samples=(ks, 0), vae=(load, 1)), 0))
    batch = images[0]
    for i, im in enumerate(images[1:]):
        batch = (g.add("ImageBatch", pos=[1740, 150 * i], image1=batch, image2=im), 0)
    grid = g.add("LD_LabelledGrid", pos=[2040, 0], images=batch, columns=8,
                 row_labels="before, to vertical, to horizontal", column_labels="", scale=4,
                 title=f"circle prompt: Boundary Edit on x_t to each stripes side ({BOUNDARY_DISTANCE:g} separations)")
    g.add("SaveImage", pos=[2400, 0], images=(grid, 0), filename_prefix="latent_directions/demo_stripes_grid")
    g.add("LD_MeasureDemoFactors", pos=[2040, 400], images=batch)
    g.note(f"**Stripes orientation boundary** (BoundaryDiffusion on x_t): {len(HORIZONTAL_SEEDS)} circle seeds measured "
           f"with horizontal stripes (class A) and {len(VERTICAL_SEEDS)} with vertical stripes (class B), {steps} steps. "
           f"Mixing-Step Search fits a linear SVM (C = {STRIPES_C:g}: with fewer examples than x_t's 3072 values, C = 1 "
           "separates them exactly and its normal flips less) on x_t at every step but the last (search 0-0.95: stripes are a "
           "pixel texture settled late, outside SPEC's default 0.2-0.7 range; a move at the last step would be a "
           "pixel edit of the finished image) and keeps the step that separates best on held-out seeds. Boundary Edit moves x_t once, at that step, to the vertical (row 2) or "
           "horizontal (row 3) side: striped circles take that orientation, plain ones mostly stay plain. Measured over held-out seeds: "
           "docs/supervised_effects.md, part e.", pos=[0, 760])
    return g.to_json()


def demo_real_image_edit(info: dict) -> dict:
    """A rendered square (a stand-in real image): VAE Encode, DDIM Inversion, reconstruction and an edit."""
    g = Graph(info)
    load, circle, neg, _ = _demo_inputs(g, "circle")
    square = g.add("LD_DemoPrompt", pos=[0, 600], shape="square", title="square")
    latent = g.add("LD_EmptyDemoLatent", pos=[0, 460], batch_size=1)
    img = g.add("LoadImage", pos=[0, 760], image=INPUT_IMAGE)
    img["widgets_values"].append("image")  # the frontend's upload widget
    enc = g.add("VAEEncode", pos=[380, 760], pixels=(img, 0), vae=(load, 1))
    inv = g.add("LD_DDIMInversion", pos=[700, 760], model=(load, 0), positive=(square, 0), negative=(neg, 0),
                latent=(enc, 0), steps=20, scheduler="normal", cfg=1.0, start_at_step=0)
    pair = g.add("LD_PromptPairDirection", pos=[380, 0], model=(load, 0), with_attribute=(circle, 0),
                 without_attribute=(square, 0), negative=(neg, 0), latent_image=(latent, 0), seed=300, n_samples=4,
                 steps=20, cfg=2.5, sampler_name="euler", scheduler="normal", record_branch="cond",
                 label="circle - square")
    edit = g.add("LD_ApplyLatentEdit", pos=[800, 0], model=(load, 0), direction=(pair, 0), strength=EDIT_STRENGTH,
                 start_percent=0.0, end_percent=1.0, branch="both")
    images = [(img, 0)]
    for i, m in enumerate([(load, 0), (edit, 0)]):
        ks = g.add("KSamplerAdvanced", pos=[1150, 300 * i], model=m, add_noise="disable", noise_seed=0, steps=20,
                   cfg=1.0, sampler_name="euler", scheduler="normal", positive=(square, 0), negative=(neg, 0),
                   latent_image=(inv, 0), start_at_step=0, end_at_step=10000, return_with_leftover_noise="disable")
        images.append((g.add("VAEDecode", pos=[1500, 300 * i], samples=(ks, 0), vae=(load, 1)), 0))
    batch = g.add("ImageBatch", pos=[1780, 0], image1=images[0], image2=images[1])
    batch = g.add("ImageBatch", pos=[1780, 160], image1=(batch, 0), image2=images[2])
    grid = g.add("LD_LabelledGrid", pos=[2080, 0], images=(batch, 0), columns=3, row_labels="",
                 column_labels="input, reconstructed, edited", scale=6, title="DDIM inversion of a rendered square")
    g.add("SaveImage", pos=[2440, 0], images=(grid, 0), filename_prefix="latent_directions/demo_real_image_grid")
    g.add("LD_MeasureDemoFactors", pos=[2080, 400], images=(batch, 0))
    g.note(f"**DDIM Inversion** of a real image: {INPUT_IMAGE} (rendered by core/demo/render.py; the pack copies it "
           "into ComfyUI's input folder on start-up) is encoded, inverted to noise with the square prompt (20 steps, "
           f"CFG 1) and sampled back with KSamplerAdvanced (add_noise disabled): unedited, and with the prompt-pair "
           f"direction circle - square at strength {EDIT_STRENGTH:g} over the whole run.", pos=[0, 940])
    return g.to_json()


def demo_pullback_edit(info: dict) -> dict:
    """Pullback directions (Park et al.) of one seed at an early and a late step, x_t +- gamma v there."""
    g = Graph(info)
    load, pos, neg, latent = _demo_inputs(g, "circle")
    steps, seed, gamma = 12, 7, PULLBACK_GAMMA
    images, base = [], None
    for row, at in enumerate((0.15, 0.8)):
        jac = g.add("LD_JacobianDirections", pos=[380, 900 * row], mode="pullback", model=(load, 0),
                    positive=(pos, 0), negative=(neg, 0), latent_image=(latent, 0), seed=seed, steps=steps, cfg=2.5,
                    sampler_name="euler", scheduler="normal", at_percent=at, k=2, iterations=15, tolerance=1e-2,
                    step_scale="gain")
        cells = []
        for cell in ((0, -1), (0, 1), None, (1, -1), (1, 1)):
            if cell is None:
                if base is None:
                    ks = g.add("KSampler", pos=[1150, 0], model=(load, 0), positive=(pos, 0), negative=(neg, 0),
                               latent_image=(latent, 0), seed=seed, steps=steps, cfg=2.5, sampler_name="euler",
                               scheduler="normal", denoise=1.0, title="unedited")
                    base = (g.add("VAEDecode", pos=[1500, 0], samples=(ks, 0), vae=(load, 1)), 0)
                cells.append(base)
                continue
            y = 900 * row + 180 * len(cells)
            edit = g.add("LD_ApplyLatentEdit", pos=[760, y], model=(load, 0), direction=(jac, 0),
                         strength=cell[1] * gamma, start_percent=0.0, end_percent=1.0, branch="both",
                         per_direction_strengths="1, 0" if cell[0] == 0 else "0, 1")
            ks = g.add("KSampler", pos=[1150, y], model=(edit, 0), positive=(pos, 0), negative=(neg, 0),
                       latent_image=(latent, 0), seed=seed, steps=steps, cfg=2.5, sampler_name="euler",
                       scheduler="normal", denoise=1.0)
            cells.append((g.add("VAEDecode", pos=[1500, y], samples=(ks, 0), vae=(load, 1)), 0))
        images += cells
    batch = images[0]
    for i, im in enumerate(images[1:]):
        batch = (g.add("ImageBatch", pos=[1800, 120 * i], image1=batch, image2=im), 0)
    grid = g.add("LD_LabelledGrid", pos=[2100, 0], images=batch, columns=5, row_labels="early (15 %), late (80 %)",
                 column_labels=f"-{gamma:g} v0, +{gamma:g} v0, unedited, -{gamma:g} v1, +{gamma:g} v1", scale=4,
                 title=f"Pullback directions of seed {seed}: x_t +- {gamma:g} v at one step")
    g.add("SaveImage", pos=[2460, 0], images=(grid, 0), filename_prefix="latent_directions/demo_pullback_grid")
    g.note("**Pullback directions** (Park et al.): Jacobian Directions in pullback mode takes the top-2 right singular "
           "vectors v of d h / d x_t at 15 % (early, t ~ 0.82T) and 80 % (late, t ~ 0.25T) of seed 7's 12-step run; "
           f"Apply Latent Edit splits the sampler there and adds +-{gamma:g} v to x_t (the same ||Delta x_t|| in both "
           "rows). Measured over held-out seeds: docs/pullback_effects.md.", pos=[0, 640])
    return g.to_json()


def write_example_input():
    """The rendered 'real' image demo_real_image_edit loads (a blue square, no stripes, mid-grey background)."""
    import torch
    from PIL import Image

    from core.demo import render as R
    f = R.Factors(cls=torch.tensor([1]), hue=torch.tensor([0.6]), r=torch.tensor([6.5]), cx=torch.tensor([16.0]),
                  cy=torch.tensor([16.0]), bg=torch.tensor([0.5]), stripes=torch.tensor([0]))
    x = (R.render(f)[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype("uint8")
    os.makedirs(os.path.dirname(INPUT_PATH), exist_ok=True)
    Image.fromarray(x).save(INPUT_PATH)


BIG_SEEDS, SMALL_SEEDS = (11, 16, 14, 10, 6, 0), (22, 13, 18, 4, 15, 12)  # measured r at 12 steps (6,600-step weights): 8.7..7.1, 4.1..5.3
# circle seeds 690000-690199 at 20 steps, measured horizontal (class A) / vertical (class B) stripes, first 40 each
HORIZONTAL_SEEDS = tuple(690_000 + i for i in (
    7, 8, 18, 21, 30, 43, 45, 49, 53, 54, 56, 69, 70, 71, 75, 78, 85, 90, 92, 95, 96, 106, 114, 115, 116, 127, 139,
    142, 145, 160, 163, 166, 170, 173, 179, 180, 182, 183, 187, 189))
VERTICAL_SEEDS = tuple(690_000 + i for i in (
    1, 3, 5, 10, 13, 15, 16, 24, 26, 28, 36, 39, 47, 55, 58, 62, 64, 72, 74, 77, 82, 86, 87, 93, 94, 97, 101, 105,
    108, 109, 110, 111, 112, 121, 122, 128, 134, 135, 143, 147))
STRIPES_STEPS, STRIPES_SEED = 20, 691_500
STRIPES_C = 0.01  # the x_t boundary's C (measured: docs/supervised_effects.md, part e)
BOUNDARY_DISTANCE = 8.0  # Boundary Edit's default (class separations)
EDIT_STRENGTH = 4.0
INPUT_IMAGE = "latent_directions_demo_square.png"
PULLBACK_GAMMA = 8.0
INPUT_PATH = os.path.join(OUT, "input", INPUT_IMAGE)


WORKFLOWS = {MAIN: demo_generate_grid, "demo_pca_discover": demo_pca_discover, "demo_jacobian_edit": demo_jacobian_edit,
             "demo_supervised": demo_supervised, "demo_bigger_from_seeds": demo_bigger_from_seeds,
             "demo_boundary_edit": demo_boundary_edit, "demo_boundary_stripes": demo_boundary_stripes,
             "demo_real_image_edit": demo_real_image_edit,
             "demo_pullback_edit": demo_pullback_edit}


def main():
    os.makedirs(OUT, exist_ok=True)
    write_example_input()
    with ComfyServer() as srv:
        info = srv.get("/object_info")
    for name, fn in WORKFLOWS.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fn(info), f, indent=1)
        print("wrote", os.path.join(OUT, name + ".json"))


if __name__ == "__main__":
    main()
