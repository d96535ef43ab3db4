"""The denoiser Jacobian J = d eps / d h on ComfyUI's UNetModel (Haas et al. 2023 eq. 6, SPEC.md §2.4).

ComfyUI runs nodes under torch.inference_mode() and loaded weights are inference tensors, which autograd and
torch.func refuse. The Jacobian call therefore leaves inference mode and runs the U-Net through
torch.func.functional_call with a temporary normal-tensor copy of its weights, freed when the call returns (the extra
peak memory is the size of the weights; reported). Forward-mode AD needs an attention with a forward derivative:
the call forces ComfyUI's plain attention (attention_basic) through transformer_options for its own passes only.

J is taken at a recorded model call of one sample's trajectory (x_t, t, conditioning of the cond branch); skips and
x_t are held fixed and h is perturbed at the output-block-0 patch point, where the h tap reads it. An optional
output mask M gives Haas et al.'s masked Jacobian d(M * eps)/dh (eqs. 9-10).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import functional_call, jvp, vjp

import comfy.patcher_extension
from comfy.ldm.modules.attention import attention_basic

from ..jacobian import SVDResult, top_singular
from ..tap import COND
from . import comfy_sampling, comfy_unet
from .comfy_unet import H_BLOCK


@dataclass
class ModelCall:
    """Inputs of one UNetModel.forward call (the cond chunk), captured while sampling."""
    x: torch.Tensor
    timesteps: torch.Tensor
    context: torch.Tensor | None
    y: torch.Tensor | None
    sigma: float
    t: float


def capture_calls(model, positive, negative, latent, seed, steps, cfg, sampler_name, scheduler, node) -> list[ModelCall]:
    """Sample one image and capture the cond-branch U-Net inputs at every model call (first call per sigma)."""
    comfy_unet.require_unet(model, node)
    calls: dict[float, ModelCall] = {}
    log_sigmas = comfy_unet.model_sampling(model).log_sigmas

    def wrapper(executor, x, timesteps=None, context=None, y=None, control=None, transformer_options={}, **kw):
        cou = list(transformer_options.get("cond_or_uncond", [COND]))
        sig = transformer_options.get("sigmas")
        if COND in cou and sig is not None:
            n = x.shape[0] // len(cou)
            sl = slice(cou.index(COND) * n, cou.index(COND) * n + 1)
            s = float(sig.reshape(-1)[0])
            if s not in calls:
                from ..tap import continuous_t
                calls[s] = ModelCall(x[sl].detach().clone(), timesteps[sl].detach().clone(),
                                     None if context is None else context[sl].detach().clone(),
                                     None if y is None else y[sl].detach().clone(), s, continuous_t(log_sigmas, s))
        return executor(x, timesteps, context, y, control, transformer_options, **kw)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.DIFFUSION_MODEL, "latent_directions_capture", wrapper)
    comfy_sampling.sample(m, positive, negative, latent[:1], [seed], steps, cfg, sampler_name, scheduler)
    return [calls[s] for s in sorted(calls, reverse=True)]


def _basic_attention(func, *args, **kwargs):
    return attention_basic(*args, **kwargs)


class WeightCopy:
    """Normal-tensor copies of a module's weights and buffers, for the duration of a `with` block."""

    def __init__(self, module: torch.nn.Module, dtype=torch.float32):
        self.module, self.dtype = module, dtype

    def __enter__(self) -> dict:
        with torch.inference_mode(False):
            self.state = {k: v.detach().clone().to(self.dtype) if v.is_floating_point() else v.detach().clone()
                          for k, v in list(self.module.named_parameters()) + list(self.module.named_buffers())}
        self.bytes = sum(v.numel() * v.element_size() for v in self.state.values())
        return self.state

    def __exit__(self, *exc):
        self.state = None


def decoder_fn(dm, state: dict, call: ModelCall, mask: torch.Tensor | None = None):
    """f(delta [B, *h]) -> U-Net output [B, *x] with h + delta at the h tap, x_t and skips fixed (float32); times
    mask ([1, 1, H, W], a normal tensor) when given."""
    def patch(h, hsp, transformer_options):
        if transformer_options.get("block") == H_BLOCK:
            return h + transformer_options["ld_delta"], hsp
        return h, hsp

    def f(delta):
        b = delta.shape[0]
        rep = lambda t: None if t is None else t.float().expand(b, *t.shape[1:])
        topts = {"patches": {"output_block_patch": [patch]}, "optimized_attention_override": _basic_attention,
                 "ld_delta": delta, "sigmas": torch.full((b,), call.sigma)}
        kwargs = {"context": rep(call.context), "transformer_options": topts}
        if call.y is not None:
            kwargs["y"] = rep(call.y)
        out = functional_call(dm, state, (rep(call.x), call.timesteps.expand(b)), kwargs)
        return out if mask is None else out * mask

    return f


def _normal(mask):
    return None if mask is None else mask.detach().clone().float()


def h_at(dm, state: dict, call: ModelCall) -> torch.Tensor:
    seen = []

    def patch(h, hsp, transformer_options):
        if transformer_options.get("block") == H_BLOCK:
            seen.append(h.detach())
        return h, hsp

    kwargs = {"context": None if call.context is None else call.context.float(),
              "transformer_options": {"patches": {"output_block_patch": [patch]}, "sigmas": torch.tensor([call.sigma])}}
    if call.y is not None:
        kwargs["y"] = call.y.float()
    with torch.no_grad():
        functional_call(dm, state, (call.x.float(), call.timesteps), kwargs)
    return seen[0][0]


def jvp_vjp(f, h_shape):
    def jv(v):
        z = torch.zeros(v.shape[0], *h_shape)
        return jvp(f, (z,), (v.float(),))[1]

    def vj(u):
        z = torch.zeros(u.shape[0], *h_shape)
        _, pull = vjp(f, z)
        return pull(u.float())[0]

    return jv, vj


def denoiser_svd(model, call: ModelCall, k: int, iters: int, tol: float, chunk: int, check=None,
                 v0: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> tuple[SVDResult, int]:
    """Top-k singular triplets of d eps / d h (or d(M * eps) / d h with mask [1, 1, H, W]) at one captured call
    -> (result, bytes of the temporary weights)."""
    dm = model.model.diffusion_model
    with WeightCopy(dm) as state, torch.inference_mode(False):
        h0 = h_at(dm, state, call)
        f = decoder_fn(dm, state, call, _normal(mask))
        jv, vj = jvp_vjp(f, tuple(h0.shape))
        res = top_singular(jv, vj, tuple(h0.shape), k, iters=iters, tol=tol, chunk=chunk, check=check, v0=v0)
        nbytes = sum(v.numel() * v.element_size() for v in state.values())
    return res, nbytes


def gains(model, calls: list[ModelCall], v: torch.Tensor, check=None, mask: torch.Tensor | None = None) -> torch.Tensor:
    """|J_t v_k| for each captured call t and each direction v_k -> [K, T] (one batched JVP per step)."""
    dm = model.model.diffusion_model
    out = []
    with WeightCopy(dm) as state, torch.inference_mode(False):
        m = _normal(mask)
        for call in calls:
            if check:
                check()
            jv, _ = jvp_vjp(decoder_fn(dm, state, call, m), tuple(v.shape[1:]))
            out.append(jv(v).flatten(1).norm(dim=1).detach())
    return torch.stack(out, dim=1)


class _Encoder(torch.nn.Module):
    """x_t -> h: UNetModel's input blocks and middle block only (no decoder), as in UNetModel._forward.
    Input-block patches and ControlNet residuals are not applied on this path."""

    def __init__(self, dm):
        super().__init__()
        self.dm = dm

    def forward(self, x, timesteps, context=None, y=None, transformer_options=None):
        from comfy.ldm.modules.diffusionmodules.openaimodel import forward_timestep_embed
        from comfy.ldm.modules.diffusionmodules.util import timestep_embedding
        dm, topts = self.dm, dict(transformer_options or {})
        emb = dm.time_embed(timestep_embedding(timesteps, dm.model_channels, repeat_only=False).to(x.dtype))
        if dm.num_classes is not None:
            emb = emb + dm.label_emb(y)
        h = x
        for i, block in enumerate(dm.input_blocks):
            topts["block"] = ("input", i)
            h = forward_timestep_embed(block, h, emb, context, topts)
        topts["block"] = ("middle", 0)
        return forward_timestep_embed(dm.middle_block, h, emb, context, topts)


def encoder_fn(dm, state: dict, call: ModelCall):
    """f(x [B, *x]) -> h [B, *h] at the captured call's t and conditioning (float32, encoder only)."""
    enc = _Encoder(dm)
    enc_state = {"dm." + k: v for k, v in state.items()}

    def f(x):
        b = x.shape[0]
        rep = lambda t: None if t is None else t.float().expand(b, *t.shape[1:])
        topts = {"optimized_attention_override": _basic_attention, "sigmas": torch.full((b,), call.sigma),
                 "original_shape": list(x.shape), "transformer_index": 0}
        return functional_call(enc, enc_state, (x, call.timesteps.expand(b)),
                               {"context": rep(call.context), "y": rep(call.y), "transformer_options": topts})

    return f


def pullback_at(dm, state: dict, call: ModelCall, k: int, iters: int, tol: float, chunk: int, check=None,
                v0: torch.Tensor | None = None) -> SVDResult:
    """pullback_svd inside an open WeightCopy (for many points with one copy); v0 warm-starts the iteration."""
    f = encoder_fn(dm, state, call)
    x_shape = tuple(call.x.shape[1:])
    x0 = call.x.detach().clone().float()

    def jv(v):
        return jvp(f, (x0.expand(v.shape[0], *x_shape).clone(),), (v.float(),))[1]

    def vj(u):
        _, pull = vjp(f, x0.expand(u.shape[0], *x_shape).clone())
        return pull(u.float())[0]

    return top_singular(jv, vj, x_shape, k, iters=iters, tol=tol, chunk=chunk, check=check, v0=v0)


def pullback_svd(model, call: ModelCall, k: int, iters: int, tol: float, chunk: int, check=None
                 ) -> tuple[SVDResult, int]:
    """Top-k singular triplets of d h / d x_t (Park et al. 2023) at one captured call; x_t is the U-Net input
    (the DDPM-scale x_t). Returns v in x_t space, u in h space."""
    dm = model.model.diffusion_model
    with WeightCopy(dm) as state, torch.inference_mode(False):
        res = pullback_at(dm, state, call, k, iters, tol, chunk, check)
        nbytes = sum(v.numel() * v.element_size() for v in state.values())
    return res, nbytes
