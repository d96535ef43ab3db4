"""Jacobian Directions (Haas et al. 2023 §IV-B): image-specific h directions from the SVD of d eps / d h."""
from __future__ import annotations

import torch

import comfy.model_management
import comfy.samplers
from comfy_api.latest import io

from ..core.backends import comfy_jacobian as CJ
from ..core.backends import comfy_unet
from ..core.direction import Direction
from ..core.errors import LatentDirectionsError
from .direction_nodes import direction_ui, summary
from .common import (cond_inputs, direction_input, latent_size_input, model_input, sampling_inputs, scheduler_input,
                     seed_input)
from .types import Direction as DirectionType

NODE = "Jacobian Directions"


class JacobianDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_JacobianDirections", display_name=NODE, category="latent_directions/discover",
            description="Samples one image, takes the denoiser Jacobian J = d eps / d h at the chosen step (x_t and "
                        "skips fixed) and returns its top-k right singular vectors: the h directions that change this "
                        "image's noise prediction most (Haas et al.). Each is applied at every step, scaled per step "
                        "(strength 1 = one singular value).",
            inputs=[io.Combo.Input("mode", options=["denoiser", "pullback"], default="denoiser",
                                   tooltip="denoiser: d eps / d h, directions in h (Haas). pullback: d h / d x_t, "
                                           "directions in x_t at that step (Park), returned as an x-space DIRECTION."),
                    model_input(), *cond_inputs(what="the one sample is generated with"), latent_size_input(),
                    seed_input(tooltip="Noise seed of the one sample whose Jacobian is decomposed."),
                    *sampling_inputs(),
                    io.Float.Input("at_percent", default=0.4, min=0.0, max=1.0, step=0.01,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="The step whose Jacobian is decomposed (0 = first, noisiest)."),
                    io.Int.Input("k", default=4, min=1, max=64, tooltip="Number of singular directions."),
                    io.Int.Input("iterations", default=50, min=1, max=1000,
                                 tooltip="Most subspace (power) iterations; it stops earlier once within tolerance."),
                    io.Float.Input("tolerance", default=1e-3, min=1e-8, max=1.0, step=1e-4,
                                   tooltip="Stop when the subspace moves less than this angle (radians)."),
                    io.Combo.Input("step_scale", options=["gain", "singular_value"], default="gain",
                                   tooltip="Scale at each step: gain = |J_t v| of the found vector (one JVP per step); "
                                           "singular_value = the k-th singular value of each step's own Jacobian "
                                           "(reference code; k SVDs more)."),
                    io.Mask.Input("mask", optional=True,
                                  tooltip="Denoiser mode only: restrict the output to this region, J = d(M * eps) / d h "
                                          "(Haas et al. masked Jacobian). Resized to the latent; soft values weight.")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, mode, model, positive, negative, latent_image, seed, steps, cfg, sampler_name, scheduler,
                at_percent, k, iterations, tolerance, step_scale, mask=None) -> io.NodeOutput:
        comfy_unet.require_unet(model, NODE)
        if mask is not None and mode != "denoiser":
            raise LatentDirectionsError(NODE, "a mask restricts the denoiser output and does not apply in pullback mode",
                                        "Disconnect the mask or use mode denoiser")
        if mask is not None:
            from ..core.jacobian import output_mask
            mask = output_mask(mask, tuple(latent_image["samples"].shape[-2:]), NODE)
        check = comfy.model_management.throw_exception_if_processing_interrupted
        calls = CJ.capture_calls(model, positive, negative, latent_image["samples"], seed, steps, cfg, sampler_name,
                                 scheduler, NODE)
        if not calls:
            raise LatentDirectionsError(NODE, "the sampler made no model call with the positive branch",
                                        "Use steps >= 1 and a non-empty positive conditioning")
        j = min(int(round(at_percent * (len(calls) - 1))), len(calls) - 1)
        if mode == "pullback":
            return pullback_output(model, calls[j], k, iterations, tolerance, check, seed, cls,
                                   {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler})
        res, nbytes = CJ.denoiser_svd(model, calls[j], k, iterations, tolerance, chunk=k, check=check, mask=mask)
        v = res.v.float()
        if step_scale == "gain":
            scales = CJ.gains(model, calls, v, check=check, mask=mask)
        else:
            per = []
            prev = None
            for call in calls:
                r, _ = CJ.denoiser_svd(model, call, v.shape[0], iterations, tolerance, chunk=k, check=check, v0=prev,
                                       mask=mask)
                prev = r.v
                per.append(r.s.float())
            scales = torch.stack(per, dim=1)
        T = len(calls)
        sig = comfy_unet.signature(model)
        sig["h_shape"] = list(v.shape[1:])
        meta = {"method": "jacobian_denoiser", "space": "h", "tap": "unet_mid_out",
                "params": {"k": v.shape[0], "at_t": calls[j].t, "iterations": res.iterations,
                           "max_angle": res.max_angle, "tolerance": tolerance, "step_scale": step_scale,
                           "singular_values_at_t": res.s.tolist(), "weight_copy_bytes": nbytes,
                           "masked": mask is not None,
                           **({"mask_fraction": float(mask.mean())} if mask is not None else {}),
                           "scale": "strength 1 = one singular value (or gain) of each step"},
                "model": sig, "sampling": {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler},
                "labels": [f"J{i} @t{calls[j].t:.0f}" for i in range(v.shape[0])], "provenance": {"seed": seed}}
        d = Direction(v.unsqueeze(1).expand(-1, T, *v.shape[1:]).clone(), torch.tensor([c.t for c in calls]), scales,
                      meta, {"singular_values": scales.clone()})
        text = (f"{summary(d)}\nsingular values at t={calls[j].t:.0f}: "
                f"{', '.join(f'{x:.3g}' for x in res.s.tolist())}; {res.iterations} iterations, subspace angle "
                f"{res.max_angle:.2e}; temporary weight copy {nbytes / 2**20:.1f} MiB")
        return io.NodeOutput(d, ui=direction_ui(d, cls, text))


def pullback_output(model, call, k, iterations, tolerance, check, seed, cls, sampling) -> io.NodeOutput:
    """Park et al.: right singular vectors v of d h / d x_t (x_t space, unit, strength in x_t units), with the
    matching h-space left vectors u and singular values."""
    res, nbytes = CJ.pullback_svd(model, call, k, iterations, tolerance, chunk=k, check=check)
    sig = comfy_unet.signature(model)
    sig["x_shape"] = list(res.v.shape[1:])
    kk = res.v.shape[0]
    meta = {"method": "jacobian_pullback", "space": "x", "tap": "unet_input_x_t",
            "params": {"k": kk, "at_t": call.t, "at_sigma": call.sigma, "iterations": res.iterations,
                       "max_angle": res.max_angle, "tolerance": tolerance, "weight_copy_bytes": nbytes,
                       "scale": "strength 1 = a unit step along v in x_t (DDPM scale)"},
            "model": sig, "sampling": sampling, "labels": [f"v{i} @t{call.t:.0f}" for i in range(kk)],
            "provenance": {"seed": seed}}
    d = Direction(res.v.float().unsqueeze(1), torch.tensor([call.t]), torch.ones(kk, 1), meta,
                  {"singular_values": res.s.float().unsqueeze(1), "h_vectors": res.u.float()})
    text = (f"{summary(d)}\nsingular values of dh/dx_t at t={call.t:.0f}: "
            f"{', '.join(f'{x:.3g}' for x in res.s.tolist())}; {res.iterations} iterations; temporary weight copy "
            f"{nbytes / 2**20:.1f} MiB")
    return io.NodeOutput(d, ui=direction_ui(d, cls, text))


NODES = [JacobianDirections]


def _pullback(node: str, d, name: str):
    if d.meta.get("method") != "jacobian_pullback" or "h_vectors" not in d.extra:
        raise LatentDirectionsError(node, f"'{name}' is a {d.meta.get('method')} direction, not a pullback basis",
                                    "Connect Jacobian Directions in pullback mode")
    return d


class ParallelTransport(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_ParallelTransport", display_name="Parallel Transport", category="latent_directions/edit",
            description="Moves pullback directions found on sample A to sample B (Park et al.): each A direction's h "
                        "partner u is expressed in B's basis, v_B = normalize(V_B U_B^T u). Give B's basis from "
                        "Jacobian Directions (pullback) on B at the same step, with k at least as large.",
            inputs=[direction_input("directions_a", "Pullback directions found on sample A (to move to B)."),
                    direction_input("basis_b", "Jacobian Directions (pullback) on sample B at the same step, with k "
                                               "at least that of directions_a.")],
            outputs=[DirectionType.Output(display_name="directions_b")])

    @classmethod
    def execute(cls, directions_a, basis_b) -> io.NodeOutput:
        from ..core.jacobian import parallel_transport, tangent_distance
        node = "Parallel Transport"
        a, b = _pullback(node, directions_a, "directions_a"), _pullback(node, basis_b, "basis_b")
        if a.extra["h_vectors"].shape[1:] != b.extra["h_vectors"].shape[1:] or a.shape != b.shape:
            raise LatentDirectionsError(node, "the two bases come from different shapes", "Use one model and resolution")
        ub, vb = b.extra["h_vectors"], b.vectors[:, 0]
        v = torch.stack([parallel_transport(u, ub, vb) for u in a.extra["h_vectors"]])
        dist = tangent_distance(a.extra["h_vectors"], ub)
        meta = dict(b.meta, method="jacobian_pullback", labels=[f"{l} -> B" for l in a.labels],
                    params=dict(b.meta.get("params", {}), transported_from=a.meta.get("provenance"),
                                tangent_distance=dist))
        d = Direction(v.unsqueeze(1), b.timesteps, torch.ones(v.shape[0], 1), meta,
                      {"h_vectors": a.extra["h_vectors"].clone()})
        return io.NodeOutput(d, ui=direction_ui(d, cls, f"{summary(d)}\ntangent-space distance A-B: {dist:.3f} rad"))


NODES.append(ParallelTransport)


class XEditLatent(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        from .edit import x_mode_inputs
        return io.Schema(
            node_id="LD_XEditLatent", display_name="x-space Edit Latent", category="latent_directions/edit",
            description="Adds strength x v (an x-space direction, x_t units) to a LATENT between two KSamplerAdvanced: "
                        "the first ends at end_at_step with 'return_with_leftover_noise', the second starts there "
                        "with add_noise disabled. Give the same steps and scheduler as the samplers. x_mode guidance "
                        "runs Park's (s, N) x-space guidance instead and needs positive, negative and cfg.",
            inputs=[model_input(), io.Latent.Input("latent", tooltip="The first KSamplerAdvanced's output "
                                                                        "(with leftover noise)."),
                    direction_input(tooltip="An x-space DIRECTION: Jacobian Directions in pullback mode."),
                    io.Float.Input("strength", default=1.0, min=-100.0, max=100.0, step=0.1,
                                   display_mode=io.NumberDisplay.slider,
                                   tooltip="Step length along v in x_t units (DDPM scale); negative reverses it."),
                    io.Int.Input("steps", default=20, min=1, max=10000,
                                 tooltip="Total steps, the same as on both KSamplerAdvanced."),
                    scheduler_input("Scheduler, the same as on both KSamplerAdvanced."),
                    io.Int.Input("at_step", default=10, min=0, max=10000,
                                 tooltip="The first sampler's end_at_step (= the second's start_at_step)."),
                    *x_mode_inputs(),
                    io.Conditioning.Input("positive", optional=True, tooltip="guidance only: as on the samplers."),
                    io.Conditioning.Input("negative", optional=True, tooltip="guidance only: as on the samplers."),
                    io.Float.Input("cfg", default=1.0, min=0.0, max=100.0, step=0.1, optional=True,
                                   tooltip="guidance only: CFG of the guidance's noise prediction (reference: 1).")],
            outputs=[io.Latent.Output()])

    @classmethod
    def execute(cls, model, latent, direction, strength, steps, scheduler, at_step, x_mode="add", guidance_scale=1.0,
                guidance_steps=16, positive=None, negative=None, cfg=1.0) -> io.NodeOutput:
        from ..core.backends.comfy_xedit import guide_latent
        from .edit import guidance_of
        node = "x-space Edit Latent"
        if direction.meta.get("space") != "x":
            raise LatentDirectionsError(node, "this is an h-space direction", "Use Apply Latent Edit at Timestep for "
                                        "h-space directions, or a pullback direction here")
        if at_step >= steps:
            raise LatentDirectionsError(node, f"at_step {at_step} is not before the last step ({steps})",
                                        "Use the first sampler's end_at_step, below steps")
        if direction.vectors[0, 0].numel() != latent["samples"][0].numel():
            raise LatentDirectionsError(node, f"the direction has shape {tuple(direction.vectors.shape[2:])} but the "
                                              f"latent is {tuple(latent['samples'].shape[1:])}",
                                        "Use a latent of the resolution the direction was made at")
        guidance = guidance_of(x_mode, guidance_scale, guidance_steps)
        if guidance is not None and (positive is None or negative is None):
            raise LatentDirectionsError(node, "x_mode guidance evaluates the model and needs its conditioning",
                                        "Connect positive and negative (as on the samplers) or use x_mode add")
        sigmas = comfy.samplers.calculate_sigmas(comfy_unet.model_sampling(model), scheduler, steps)
        s = float(sigmas[at_step])
        inner = model.model
        v = (direction.scales[:, 0].view(-1, 1) * direction.vectors[:, 0].flatten(1)).sum(0)
        v = strength * v.reshape(latent["samples"].shape[1:])
        out = dict(latent)
        if guidance is not None:
            out["samples"] = guide_latent(model, latent["samples"].float(), v, s, guidance, positive, negative, cfg)
            return io.NodeOutput(out)
        x = inner.process_latent_in(latent["samples"].float())
        out["samples"] = inner.process_latent_out(x + v * (1.0 + s * s) ** 0.5)
        return io.NodeOutput(out)


NODES.append(XEditLatent)
