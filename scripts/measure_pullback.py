"""Do pullback (x-space) edits early in sampling move coarse factors and late edits fine ones? (issue #5)

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_pullback [--quick]

For held-out seeds on the demo model (prompts cycle circle / square / triangle, null negative) the top-k right
singular vectors v of d h / d x_t are taken with the Jacobian Directions node's pullback backend (pullback_svd) at
an early step (t >= 0.7 T) and a late one (t <= 0.3 T). Each is applied as x_t <- x_t + gamma * v at its own step
with the same gamma (x_t units, DDPM scale, so ||Delta x_t|| = gamma at both steps; the sampler state moves by
gamma * sqrt(1 + sigma^2), as comfy_xedit does), for +-gamma and a few gammas (one table each). The run is split
there the KSamplerAdvanced way (the prefix is shared by all edits of one step, edits batched after it);
the first seed checks one edit against the Apply node's own split (with_x_edit).
Edited and unedited samples are measured with the factor measurer.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

import comfy.sample  # noqa: E402

from core.backends import comfy_curvedness as CC  # noqa: E402
from core.backends import comfy_demo, comfy_sampling  # noqa: E402
from core.backends import comfy_jacobian as CJ  # noqa: E402
from core.backends.comfy_xedit import move, with_x_edit  # noqa: E402
from core.demo import measure as M  # noqa: E402
from core.demo import render as R  # noqa: E402
from core.direction import Direction  # noqa: E402

RANGES = {"cx": R.C_RANGE[1] - R.C_RANGE[0], "cy": R.C_RANGE[1] - R.C_RANGE[0], "r": R.R_RANGE[1] - R.R_RANGE[0],
          "hue": 0.5}  # hue: share of half the hue circle
COARSE, FINE = ("cx", "cy", "r"), ("stripes", "hue")
HELD_OUT = 700_000
SAMPLER = ("euler", "normal")


def split_edit(model, pos, neg, seed: int, j: int, deltas: torch.Tensor, sigma: float, steps: int, cfg: float):
    """Sample to step j, add each delta [E, C, H, W] (x_t units) to x_t there, finish each -> [E, C, H, W]."""
    lat = torch.zeros(1, 3, 32, 32)
    noise = comfy_sampling.noise_for(lat, [seed])
    x = comfy.sample.sample(model, noise, steps, cfg, *SAMPLER, pos, neg, lat, start_step=0, last_step=j,
                            force_full_denoise=False, seed=seed, disable_pbar=True)
    xe = move(x.repeat(len(deltas), 1, 1, 1), deltas, sigma, None, None)
    return comfy.sample.sample(model, torch.zeros_like(xe), steps, cfg, *SAMPLER, pos, neg, xe, start_step=j,
                               last_step=steps, force_full_denoise=True, seed=seed, disable_pbar=True)


def as_direction(v: torch.Tensor, call) -> Direction:
    """A pullback basis as the Jacobian Directions node returns it (only what with_x_edit reads)."""
    meta = {"method": "jacobian_pullback", "space": "x", "params": {"at_t": call.t, "at_sigma": call.sigma}}
    return Direction(v.float().unsqueeze(1), torch.tensor([call.t]), torch.ones(v.shape[0], 1), meta, {})


def changes(base: dict, ed: dict, i0: int, idx: list[int]) -> dict[str, list[float]]:
    """|change| of each factor between the unedited sample i0 and edited ones idx (NaN where either has no object)."""
    out = {f: [] for f in (*COARSE, *FINE, "lost")}
    for i in idx:
        ok = bool(base["single"][i0] and ed["single"][i])
        out["lost"].append(float(base["single"][i0] and not ed["single"][i]))
        for f in COARSE:
            out[f].append(abs(ed[f][i] - base[f][i0]) / RANGES[f] if ok else np.nan)
        out["hue"].append(float(M.hue_error(ed["hue"][i], base["hue"][i0])) / RANGES["hue"] if ok else np.nan)
        out["stripes"].append(float(ed["stripes"][i] != base["stripes"][i0]) if ok else np.nan)
    return out


def curvedness(model, pos, neg, a: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    c = CC.measure(model, pos, neg, torch.zeros(1, 3, 32, 32), HELD_OUT + 900, HELD_OUT + 901, a.curv_steps, a.cfg,
                   *SAMPLER, a.curv_k, a.curv_iters, 1e-3, a.curv_segments, a.curv_every, "measure_pullback")
    return {"report": CC.report(c, a.curv_k, a.curv_segments), "seconds": time.perf_counter() - t0,
            "settings": {"seeds": [HELD_OUT + 900, HELD_OUT + 901], "steps": a.curv_steps, "k": a.curv_k,
                         "iterations": a.curv_iters, "segments": a.curv_segments, "every": a.curv_every,
                         "prompt": "circle"},
            "t": c.t, "a_to_b": c.a_to_b, "step_change": c.step_change, "lerp": c.lerp, "slerp": c.slerp}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--quick", action="store_true", help="fewer seeds (~3-4 min on one core)")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--k", type=int, default=2, help="top-k pullback directions per step")
    ap.add_argument("--gammas", default="4, 8, 16", help="||Delta x_t|| of the edits (x_t units), one table each")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cfg", type=float, default=2.5)
    ap.add_argument("--early", type=float, default=0.85, help="edit step nearest this t / T (must be >= 0.7)")
    ap.add_argument("--late", type=float, default=0.2, help="edit step nearest this t / T (must be <= 0.3)")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--curv-steps", type=int, default=10)
    ap.add_argument("--curv-k", type=int, default=3)
    ap.add_argument("--curv-iters", type=int, default=10)
    ap.add_argument("--curv-segments", type=int, default=2)
    ap.add_argument("--curv-every", type=int, default=3)
    ap.add_argument("--no-curvedness", action="store_true")
    ap.add_argument("--control-random", action="store_true",
                    help="control: random unit x_t directions instead of the pullback vectors (write to another --out)")
    ap.add_argument("--out", default="docs/pullback_effects.md")
    ap.add_argument("--json", default="docs/pullback_effects.json")
    a = ap.parse_args()
    a.seeds = a.seeds or (4 if a.quick else 16)
    gammas = [float(g) for g in a.gammas.split(",")]
    t_start = time.perf_counter()
    model, tok, const = comfy_demo.load_demo_model(a.weights)
    neg = [[comfy_demo.context_for(tok, const, 3), {}]]
    T = float(len(model.get_model_object("model_sampling").sigmas))
    keys = (*COARSE, *FINE, "lost")
    per = {(g, name): {f: [] for f in keys} for g in gammas for name in ("early", "late")}
    at, xnorm, check = {}, {"early": [], "late": []}, None
    for n in range(a.seeds):
        seed, ci = HELD_OUT + n, n % 3
        pos = [[comfy_demo.context_for(tok, const, ci), {}]]
        calls = CJ.capture_calls(model, pos, neg, torch.zeros(1, 3, 32, 32), seed, a.steps, a.cfg, *SAMPLER, "mp")
        base = comfy_sampling.sample(model, pos, neg, torch.zeros(1, 3, 32, 32), [seed], a.steps, a.cfg, *SAMPLER)
        imgs, groups = [base], {}
        for name, frac in (("early", a.early), ("late", a.late)):
            j = min(range(1, len(calls) - 1), key=lambda i: abs(calls[i].t / T - frac))
            at[name] = (j, calls[j].t / T)
            xnorm[name].append(float(calls[j].x.norm()))
            res, _ = CJ.pullback_svd(model, calls[j], a.k, a.iters, 1e-3, chunk=a.k)
            v = res.v.float()
            if a.control_random:  # control: random unit directions of the same norm instead of the pullback's v
                r = torch.randn(v.shape, generator=torch.Generator().manual_seed(seed * 2 + (name == "late")))
                v = r / r.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
            signs = torch.tensor([1.0, -1.0]).repeat_interleave(len(v))
            deltas = torch.cat([g * signs.view(-1, 1, 1, 1) * v.repeat(2, 1, 1, 1) for g in gammas])
            out = split_edit(model, pos, neg, seed, j, deltas, calls[j].sigma, a.steps, a.cfg)
            if n == 0 and name == "early":  # the Apply node's own path for the first edit
                m = with_x_edit(model, as_direction(v[:1], calls[j]), [gammas[0]], calls[j].sigma, "mp")
                ref = comfy_sampling.sample(m, pos, neg, torch.zeros(1, 3, 32, 32), [seed], a.steps, a.cfg, *SAMPLER)
                check = float((ref[0] - out[0]).abs().max())
            start, e = sum(len(x) for x in imgs), 2 * len(v)
            for gi, g in enumerate(gammas):
                groups[(g, name)] = list(range(start + gi * e, start + (gi + 1) * e))
            imgs.append(out)
        meas = M.measure(((torch.cat(imgs) + 1) / 2).clamp(0, 1))
        for key, idx in groups.items():
            for f, vals in changes(meas, meas, 0, idx).items():
                per[key][f] += vals
        print(f"seed {seed} ({R.CLASSES[ci]}) done at {time.perf_counter() - t_start:.0f} s", flush=True)
    summ = {}
    for key, d in per.items():
        s = {f: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for f, v in d.items()}
        s["coarse"] = float(np.mean([s[f] for f in COARSE]))
        s["n_measured"], s["n"] = int(np.isfinite(d["cx"]).sum()), len(d["cx"])
        summ[key] = s
    ratio = lambda x, y: x / y if y > 0 else float("inf")
    ratios, met = {}, {}
    for g in gammas:
        e, late = summ[(g, "early")], summ[(g, "late")]
        ratios[g] = {**{f"{f} early/late": ratio(e[f], late[f]) for f in (*COARSE, "coarse")},
                     **{f"{f} late/early": ratio(late[f], e[f]) for f in FINE},
                     "stripes/coarse late/early": ratio(ratio(late["stripes"], late["coarse"]),
                                                        ratio(e["stripes"], e["coarse"]))}
        met[g] = {"coarse": ratios[g]["coarse early/late"] >= 3, "stripes": ratios[g]["stripes late/early"] >= 3}
    curv = None if a.no_curvedness else curvedness(model, [[comfy_demo.context_for(tok, const, 0), {}]], neg, a)
    secs = time.perf_counter() - t_start
    xn = {k: float(np.mean(v)) for k, v in xnorm.items()}
    write(a, gammas, summ, ratios, met, at, xn, check, curv, secs)
    with open(a.json, "w") as f:
        json.dump({"settings": {k: v for k, v in vars(a).items() if k not in ("out", "json")}, "steps_at": at,
                   "mean_x_t_norm": xn, "split_check_max_abs": check, "seconds": secs, "curvedness": curv,
                   "gammas": {str(g): {"early": summ[(g, "early")], "late": summ[(g, "late")], "ratios": ratios[g],
                                       "targets_met": met[g], "per_edit": {n: per[(g, n)] for n in ("early", "late")}}
                              for g in gammas}}, f, indent=1)


def write(a, gammas, summ, ratios, met, at, xn, check, curv, secs):
    fmt = lambda x: "inf" if x == float("inf") else f"{x:.3f}"
    cmd = ("PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_pullback" + (" --quick" if a.quick else "")
           + (" --control-random" if a.control_random else ""))
    lines = ["# Pullback edits: early steps move coarse factors, late steps fine ones?", "",
             *(["**Control run: random unit directions of x_t replace the pullback vectors v below.**", ""]
               if a.control_random else []),
             f"Measured by `{cmd}` on `{a.weights}` in {secs / 60:.1f} min: {a.seeds} held-out seeds (from "
             f"{HELD_OUT}; prompts cycle circle, square, triangle; null negative; {a.steps} euler steps, CFG {a.cfg}). "
             f"At each seed the top-{a.k} right singular vectors v of dh/dx_t (the Jacobian Directions node's "
             f"pullback backend, {a.iters} iterations) are taken at the early step t/T = {at['early'][1]:.2f} (step "
             f"{at['early'][0]}, mean ||x_t|| {xn['early']:.1f}) and the late step t/T = {at['late'][1]:.2f} (step "
             f"{at['late'][0]}, mean ||x_t|| {xn['late']:.1f}), and each is applied there as x_t <- x_t +- gamma v: "
             "the same ||Delta x_t|| = gamma at both steps (x_t in DDPM scale). Each cell: mean |change| vs the "
             "unedited sample as a share of the factor's training range (hue: of half the hue circle); stripes: the "
             "share of edits that change the measured stripes state (none / horizontal / vertical). Edits whose "
             "sample or reference has no single object are left out of the factor means and counted under *lost*.",
             "", "| gamma | edit step | t/T | cx | cy | r | coarse mean | stripes changed | hue | lost | measured |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in gammas:
        for name in ("early", "late"):
            s = summ[(g, name)]
            lines.append(f"| {g:g} | {name} | {at[name][1]:.2f} | "
                         + " | ".join(fmt(s[f]) for f in (*COARSE, "coarse", *FINE))
                         + f" | {s['lost']:.0%} | {s['n_measured']}/{s['n']} |")
    names = list(ratios[gammas[0]])
    lines += ["", "| ratio | " + " | ".join(f"gamma {g:g}" for g in gammas) + " | target |",
              "|---|" + "---|" * (len(gammas) + 1)]
    for k in names:
        target = ">= 3" if k in ("coarse early/late", "stripes late/early") else ""
        lines.append(f"| {k} | " + " | ".join(fmt(ratios[g][k]) for g in gammas) + f" | {target} |")
    verdict = lambda key: ", ".join(f"gamma {g:g}: {'met' if met[g][key] else '**not met**'}" for g in gammas)
    lines += ["", "Issue #5 targets: coarse factors move >= 3x more at t >= 0.7T than at t <= 0.3T of equal "
                  f"||Delta x||: {verdict('coarse')}. Stripes the other way round: {verdict('stripes')}. The "
                  "last ratio row (stripes change per unit of coarse change, late over early) is a selectivity "
                  "measure, not the issue's target."]
    if check is not None:
        lines += ["", f"Split check: the first seed's first early edit through the Apply node's own path "
                      f"(with_x_edit) differs from this script's split by at most {check:.2e} (latent units)."]
    if curv:
        st = curv["settings"]
        lines += ["", "## Tangent-Space Curvedness", "",
                  f"The Tangent-Space Curvedness backend on seeds {st['seeds'][0]} and {st['seeds'][1]} (circle, "
                  f"{st['steps']} euler steps, measured every {st['every']} steps, k = {st['k']}, "
                  f"{st['iterations']} iterations, {st['segments']} path segments) in {curv['seconds']:.0f} s:",
                  "", "```", curv["report"], "```"]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
