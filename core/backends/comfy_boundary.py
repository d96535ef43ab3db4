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


def _split(n: int, test_every: int, y: torch.Tensor) -> torch.Tensor:
    test = torch.zeros(n, dtype=torch.bool)
    if test_every > 1:
        test[::test_every] = True  # deterministic held-out split over both classes
    if test.all() or (~test).sum() < 2 or len(torch.unique(y[~test])) < 2:
        test[:] = False
    return test


def fit_at(ha: torch.Tensor, hb: torch.Tensor, c: float, via: str, test_every: int):
    """Fit the boundary on features ha (class A) and hb (class B) -> (Boundary, test mask)."""
    x = torch.cat([ha, hb])
    y = torch.cat([torch.ones(len(ha)), torch.zeros(len(hb))])
    test = _split(len(y), test_every, y)
    b = fit_linear_svm(x[~test], y[~test].numpy(), x[test] if test.any() else None,
                       y[test].numpy() if test.any() else None, c=c, via=via)
    return b, test


def boundary_from_features(model, ha, hb, t, c, via, test_every, mix_percent, sampling, extra_params=None):
    b, test = fit_at(ha, hb, c, via, test_every)
    d_a, d_b = projection(ha, b.normal), projection(hb, b.normal)
    sig = comfy_unet.signature(model)
    sig["h_shape"] = list(ha.shape[1:])
    acc = f"train {b.train_accuracy:.1%}" + (f", held-out {b.test_accuracy:.1%} ({int(test.sum())})" if test.any() else "")
    meta = {"method": "svm_boundary", "space": "h", "tap": "unet_mid_out",
            "params": {"C": c, "solver": via, "t_mix": t, "mix_percent": mix_percent, "train_accuracy": b.train_accuracy,
                       "test_accuracy": b.test_accuracy, "n_support": b.n_support,
                       "mean_distance_a": float(d_a.mean()), "mean_distance_b": float(d_b.mean()),
                       "scale": "1 = one unit of signed distance <h, n> along the unit normal", **(extra_params or {})},
            "model": sig, "sampling": sampling, "labels": ["boundary normal"],
            "provenance": {"n_a": len(ha), "n_b": len(hb)}}
    d = Direction(b.normal.reshape(1, 1, *ha.shape[1:]), torch.tensor([t]), torch.ones(1, 1), meta,
                  {"intercept": torch.tensor([b.intercept])})
    text = (f"SVM at t={t:.0f}: {acc}; {b.n_support} support vectors; mean signed distance <h,n>: "
            f"class A {float(d_a.mean()):+.2f}, class B {float(d_b.mean()):+.2f}")
    return d, text


def _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name, scheduler,
                  branch, node):
    comfy_unet.require_unet(model, node)
    if len(seeds_a) < 2 or len(seeds_b) < 2:
        raise LatentDirectionsError(node, "each class needs at least 2 examples", "Give 10 or more seeds per class")
    ts, ha = record_trajectories(model, cond_a, negative, latent, seeds_a, steps, cfg, sampler_name, scheduler,
                                 branch, node)
    _, hb = record_trajectories(model, cond_b, negative, latent, seeds_b, steps, cfg, sampler_name, scheduler,
                                branch, node)
    return ts, ha, hb


def boundary_direction(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, mix_percent, steps, cfg,
                       sampler_name, scheduler, branch, c, via, test_every, node) -> tuple[Direction, str]:
    ts, ha, hb = _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                               scheduler, branch, node)
    t_target = t_of_percent(model, mix_percent)
    j = min(range(len(ts)), key=lambda i: abs(ts[i] - t_target))
    sampling = {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler}
    return boundary_from_features(model, ha[:, j], hb[:, j], ts[j], c, via, test_every, mix_percent, sampling,
                                  {"branch": branch})


def mixing_step_search(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                       scheduler, branch, c, test_every, node):
    """Separability proxy (SPEC.md §3.2; the paper's criterion is not public): fit the boundary at every recorded step
    and choose the step with the best held-out accuracy (ties: the noisiest such step, which leaves the most steps to
    follow the edit). Returns (boundary at the chosen step, report, [(t, held-out acc, train acc)])."""
    if test_every < 2:
        raise LatentDirectionsError(node, "the search needs held-out examples", "Set holdout_every to 2 or more")
    ts, ha, hb = _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                               scheduler, branch, node)
    curve = []
    for j, t in enumerate(ts):
        b, _ = fit_at(ha[:, j], hb[:, j], c, "gram", test_every)
        curve.append((t, b.test_accuracy, b.train_accuracy))
    best = max(range(len(ts)), key=lambda j: (curve[j][1], ts[j]))
    sampling = {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler}
    d, text = boundary_from_features(model, ha[:, best], hb[:, best], ts[best], c, "gram", test_every, None, sampling,
                                     {"branch": branch, "chosen_by": "separability (best held-out accuracy)",
                                      "curve": [[round(t, 2), a, tr] for t, a, tr in curve]})
    return d, f"mixing step chosen by separability (best held-out accuracy): t={ts[best]:.0f}\n{text}", curve


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
