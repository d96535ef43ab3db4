"""BoundaryDiffusion (Zhu et al. 2023) on ComfyUI: h features at the mixing step from labelled seeds, a linear SVM
boundary (core/boundary.py), and a one-step move of h to a signed distance at the mixing step."""
from __future__ import annotations

import math

import torch

from ..boundary import fit_linear_svm, move_to_distance, projection
from ..direction import Direction
from ..errors import LatentDirectionsError
from ..tap import StepInfo, Tap, continuous_t
from . import comfy_unet
from .comfy_supervised import record_trajectories


def t_of_percent(model, percent: float) -> float:
    ms = comfy_unet.model_sampling(model)
    return continuous_t(ms.log_sigmas, float(ms.percent_to_sigma(percent)))


def features_at(model, cond, negative, latent, seeds, t_target, steps, cfg, sampler_name, scheduler, branch, node):
    """h at the recorded step nearest t_target for each seed -> (t used, h [N, *shape])."""
    ts, h = record_trajectories(model, cond, negative, latent, seeds, steps, cfg, sampler_name, scheduler, branch, node)
    j = min(range(len(ts)), key=lambda i: abs(ts[i] - t_target))
    return ts[j], h[:, j]


def boundary_direction(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, mix_percent, steps, cfg,
                       sampler_name, scheduler, branch, c, via, test_every, node) -> tuple[Direction, str]:
    comfy_unet.require_unet(model, node)
    if len(seeds_a) < 2 or len(seeds_b) < 2:
        raise LatentDirectionsError(node, "each class needs at least 2 examples", "Give 10 or more seeds per class")
    t_target = t_of_percent(model, mix_percent)
    ta, ha = features_at(model, cond_a, negative, latent, seeds_a, t_target, steps, cfg, sampler_name, scheduler,
                         branch, node)
    _, hb = features_at(model, cond_b, negative, latent, seeds_b, t_target, steps, cfg, sampler_name, scheduler,
                        branch, node)
    x = torch.cat([ha, hb])
    y = torch.cat([torch.ones(len(ha)), torch.zeros(len(hb))])
    test = torch.zeros(len(y), dtype=torch.bool)
    if test_every > 1:
        test[::test_every] = True  # deterministic held-out split, both classes
    if test.all() or (~test).sum() < 2 or len(torch.unique(y[~test])) < 2:
        test[:] = False
    b = fit_linear_svm(x[~test], y[~test].numpy(), x[test] if test.any() else None,
                       y[test].numpy() if test.any() else None, c=c, via=via)
    d_a, d_b = projection(ha, b.normal), projection(hb, b.normal)
    sig = comfy_unet.signature(model)
    sig["h_shape"] = list(x.shape[1:])
    acc = f"train {b.train_accuracy:.1%}" + (f", held-out {b.test_accuracy:.1%} ({int(test.sum())})" if test.any() else "")
    meta = {"method": "svm_boundary", "space": "h", "tap": "unet_mid_out",
            "params": {"C": c, "solver": via, "t_mix": ta, "mix_percent": mix_percent, "train_accuracy": b.train_accuracy,
                       "test_accuracy": b.test_accuracy, "n_support": b.n_support, "branch": branch,
                       "mean_distance_a": float(d_a.mean()), "mean_distance_b": float(d_b.mean()),
                       "scale": "1 = one unit of signed distance <h, n> along the unit normal"},
            "model": sig, "sampling": {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler},
            "labels": ["boundary normal"], "provenance": {"n_a": len(seeds_a), "n_b": len(seeds_b)}}
    d = Direction(b.normal.reshape(1, 1, *x.shape[1:]), torch.tensor([ta]), torch.ones(1, 1), meta,
                  {"intercept": torch.tensor([b.intercept])})
    text = (f"SVM at t={ta:.0f}: {acc}; {b.n_support} support vectors; mean signed distance <h,n>: "
            f"class A {float(d_a.mean()):+.2f}, class B {float(d_b.mean()):+.2f}")
    return d, text


def boundary_tap(direction: Direction, distance: float, log_sigmas: torch.Tensor, branch: str = "both") -> Tap:
    """REPLACE h by h + (d - <h, n>) n once per sampling run: at the first model call whose sigma is at or below the
    boundary's mixing-step sigma (the paper's single-step edit). State resets when sigma rises (a new run)."""
    n = direction.vectors[0, 0]
    t_mix = float(direction.timesteps[0])
    i = min(int(t_mix), len(log_sigmas) - 2)
    sigma_mix = math.exp(float(log_sigmas[i]) + (t_mix - i) * float(log_sigmas[i + 1] - log_sigmas[i]))
    state = {"last": math.inf, "at": None}

    def fn(h: torch.Tensor, info: StepInfo, chunk: int):
        s = info.sigma if info.sigma is not None else 0.0
        if s > state["last"] + 1e-9:
            state["at"] = None
        state["last"] = s
        if state["at"] is None and s <= sigma_mix * (1 + 1e-6):
            state["at"] = s
        if state["at"] is not None and abs(s - state["at"]) <= 1e-9 * max(1.0, s):
            return move_to_distance(h, n.to(h.device), distance)
        return h

    return Tap(fn, "replace", branch=branch)
