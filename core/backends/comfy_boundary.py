"""BoundaryDiffusion (Zhu et al. 2023) on ComfyUI: h or x_t features at the mixing step from labelled seeds (or
inverted images), a linear SVM boundary (core/boundary.py), the mixing-step search (separability or radius matching,
SPEC.md §3.2), and the move to a signed distance at the mixing step (§3.4): h in one step (the paper), or the
reference code's lagged replacement at every later step (a documented option, §3.4 item 4, §3.7), or x_t split
inside the sampler."""
from __future__ import annotations

import logging
import math

import torch

import comfy.patcher_extension
import comfy.samplers

from ..boundary import TARGETS, fit_linear_svm, move_to_distance, projection, radius_match, target_distance
from ..direction import Direction
from ..errors import LatentDirectionsError
from ..tap import StepInfo, Tap, continuous_t
from . import comfy_unet
from ..trajectory import Trajectory, concat
from .comfy_supervised import record_trajectories

MODES = ("single step (paper)", "lagged every step (reference code)", "every step from the mixing step (ours)")
SPACES = ("h", "x_t")


def t_of_percent(model, percent: float) -> float:
    ms = comfy_unet.model_sampling(model)
    return continuous_t(ms.log_sigmas, float(ms.percent_to_sigma(percent)))


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


def boundary_from_features(model, ha, hb, t, c, via, test_every, mix_percent, sampling, extra_params=None,
                           space: str = "h"):
    """SVM boundary DIRECTION from features of class A and B at one t; space "h" (mid-block) or "x_t" (U-Net input)."""
    b, test = fit_at(ha, hb, c, via, test_every)
    d_a, d_b = projection(ha, b.normal), projection(hb, b.normal)
    t_a, t_b = test[:len(ha)], test[len(ha):]
    held = bool(t_a.sum() >= 2 and t_b.sum() >= 2)
    if held:  # training examples sit at the margin (N << D): held-out means are the unbiased class positions
        d_a, d_b = d_a[t_a], d_b[t_b]
    which = "held-out" if held else "all"
    sig = comfy_unet.signature(model)
    sig["h_shape" if space == "h" else "x_shape"] = list(ha.shape[1:])
    q = "<h, n>" if space == "h" else "<x_t, n>"
    acc = f"train {b.train_accuracy:.1%}" + (f", held-out {b.test_accuracy:.1%} ({int(test.sum())})" if test.any() else "")
    meta = {"method": "svm_boundary", "space": "h" if space == "h" else "x",
            "tap": "unet_mid_out" if space == "h" else "unet_input_x_t",
            "params": {"C": c, "solver": via, "t_mix": t, "mix_percent": mix_percent, "train_accuracy": b.train_accuracy,
                       "test_accuracy": b.test_accuracy, "n_support": b.n_support,
                       "mean_distance_a": float(d_a.mean()), "mean_distance_b": float(d_b.mean()),
                       "mean_distance_of": which,
                       "scale": f"1 = one unit of signed distance {q} along the unit normal", **(extra_params or {})},
            "model": sig, "sampling": sampling, "labels": ["boundary normal"],
            "provenance": {"n_a": len(ha), "n_b": len(hb)}}
    d = Direction(b.normal.reshape(1, 1, *ha.shape[1:]), torch.tensor([t]), torch.ones(1, 1), meta,
                  {"intercept": torch.tensor([b.intercept])})
    text = (f"SVM on {space} at t={t:.0f}: {acc}; {b.n_support} support vectors; mean signed distance {q} ({which}): "
            f"class A {float(d_a.mean()):+.2f}, class B {float(d_b.mean()):+.2f}")
    return d, text


def _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name, scheduler,
                  branch, node, with_x=False):
    comfy_unet.require_unet(model, node)
    if len(seeds_a) < 2 or len(seeds_b) < 2:
        raise LatentDirectionsError(node, "each class needs at least 2 examples", "Give 10 or more seeds per class")
    run = lambda cond, seeds: record_trajectories(model, cond, negative, latent, seeds, steps, cfg, sampler_name,
                                                  scheduler, branch, node, with_x=with_x)
    ra, rb = run(cond_a, seeds_a), run(cond_b, seeds_b)
    if with_x:
        return ra, rb
    return ra[0], ra[1], rb[1]


def boundary_direction(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, mix_percent, steps, cfg,
                       sampler_name, scheduler, branch, c, via, test_every, node, space="h") -> tuple[Direction, str]:
    ta, tb = _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                           scheduler, branch, node, with_x=True)
    sampling = {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler}
    return boundary_from_trajectories(model, ta, tb, mix_percent, c, via, test_every, sampling, {"branch": branch},
                                      space)


def boundary_from_trajectories(model, ta: Trajectory, tb: Trajectory, mix_percent, c, via, test_every, sampling,
                               extra_params, space="h"):
    """The boundary at the recorded step nearest the mixing percent, on h or x_t of two recorded sets."""
    j = ta.nearest(t_of_percent(model, mix_percent))
    fa, fb = (ta.h, tb.h) if space == "h" else (ta.x, tb.x)
    return boundary_from_features(model, fa[:, j], fb[:, j], ta.ts[j], c, via, test_every, mix_percent, sampling,
                                  extra_params, space)


def mixing_step_search(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                       scheduler, branch, c, test_every, node, proxy="separability", real: Trajectory | None = None,
                       delta: float = 0.02, space: str = "h", search: tuple[float, float] = (0.0, 1.0)):
    """Choose the mixing step by a documented proxy (SPEC.md §3.2; the paper's criterion is not public) and fit the
    boundary (on h or x_t) there. Candidates: the recorded steps between the search percents (SPEC's suggestion is
    0.3T-0.8T, percents 0.2-0.7). separability: best held-out accuracy (ties: the noisiest such step, which leaves
    the most steps to follow the edit). radius: the noisiest step where mean |x_t| of the sampled trajectories (both
    classes) and of `real` (DDIM-inverted real images) differ by less than delta, relatively.
    Returns (boundary, report, plot series {name: (ts, ys)}, plot title)."""
    if proxy == "separability" and test_every < 2:
        raise LatentDirectionsError(node, "the search needs held-out examples", "Set holdout_every to 2 or more")
    if proxy == "radius" and real is None:
        raise LatentDirectionsError(node, "the radius-matching proxy needs the trajectory of inverted real images",
                                    "Connect DDIM Inversion's trajectory output to real_trajectory")
    ta, tb = _trajectories(model, cond_a, cond_b, negative, latent, seeds_a, seeds_b, steps, cfg, sampler_name,
                           scheduler, branch, node, with_x=True)
    ts = ta.ts
    sampling = {"steps": steps, "cfg": cfg, "sampler": sampler_name, "scheduler": scheduler}
    t_hi, t_lo = t_of_percent(model, min(search)), t_of_percent(model, max(search))
    cand = [j for j, t in enumerate(ts) if t_lo - 1e-6 <= t <= t_hi + 1e-6]
    if not cand:
        raise LatentDirectionsError(node, f"no recorded step lies between {min(search):g} and {max(search):g} of the "
                                          "run", "Widen search_start / search_end or sample more steps")
    fa, fb = (ta.h, tb.h) if space == "h" else (ta.x, tb.x)
    if proxy == "separability":
        curve = []
        for j in cand:
            b, _ = fit_at(fa[:, j], fb[:, j], c, "gram", test_every)
            curve.append((ts[j], b.test_accuracy, b.train_accuracy))
        ts_c = [ts[j] for j in cand]
        best = cand[max(range(len(cand)), key=lambda i: (curve[i][1], ts_c[i]))]
        chosen = "separability (best held-out accuracy)"
        params = {"curve": [[round(t, 2), a, tr] for t, a, tr in curve]}
        series = {"held-out accuracy": (ts_c, [x[1] for x in curve]), "train accuracy": (ts_c, [x[2] for x in curve])}
        title = f"SVM boundary ({space}) accuracy per step"
        note = ""
    else:
        rts, rr = real.radius()
        r_s = concat([ta, tb]).radius()[1]
        pairs = [(j, float(r_s[j]), float(rr[i])) for j in cand for i, u in enumerate(rts)
                 if abs(ts[j] - u) <= 0.01 * max(1.0, ts[j])]
        if len(pairs) < 2:
            raise LatentDirectionsError(node, "the real-image trajectory shares no timesteps with the search",
                                        "Invert the real images with the same steps and scheduler, from step 0")
        k, ok = radius_match([p[1] for p in pairs], [p[2] for p in pairs], delta)
        best = pairs[k][0]
        gap = abs(pairs[k][1] - pairs[k][2]) / pairs[k][1]
        chosen = f"radius matching (|r_s - r_i| / r_s < {delta:g})"
        note = "" if ok else f"; no step was within {delta:g}, so the closest was taken"
        pt = [ts[p[0]] for p in pairs]
        params = {"curve": [[round(ts[j], 2), a, b] for j, a, b in pairs], "delta": delta, "within_delta": ok}
        series = {"sampled mean |x_t|": (pt, [p[1] for p in pairs]), "inverted mean |x_t|": (pt, [p[2] for p in pairs])}
        title = "radius of sampled vs inverted x_t per step"
        note = f" (relative gap {gap:.2%}{note})"
    d, text = boundary_from_features(model, fa[:, best], fb[:, best], ts[best], c, "gram", test_every, None,
                                     sampling, {"branch": branch, "chosen_by": chosen, "step_index": best,
                                                "n_recorded": len(ts), "search": [min(search), max(search)],
                                                **params}, space)
    return d, f"mixing step chosen by {chosen}: t={ts[best]:.0f}{note}\n{text}", series, title


def sigma_of_t(log_sigmas: torch.Tensor, t: float) -> float:
    i = min(int(t), len(log_sigmas) - 2)
    return math.exp(float(log_sigmas[i]) + (t - i) * float(log_sigmas[i + 1] - log_sigmas[i]))


def boundary_tap(direction: Direction, distance: float, log_sigmas: torch.Tensor, branch: str = "both",
                 mode: str = MODES[0], on_distance=None) -> Tap:
    """REPLACE h by h + (d - <h, n>) n once per sampling run: at the first model call whose sigma is at or below the
    boundary's mixing-step sigma (the paper's single-step edit). mode "lagged every step (reference code)" then also
    replaces h at every later call by the un-edited h of the previous call of the same CFG branch (the reference
    code's one-step lag; per model call, which is per step for euler and ddim). on_distance(t, chunk, [<h, n>]) is
    called with each sample's signed distance before the move. State resets when sigma rises (a new run)."""
    n = direction.vectors[0, 0]
    sigma_mix = sigma_of_t(log_sigmas, float(direction.timesteps[0]))
    lagged, hold = mode == MODES[1], mode == MODES[2]
    state = {"last": math.inf, "at": None, "prev": {}}

    def fn(h: torch.Tensor, info: StepInfo, chunk: int):
        s = info.sigma if info.sigma is not None else 0.0
        if s > state["last"] + 1e-9:
            state["at"], state["prev"] = None, {}
        state["last"] = s
        if state["at"] is None and s <= sigma_mix * (1 + 1e-6):
            state["at"] = s
        if state["at"] is None:
            return h
        if abs(s - state["at"]) <= 1e-9 * max(1.0, s):
            if on_distance is not None:
                on_distance(info.t, chunk, projection(h, n.to(h.device)).tolist())
            state["prev"][chunk] = h
            return move_to_distance(h, n.to(h.device), distance)
        if hold:
            return move_to_distance(h, n.to(h.device), distance)
        if lagged:
            prev, state["prev"][chunk] = state["prev"].get(chunk), h
            return prev if prev is not None and prev.shape == h.shape else h
        return h

    return Tap(fn, "replace", branch=branch)


def x_boundary_wrapper(direction: Direction, distance: float, sigma_mix: float, node: str, on_distance=None):
    """A SAMPLER_SAMPLE wrapper that splits the run at the first step with sigma <= sigma_mix (the step where the h
    edit happens) and moves x_t there to signed distance d: x_t + (d - <x_t, n>) n, in DDPM scale (the sampler state
    is x_t * sqrt(1 + sigma^2)). Exact for euler and ddim; other samplers are warned about (comfy_xedit.py)."""
    n = direction.vectors[0, 0]

    def wrapper(executor, guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar):
        sampler = executor.class_obj
        if not isinstance(sampler, comfy.samplers.KSAMPLER):
            raise LatentDirectionsError(node, f"the sampler {type(sampler).__name__} cannot be split for an x_t move",
                                        "Use a stock KSampler sampler such as euler or ddim")
        k = next((i for i in range(1, len(sigmas) - 1) if float(sigmas[i]) <= sigma_mix * (1 + 1e-6)), 0)
        if k == 0:
            logging.warning(f"{node}: the run has no step at or after the boundary's mixing step; x_t was not moved")
            return executor(guider, sigmas, extra_args, callback, noise, latent_image, denoise_mask, disable_pbar)
        if getattr(sampler.sampler_function, "__name__", "") != "sample_euler":
            logging.warning(f"{node}: the x_t move splits the sampler, which is exact only for euler and ddim")
        total = len(sigmas) - 1
        cb1 = None if callback is None else (lambda i, d, x, t: callback(i, d, x, total))
        cb2 = None if callback is None else (lambda i, d, x, t: callback(i + k, d, x, total))
        x = executor(guider, sigmas[:k + 1], extra_args, cb1, noise, latent_image, denoise_mask, disable_pbar)
        if x.shape[1:] != n.shape:
            raise LatentDirectionsError(node, f"the x_t boundary has shape {tuple(n.shape)} but the latent is "
                                              f"{tuple(x.shape[1:])}", "Sample at the resolution the boundary was made at")
        c = (1.0 + float(sigmas[k]) ** 2) ** 0.5
        xt = x / c
        if on_distance is not None:
            on_distance(None, None, projection(xt, n.to(x.device)).tolist())
        x = move_to_distance(xt, n.to(x.device), distance) * c
        return executor(guider, sigmas[k:], extra_args, cb2, torch.zeros_like(x), x, denoise_mask, disable_pbar)

    return wrapper


def with_boundary_edit(model, direction: Direction, distance: float, branch: str, mode: str, node: str,
                       on_distance=None):
    """A clone of model that moves h (an h boundary) or x_t (an x_t boundary) to distance d at the mixing step."""
    log_sigmas = comfy_unet.model_sampling(model).log_sigmas.detach().cpu()
    if direction.meta.get("space", "h") == "h":
        return comfy_unet.with_tap(model, boundary_tap(direction, distance, log_sigmas, branch, mode, on_distance), node)
    if mode != MODES[0]:
        raise LatentDirectionsError(node, f"the mode '{mode.split(' (')[0]}' exists only for h boundaries (an x_t "
                                          "boundary moves x_t once)", f"Set mode to {MODES[0]} or use an h boundary")
    comfy_unet.require_unet(model, node)
    m = model.clone()
    w = x_boundary_wrapper(direction, distance, sigma_of_t(log_sigmas, float(direction.timesteps[0])), node,
                           on_distance)
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.SAMPLER_SAMPLE, f"latent_directions_xb_{id(w)}", w)
    return m


def resolve_distance(boundary: Direction, target: str, distance: float, node: str) -> float:
    """The absolute signed distance for a Boundary Edit target (core/boundary.target_distance), from the class means
    the boundary recorded."""
    if target == TARGETS[2]:
        return float(distance)
    p = boundary.meta.get("params", {})
    if "mean_distance_a" not in p or "mean_distance_b" not in p:
        raise LatentDirectionsError(node, "this boundary file does not record the classes' mean distances",
                                    f"Set target to '{TARGETS[2]}' and give d, or refit the boundary")
    return target_distance(target, distance, p["mean_distance_a"], p["mean_distance_b"])
