"""Supervised directions (Haas et al. eq. 11) and disentangling by projection (eq. 12)."""
from __future__ import annotations

import torch

from comfy_api.latest import io, ui

from ..core.backends.comfy_supervised import mean_difference_direction
from ..core.direction import Direction
from ..core.errors import LatentDirectionsError
from ..core.supervised import project_out
from .direction_nodes import parse_numbers, summary
from .common import sampling_inputs
from .types import Direction as DirectionType

PAIR = "Prompt-Pair Direction"
SEEDS = "Seed-List Direction"
DISENTANGLE = "Disentangle Directions"


def _sampling_inputs():
    return [*sampling_inputs(), io.Combo.Input("record_branch", options=["cond", "uncond"], default="cond")]


class PromptPairDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_PromptPairDirection", display_name=PAIR, category="latent_directions/discover",
            description="The mean difference of h trajectories between two conditionings over the same seeds "
                        "(with minus without the attribute). Strength 1 adds the raw mean difference.",
            inputs=[io.Model.Input("model"), io.Conditioning.Input("with_attribute"),
                    io.Conditioning.Input("without_attribute"), io.Conditioning.Input("negative"),
                    io.Latent.Input("latent_image", tooltip="Only its size is used."),
                    io.Int.Input("seed", default=0, min=0, max=0xffffffffffffffff, control_after_generate=True),
                    io.Int.Input("n_samples", default=16, min=1, max=10000, tooltip="Seeds seed .. seed + n - 1."),
                    *_sampling_inputs(),
                    io.String.Input("label", default="prompt pair")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, model, with_attribute, without_attribute, negative, latent_image, seed, n_samples, steps, cfg,
                sampler_name, scheduler, record_branch, label) -> io.NodeOutput:
        seeds = list(range(seed, seed + n_samples))
        d = mean_difference_direction(model, with_attribute, without_attribute, negative, latent_image["samples"],
                                      seeds, seeds, steps, cfg, sampler_name, scheduler, record_branch, PAIR, label)
        return io.NodeOutput(d, ui=ui.PreviewText(summary(d)))


class SeedListDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_SeedListDirection", display_name=SEEDS, category="latent_directions/discover",
            description="The mean difference of h trajectories between seeds you picked from a generated batch: the "
                        "ones that show the attribute minus the ones that do not (same prompt).",
            inputs=[io.Model.Input("model"), io.Conditioning.Input("positive"), io.Conditioning.Input("negative"),
                    io.Latent.Input("latent_image", tooltip="Only its size is used."),
                    io.String.Input("seeds_with", default="0, 1", tooltip="Seeds whose images show the attribute."),
                    io.String.Input("seeds_without", default="2, 3", tooltip="Seeds whose images do not."),
                    *_sampling_inputs(),
                    io.String.Input("label", default="picked")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, model, positive, negative, latent_image, seeds_with, seeds_without, steps, cfg, sampler_name,
                scheduler, record_branch, label) -> io.NodeOutput:
        a = parse_numbers(SEEDS, "seeds_with", seeds_with, int)
        b = parse_numbers(SEEDS, "seeds_without", seeds_without, int)
        d = mean_difference_direction(model, positive, positive, negative, latent_image["samples"], a, b, steps, cfg,
                                      sampler_name, scheduler, record_branch, SEEDS, label)
        return io.NodeOutput(d, ui=ui.PreviewText(summary(d)))


class DisentangleDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DisentangleDirections", display_name=DISENTANGLE, category="latent_directions/edit",
            description="Removes from each direction of the set its component along every direction of 'remove' "
                        "(Haas et al. eq. 12, over the whole trajectory), so editing it changes less of those.",
            inputs=[DirectionType.Input("direction"), DirectionType.Input("remove")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, direction, remove) -> io.NodeOutput:
        if direction.shape != remove.shape or not torch.equal(direction.timesteps, remove.timesteps):
            raise LatentDirectionsError(DISENTANGLE, "the two sets differ in h shape or timesteps",
                                        "Use directions made on the same model with the same steps and sampler")
        full = lambda d: d.scales.view(d.k, -1, *[1] * len(d.shape)) * d.vectors  # [K, T, *shape]
        others = full(remove)
        out = torch.stack([project_out(v, others) for v in full(direction)])
        norms = out.flatten(2).norm(dim=2)  # [K, T]
        unit = out / norms.clamp_min(1e-30).view(*norms.shape, *[1] * len(direction.shape))
        meta = dict(direction.meta, method="disentangled",
                    params={"from": direction.meta.get("method"), "removed": remove.labels},
                    labels=[f"{l} without {'+'.join(remove.labels)}" for l in direction.labels])
        d = Direction(unit, direction.timesteps, norms, meta)
        return io.NodeOutput(d, ui=ui.PreviewText(summary(d)))


NODES = [PromptPairDirection, SeedListDirection, DisentangleDirections]
