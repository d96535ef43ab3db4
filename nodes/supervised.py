"""Supervised directions (Haas et al. eq. 11) and disentangling by projection (eq. 12)."""
from __future__ import annotations

from comfy_api.latest import io

from ..core.backends.comfy_supervised import mean_difference_direction
from ..core.supervised import disentangle
from .direction_nodes import direction_ui, parse_numbers
from .common import (cond_inputs, direction_input, latent_size_input, model_input, record_branch_input,
                     sampling_inputs, seed_input)
from .types import Direction as DirectionType

PAIR = "Prompt-Pair Direction"
SEEDS = "Seed-List Direction"
DISENTANGLE = "Disentangle Directions"


def _sampling_inputs():
    return [*sampling_inputs(), record_branch_input()]


class PromptPairDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_PromptPairDirection", display_name=PAIR, category="latent_directions/discover",
            description="The mean difference of h trajectories between two conditionings over the same seeds "
                        "(with minus without the attribute). Strength 1 adds the raw mean difference.",
            inputs=[model_input(),
                    io.Conditioning.Input("with_attribute", tooltip="Prompt that shows the attribute (e.g. 'a smiling "
                                                                    "face')."),
                    io.Conditioning.Input("without_attribute", tooltip="The same prompt without it ('a face')."),
                    io.Conditioning.Input("negative", tooltip="Negative conditioning of both runs (CFG uncond)."),
                    latent_size_input(),
                    seed_input(tooltip="First seed; both prompts are sampled with the same seeds."),
                    io.Int.Input("n_samples", default=16, min=1, max=10000, tooltip="Seeds seed .. seed + n - 1."),
                    *_sampling_inputs(),
                    io.String.Input("label", default="prompt pair", tooltip="Name of the direction, shown in grids and saved in the file.")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, model, with_attribute, without_attribute, negative, latent_image, seed, n_samples, steps, cfg,
                sampler_name, scheduler, record_branch, label) -> io.NodeOutput:
        seeds = list(range(seed, seed + n_samples))
        d = mean_difference_direction(model, with_attribute, without_attribute, negative, latent_image["samples"],
                                      seeds, seeds, steps, cfg, sampler_name, scheduler, record_branch, PAIR, label)
        return io.NodeOutput(d, ui=direction_ui(d, cls))


class SeedListDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_SeedListDirection", display_name=SEEDS, category="latent_directions/discover",
            description="The mean difference of h trajectories between seeds you picked from a generated batch: the "
                        "ones that show the attribute minus the ones that do not (same prompt).",
            inputs=[model_input(), *cond_inputs(what="the picked seeds were generated with"), latent_size_input(),
                    io.String.Input("seeds_with", default="0, 1", tooltip="Seeds whose images show the attribute."),
                    io.String.Input("seeds_without", default="2, 3", tooltip="Seeds whose images do not."),
                    *_sampling_inputs(),
                    io.String.Input("label", default="picked", tooltip="Name of the direction, shown in grids and saved in the file.")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, model, positive, negative, latent_image, seeds_with, seeds_without, steps, cfg, sampler_name,
                scheduler, record_branch, label) -> io.NodeOutput:
        a = parse_numbers(SEEDS, "seeds_with", seeds_with, int)
        b = parse_numbers(SEEDS, "seeds_without", seeds_without, int)
        d = mean_difference_direction(model, positive, positive, negative, latent_image["samples"], a, b, steps, cfg,
                                      sampler_name, scheduler, record_branch, SEEDS, label)
        return io.NodeOutput(d, ui=direction_ui(d, cls))


class DisentangleDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_DisentangleDirections", display_name=DISENTANGLE, category="latent_directions/edit",
            description="Removes from each direction of the set its component along every direction of 'remove' "
                        "(Haas et al. eq. 12, over the whole trajectory), so editing it changes less of those.",
            inputs=[direction_input(tooltip="The directions to clean up."),
                    direction_input("remove", "Directions whose component is removed (e.g. an attribute that should "
                                              "stay fixed).")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, direction, remove) -> io.NodeOutput:
        d = disentangle(direction, remove, DISENTANGLE)
        return io.NodeOutput(d, ui=direction_ui(d, cls))


NODES = [PromptPairDirection, SeedListDirection, DisentangleDirections]
