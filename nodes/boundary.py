"""SVM Boundary, Boundary Edit and Mixing-Step Search (BoundaryDiffusion, Zhu et al. 2023)."""
from __future__ import annotations

import logging

from comfy_api.latest import io, ui

from ..core.backends import comfy_unet
from ..core.backends.comfy_boundary import (MODES, SPACES, boundary_direction, resolve_distance,
                                            with_boundary_edit)
from ..core.boundary import DEFAULT_DISTANCE, TARGETS
from ..core.errors import LatentDirectionsError
from ..core.tap import BRANCHES
from .direction_nodes import direction_ui, parse_numbers
from .edit import check_direction_fits
from .common import (direction_input, latent_size_input, model_input, record_branch_input, sampling_inputs,
                     svm_c_input)
from .types import Direction as DirectionType, Trajectory as TrajectoryType

SVM = "SVM Boundary"
EDIT = "Boundary Edit"


def class_inputs() -> list:
    """class_a, class_b, negative, latent, seeds_a, seeds_b: the two labelled sets of sampled runs."""
    return [io.Conditioning.Input("class_a", tooltip="Conditioning of class A (or the one prompt for both seed lists)."),
            io.Conditioning.Input("class_b", tooltip="Conditioning of class B (connect class_a again to split one "
                                                     "prompt by seeds)."),
            io.Conditioning.Input("negative", tooltip="Negative conditioning of every run (CFG uncond)."),
            latent_size_input(),
            io.String.Input("seeds_a", default="0-19", tooltip="Seeds of class A: '0-19' or '1, 5, 9'."),
            io.String.Input("seeds_b", default="100-119", tooltip="Seeds of class B.")]


class SVMBoundary(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_SVMBoundary", display_name=SVM, category="latent_directions/discover",
            description="Fits a linear SVM (libsvm, through the N x N Gram matrix) separating h at the mixing step of "
                        "class A samples from class B samples, and returns its unit normal. Classes come from two "
                        "conditionings, or one conditioning and two seed lists you picked.",
            inputs=[model_input(),
                    *class_inputs(),
                    io.Float.Input("mixing_percent", default=0.5, min=0.0, max=1.0, step=0.01,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="Where in the run the boundary lives (the paper's t = 500 of 1000 is 0.5)."),
                    *sampling_inputs(),
                    record_branch_input(),
                    svm_c_input(),
                    io.Int.Input("holdout_every", default=5, min=0, max=100,
                                 tooltip="Every n-th example is held out to report accuracy (0: none)."),
                    io.Combo.Input("space", options=list(SPACES), default="h",
                                   tooltip="h: the mid-block output; x_t: the noisy latent the U-Net sees at that "
                                           "step (the paper's z-space boundary).")],
            outputs=[DirectionType.Output(display_name="boundary"), io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, class_a, class_b, negative, latent_image, seeds_a, seeds_b, mixing_percent, steps, cfg,
                sampler_name, scheduler, record_branch, C, holdout_every, space="h") -> io.NodeOutput:
        a, b = parse_seeds(SVM, "seeds_a", seeds_a), parse_seeds(SVM, "seeds_b", seeds_b)
        d, text = boundary_direction(model, class_a, class_b, negative, latent_image["samples"], a, b,
                                     mixing_percent, steps, cfg, sampler_name, scheduler, record_branch, C, "gram",
                                     holdout_every, SVM, space)
        return io.NodeOutput(d, text, ui=direction_ui(d, cls, text))


def parse_seeds(node: str, field: str, text: str) -> list[int]:
    """'0-19' or '1, 5, 9' (or a mix)."""
    out = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if "-" in part[1:]:
            lo, hi = part.split("-", 1) if not part.startswith("-") else (part, part)
            try:
                lo, hi = int(lo), int(hi)
            except ValueError:
                raise LatentDirectionsError(node, f"'{part}' in {field} is not a seed range",
                                            "Write ranges like 0-19 or lists like 1, 5, 9") from None
            if hi < lo or hi - lo > 100000:
                raise LatentDirectionsError(node, f"the range '{part}' in {field} is empty or too long",
                                            "Write lo-hi with lo <= hi")
            out.extend(range(lo, hi + 1))
        elif part:
            out.extend(parse_numbers(node, field, part, int))
    if not out:
        raise LatentDirectionsError(node, f"{field} is empty", "Give seeds like 0-19")
    return out


class BoundaryEdit(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_BoundaryEdit", display_name=EDIT, category="latent_directions/edit",
            description="MODEL -> MODEL: at the boundary's mixing step, moves h (or x_t, for an x_t boundary) to "
                        "signed distance d along the SVM normal, h + (d - <h, n>) n, in one step (BoundaryDiffusion). "
                        "Aim at a class side (d measured from the midpoint of the two classes' mean distances, in "
                        "class separations, so the same setting works on any model) or give the reference code's "
                        "absolute d. Chain a second Boundary Edit with an x_t boundary of the same step to move h and "
                        "x_t together, as the reference code does. While sampling, the node shows each sample's "
                        "signed distance before the move.",
            inputs=[model_input(),
                    direction_input("boundary", "An SVM boundary: SVM Boundary, Image-Set Direction (SVM) or "
                                                "Mixing-Step Search."),
                    io.Combo.Input("target", options=list(TARGETS), default=TARGETS[0],
                                   tooltip="class A / B side: move every sample to that side of the boundary (A is "
                                           "the class_a examples). signed distance d: the reference code's absolute "
                                           "target <h, n>."),
                    io.Float.Input("distance", default=DEFAULT_DISTANCE, min=-1000.0, max=1000.0, step=0.1,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="Class side: how far past the midpoint between the class means, in class "
                                           f"separations (0.5 = that class's mean; {DEFAULT_DISTANCE:g} is the "
                                           "measured default). Signed distance d: the target <h, n> itself (see the "
                                           "SVM report for each class's mean)."),
                    io.Combo.Input("branch", options=list(BRANCHES), default="both",
                                   tooltip="CFG branches whose h is moved (an x_t move acts on the shared latent)."),
                    io.Combo.Input("mode", options=list(MODES), default=MODES[0],
                                   tooltip="single step: the paper. lagged: also replace h at every later step by the "
                                           "previous step's un-edited h, as the authors' code does. every step: keep h "
                                           "at the target distance at every step from the mixing step on (ours; "
                                           "stronger where later steps undo a one-step move). h boundaries only for "
                                           "the last two.")],
            outputs=[io.Model.Output()], hidden=[io.Hidden.unique_id])

    @classmethod
    def execute(cls, model, boundary, distance, branch, mode=MODES[0], target=TARGETS[0]) -> io.NodeOutput:
        comfy_unet.require_unet(model, EDIT)
        if boundary.meta.get("method") != "svm_boundary" or boundary.k != 1:
            raise LatentDirectionsError(EDIT, f"this is a {boundary.meta.get('method')} direction, not an SVM boundary",
                                        "Connect the output of SVM Boundary, Image-Set Direction or Mixing-Step Search")
        space = boundary.meta.get("space", "h")
        check_direction_fits(model, boundary, EDIT, space=space)
        d = resolve_distance(boundary, target, distance, EDIT)
        node_id = getattr(getattr(cls, "hidden", None), "unique_id", None)
        return io.NodeOutput(with_boundary_edit(model, boundary, d, branch, mode, EDIT,
                                                distance_display(node_id, "h" if space == "h" else "x_t", d)))


def distance_display(node_id, q: str, target: float):
    """on_distance callback: each sample's signed distance before the move, on the node (progress text) and in the log."""
    shown: dict = {}

    def show(t, chunk, values):
        name = {0: "cond", 1: "uncond"}.get(chunk, "latent")
        shown[name] = f"{name}: " + ", ".join(f"{v:+.2f}" for v in values[:16]) + (" ..." if len(values) > 16 else "")
        where = f" at t={t:.0f}" if t is not None else ""
        text = f"<{q}, n> before the move{where} (target {target:+.2f})\n" + "\n".join(shown.values())
        logging.info(f"{EDIT}: {text}")
        if node_id is not None:
            try:
                from server import PromptServer
                PromptServer.instance.send_progress_text(text, node_id)
            except Exception:  # no server (scripts, tests)
                pass

    show.shown = shown
    return show


NODES = [SVMBoundary, BoundaryEdit]


PROXIES = ("separability", "radius matching")


class MixingStepSearch(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_MixingStepSearch", display_name="Mixing-Step Search", category="latent_directions/discover",
            description="Chooses the mixing step by a documented proxy (BoundaryDiffusion's own criterion is not "
                        "public) among the steps between search_start and search_end, and fits the boundary (h or "
                        "x_t) there. separability: the step where the two classes "
                        "separate best on held-out examples. radius matching: the noisiest step where the mean |x_t| "
                        "of the sampled trajectories matches that of DDIM-inverted real images (connect DDIM "
                        "Inversion's trajectory, same steps and scheduler). Returns the boundary, the chosen start "
                        "percent, a plot over t and a report naming the proxy.",
            inputs=[model_input(),
                    *class_inputs(),
                    *sampling_inputs(),
                    record_branch_input(),
                    svm_c_input(),
                    io.Int.Input("holdout_every", default=4, min=0, max=100,
                                 tooltip="Every n-th example is held out to score separability (0: none)."),
                    io.Combo.Input("proxy", options=list(PROXIES), default=PROXIES[0],
                                   tooltip="separability: best held-out accuracy over steps. radius matching: the "
                                           "noisiest step whose mean |x_t| matches the inverted real images."),
                    io.Float.Input("radius_tolerance", default=0.02, min=1e-4, max=1.0, step=0.005,
                                   tooltip="radius matching: the relative gap |r_s - r_i| / r_s that counts as a match."),
                    TrajectoryType.Input("real_trajectory", optional=True,
                                         tooltip="radius matching: DDIM Inversion's trajectory of real images."),
                    io.Combo.Input("space", options=list(SPACES), default="h",
                                   tooltip="Fit (and, for separability, score) the boundary on h or on x_t."),
                    io.Float.Input("search_start", default=0.2, min=0.0, max=1.0, step=0.01,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="Earliest candidate step, as a share of the run (SPEC suggests 0.2, "
                                           "i.e. t = 0.8T)."),
                    io.Float.Input("search_end", default=0.7, min=0.0, max=1.0, step=0.01,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="Latest candidate step, as a share of the run (SPEC suggests 0.7, "
                                           "i.e. t = 0.3T).")],
            outputs=[DirectionType.Output(display_name="boundary"), io.Float.Output(display_name="mixing_percent"),
                     io.Image.Output(display_name="plot"), io.String.Output(display_name="report")])

    @classmethod
    def execute(cls, model, class_a, class_b, negative, latent_image, seeds_a, seeds_b, steps, cfg, sampler_name,
                scheduler, record_branch, C, holdout_every, proxy=PROXIES[0], radius_tolerance=0.02,
                real_trajectory=None, space="h", search_start=0.2, search_end=0.7) -> io.NodeOutput:
        import torch

        from ..core.backends.comfy_boundary import mixing_step_search
        from ..core.plot import line_plot
        node = "Mixing-Step Search"
        a, b = parse_seeds(node, "seeds_a", seeds_a), parse_seeds(node, "seeds_b", seeds_b)
        d, text, series, title = mixing_step_search(
            model, class_a, class_b, negative, latent_image["samples"], a, b, steps, cfg, sampler_name, scheduler,
            record_branch, C, holdout_every, node, "radius" if proxy == PROXIES[1] else "separability",
            real_trajectory, radius_tolerance, space, (search_start, search_end))
        plot = line_plot(series, title, "t (sampling runs from high t to low t)")
        p = d.meta["params"]
        percent = p["step_index"] / max(p["n_recorded"] - 1, 1)
        return io.NodeOutput(d, percent, torch.from_numpy(plot).unsqueeze(0), text, ui=ui.PreviewText(text))


NODES.append(MixingStepSearch)
