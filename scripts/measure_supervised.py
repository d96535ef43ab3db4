"""Supervised directions and boundaries on the demo model, measured with the factor measurer on held-out seeds.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_supervised [--quick] [--weights FILE]

Writes docs/supervised_effects.md and .json. Uses the nodes' own code paths (Mixing-Step Search, Boundary Edit,
Seed-List / Prompt-Pair Direction, Disentangle Directions, the Apply Latent Edit tap):
a. SVM held-out accuracy (class: circle vs square prompts over the same seeds; stripes: circle samples labelled by
   the measured stripes) at the step Mixing-Step Search picks by separability (SPEC's range and the whole run, on
   h), and of SVM Boundary on x_t at a fixed mixing percent (C = 1 and C = 1e-4), on fresh seeds.
b. Boundary Edit: share of held-out samples whose measured attribute flips when each is sent to the other class's
   side (target class A / B side) at the node's default distance and, for the x_t boundary, a sweep of distances.
c. Projection (Haas eq. 12): a "size" direction from seed lists (large vs small measured r), before and after
   projecting out the supervised direction of the off-target factor it moves most (hue, cx or cy).
d. Prompt-pair direction (square - circle) applied with the null prompt: measured class shares vs strength.
e. Stripes orientation (horizontal vs vertical, measured) on x_t: Mixing-Step Search over the whole run but its last
   step picks the step, held-out accuracy and Boundary Edit flips at the default distance on fresh seeds. Own seeds
   (ORIENT_SEED0), so `--part orientation` re-measures it alone and keeps the other parts of the JSON.
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

from core.backends import comfy_demo, comfy_sampling, comfy_unet  # noqa: E402
from core.backends.comfy_boundary import (MODES, boundary_from_trajectories, mixing_step_search,  # noqa: E402
                                         resolve_distance, with_boundary_edit)
from core.backends.comfy_supervised import record_trajectories  # noqa: E402
from core.backends.comfy_supervised import mean_difference_direction  # noqa: E402
from core.boundary import projection  # noqa: E402
from core.demo import measure as M  # noqa: E402
from core.demo import render as R  # noqa: E402
from core.edit import edit_tap  # noqa: E402
from core.supervised import disentangle  # noqa: E402
from core import boundary as CB  # noqa: E402

SEED0 = 600_000  # held-out seeds of this script (other scripts use 500 000 and 777 000)
NODE = "measure_supervised"
DEFAULT_DISTANCE = CB.DEFAULT_DISTANCE  # Boundary Edit's default (class separations past the midpoint)
SEARCH = (0.2, 0.7)  # Mixing-Step Search's default candidates (SPEC: 0.3T-0.8T)
ORIENT_SEED0 = 690_000  # part e's own seeds: pool, then held-out
ORIENT_SEARCH = (0.0, 0.95)  # the whole run but its last step: a move at t = 0 is a pixel edit of the output
ORIENT_C = 0.01  # part e's SVM C: on x_t (D = 3072 > N) C = 1 fits every pool exactly and its normal flips less
X_PERCENT, X_C = 0.7, 1e-4  # the x_t stripes boundary: SVM Boundary's mixing_percent and C
RANGES = {"r": R.R_RANGE[1] - R.R_RANGE[0], "cx": R.C_RANGE[1] - R.C_RANGE[0], "cy": R.C_RANGE[1] - R.C_RANGE[0],
          "hue": 0.5}


class Ctx:
    def __init__(self, a):
        self.model, tok, const = comfy_demo.load_demo_model(a.weights)
        self.cond = {n: [[comfy_demo.context_for(tok, const, i), {}]] for i, n in enumerate((*R.CLASSES, "null"))}
        self.latent = torch.zeros(1, 3, 32, 32)
        self.steps, self.cfg = a.steps, a.cfg
        self.next_seed = SEED0
        self.recorded = {}

    def seeds(self, n: int) -> list[int]:
        s = list(range(self.next_seed, self.next_seed + n))
        self.next_seed += n
        return s

    def sample(self, model, prompt: str, seeds: list[int], record_t: float | None = None, batch: int = 32):
        """Measured factors of samples (and h of the cond branch at the recorded t nearest record_t)."""
        meas, hs = [], []
        for i in range(0, len(seeds), batch):
            s = seeds[i:i + batch]
            m, rec, _ = comfy_sampling.recording_model(model, "cond", NODE) if record_t is not None else (model, None, None)
            out = comfy_sampling.sample(m, self.cond[prompt], self.cond["null"], self.latent.repeat(len(s), 1, 1, 1),
                                        s, self.steps, self.cfg, "euler", "normal")
            meas.append(M.measure(((out + 1) / 2).clamp(0, 1)))
            if rec is not None:
                hs.append(rec[min(rec, key=lambda t: abs(t - record_t))])
        m = {k: np.concatenate([x[k] for x in meas]) for k in meas[0]}
        return (m, torch.cat(hs)) if record_t is not None else m

    def sample_features(self, model, prompt: str, seeds: list[int], t: float, space: str):
        """Measured factors and h (space "h") or x_t ("x_t") of the cond branch at the recorded step nearest t."""
        tr = record_trajectories(model, self.cond[prompt], self.cond["null"], self.latent, seeds, self.steps, self.cfg,
                                 "euler", "normal", "cond", NODE, batch_size=32, with_x=True)
        j = tr.nearest(t)
        return self.sample(model, prompt, seeds), (tr.h if space == "h" else tr.x)[:, j]

    def boundary_at(self, prompt, seeds_a, seeds_b, percent: float, space: str, c: float):
        """SVM Boundary (the node's code path) at the recorded step nearest the mixing percent; the recorded
        trajectories are kept for further calls on the same seeds."""
        def rec(seeds):
            key = (prompt, tuple(seeds))
            if key not in self.recorded:
                self.recorded[key] = record_trajectories(self.model, self.cond[prompt], self.cond["null"], self.latent,
                                                         seeds, self.steps, self.cfg, "euler", "normal", "cond", NODE,
                                                         batch_size=32, with_x=True)
            return self.recorded[key]
        return boundary_from_trajectories(self.model, rec(seeds_a), rec(seeds_b), percent, c, "gram", 4, {}, {},
                                          space)[0]

    def search(self, prompt_a, prompt_b, seeds_a, seeds_b, space="h", search=SEARCH, c=1.0):
        return mixing_step_search(self.model, self.cond[prompt_a], self.cond[prompt_b], self.cond["null"],
                                  self.latent, seeds_a, seeds_b, self.steps, self.cfg, "euler", "normal", "cond", c,
                                  4, NODE, space=space, search=search)

    def direction(self, prompt_with, prompt_without, seeds_with, seeds_without, label):
        return mean_difference_direction(self.model, self.cond[prompt_with], self.cond[prompt_without],
                                         self.cond["null"], self.latent, seeds_with, seeds_without, self.steps,
                                         self.cfg, "euler", "normal", "cond", NODE, label)

    def edited(self, d, strength: float):
        s = torch.full((d.k,), float(strength))
        return comfy_unet.with_tap(self.model, edit_tap(d, s, comfy_unet.window_from_percent(self.model, 0.0, 1.0)), NODE)


def held_out_accuracy(b, h: torch.Tensor, is_a: np.ndarray) -> float:
    pred_a = (projection(h, b.vectors[0, 0]) + float(b.extra["intercept"][0])).numpy() > 0
    return float((pred_a == is_a).mean())


def flips(ctx, bounds: dict, sources: list[tuple[str, list[int], str]], attr, values: list[float]) -> list[dict]:
    """bounds: {label: [boundaries moved together]}; sources: (prompt, seeds whose measured attribute is `frm`, frm in
    {"a", "b"}); attr(meas) -> bool is-A. Each sample is sent to the other class's side at `value` separations past
    the midpoint (Boundary Edit's class-side target)."""
    rows = []
    for label, bs in bounds.items():
        for prompt, seeds, frm in sources:
            if not seeds:
                continue
            to = "b" if frm == "a" else "a"
            target = CB.TARGETS[0] if to == "a" else CB.TARGETS[1]
            for v in values:
                m = ctx.model
                for b in bs:
                    m = with_boundary_edit(m, b, resolve_distance(b, target, v, NODE), "both", MODES[0], NODE)
                meas = ctx.sample(m, prompt, seeds)
                flipped = float(((attr(meas) == (to == "a")) & meas["single"]).mean())
                rows.append({"moved": label, "prompt": prompt, "from": frm, "value": v, "n": len(seeds),
                             "flipped": flipped, "one_object": float(meas["single"].mean()),
                             "t": float(bs[0].timesteps[0])})
                print(f"  flip [{label}] {prompt} {frm}->{to} value={v}: {flipped:.0%}", flush=True)
    return rows


def part_a_b(ctx, a, res):
    n, nh = a.n_train, a.n_test
    # class: circle (A) vs square (B) prompts over the same seeds
    s = ctx.seeds(n)
    bc, text, _, _ = ctx.search("circle", "square", s, s)
    t = float(bc.timesteps[0])
    hc = ctx.seeds(nh)
    mc, h_c = ctx.sample(ctx.model, "circle", hc, t)
    ms, h_s = ctx.sample(ctx.model, "square", hc, t)
    acc = held_out_accuracy(bc, torch.cat([h_c, h_s]), np.r_[np.ones(nh, bool), np.zeros(nh, bool)])
    res["class"] = {"t": t, "report": text, "node_held_out": bc.meta["params"]["test_accuracy"], "held_out": acc,
                    "n_train": 2 * n, "n_test": 2 * nh, "search": list(SEARCH), "space": "h"}
    print("class:", text.replace("\n", " | "), f"| fresh held-out {acc:.1%}", flush=True)
    hn = ctx.seeds(a.n_null)
    mn = ctx.sample(ctx.model, "null", hn)
    is_circle = lambda m: m["cls"] == 0
    src = [("square", [sd for sd, c in zip(hc, ms["cls"]) if c == 1][:a.n_flip], "b"),
           ("null", [sd for sd, c in zip(hn, mn["cls"]) if c == 1][:a.n_flip], "b"),
           ("null", [sd for sd, c in zip(hn, mn["cls"]) if c == 0][:a.n_flip], "a")]
    res["class_flips"] = flips(ctx, {"h": [bc]}, src, is_circle, [2.0, DEFAULT_DISTANCE])
    # stripes: circle samples labelled by the measured stripes factor
    pool = ctx.seeds(a.n_pool)
    mp = ctx.sample(ctx.model, "circle", pool)
    res["pool"] = {k: mp[k].tolist() for k in ("r", "cx", "cy", "hue", "stripes", "single")} | {"seeds": pool}
    ok = mp["single"]
    striped = [sd for sd, st, o in zip(pool, mp["stripes"], ok) if o and st > 0]
    plain = [sd for sd, st, o in zip(pool, mp["stripes"], ok) if o and st == 0]
    ms2 = None
    res["stripes"] = {}
    stripe_bounds = {}
    for key, space, search in (("spec range, h", "h", SEARCH), ("whole run, h", "h", (0.0, 1.0))):
        bs, text, _, _ = ctx.search("circle", "circle", striped, plain, space, search)
        t = float(bs.timesteps[0])
        rec, feats = ctx.sample_features(ctx.model, "circle", hc, t, space)
        good = rec["single"]
        ms2 = rec if ms2 is None else ms2
        acc = held_out_accuracy(bs, feats[good], rec["stripes"][good] > 0)
        res["stripes"][key] = {"t": t, "report": text, "node_held_out": bs.meta["params"]["test_accuracy"],
                               "held_out": acc, "n_train": len(striped) + len(plain), "n_test": int(good.sum()),
                               "search": list(search), "space": space}
        stripe_bounds[key] = bs
        print(f"stripes [{key}]:", text.replace("\n", " | "), f"| fresh held-out {acc:.1%}", flush=True)
    good = ms2["single"]
    src = [("circle", [sd for sd, st, o in zip(hc, ms2["stripes"], good) if o and st > 0][:a.n_flip], "a"),
           ("circle", [sd for sd, st, o in zip(hc, ms2["stripes"], good) if o and st == 0][:a.n_flip], "b")]
    # the x_t boundary an editor would fit (SVM Boundary, space x_t, at X_PERCENT), strongly regularised: with C = 1 the
    # max-margin normal fits the training samples' own noise in x_t and transfers badly (measured in the table)
    bx = {c: ctx.boundary_at("circle", striped, plain, X_PERCENT, "x_t", c) for c in (1.0, X_C)}
    for c, b in bx.items():
        rec, feats = ctx.sample_features(ctx.model, "circle", hc, float(b.timesteps[0]), "x_t")
        good = rec["single"]
        res["stripes"][f"SVM Boundary x_t, C={c:g}"] = {
            "t": float(b.timesteps[0]), "report": "", "node_held_out": b.meta["params"]["test_accuracy"],
            "held_out": held_out_accuracy(b, feats[good], rec["stripes"][good] > 0), "n_train": len(striped) + len(plain),
            "n_test": int(good.sum()), "search": [X_PERCENT, X_PERCENT], "space": "x_t", "C": c}
    moves = {f"x_t (C={X_C:g}, SVM Boundary at {X_PERCENT:g})": [bx[X_C]],
             f"x_t (C=1, SVM Boundary at {X_PERCENT:g})": [bx[1.0]],
             "h (spec range)": [stripe_bounds["spec range, h"]], "h (whole run)": [stripe_bounds["whole run, h"]]}
    values = {k: (a.values if k.startswith(f"x_t (C={X_C:g}") else [DEFAULT_DISTANCE]) for k in moves}
    res["stripe_flips"] = []
    for k, bs in moves.items():
        res["stripe_flips"] += flips(ctx, {k: bs}, src, lambda m: m["stripes"] > 0, values[k])
    return pool, mp


def part_e(ctx, a, res):
    """Stripes orientation on x_t: the attribute a one-step x_t move can flip (docs/h_reliance.md)."""
    ctx.next_seed = ORIENT_SEED0
    t0 = time.perf_counter()
    is_h = lambda m: m["stripes"] == 1  # class A = horizontal stripes, B = vertical
    def labelled(n):
        seeds = ctx.seeds(n)
        m = ctx.sample(ctx.model, "circle", seeds)
        ok = m["single"]
        return ([s for s, st, o in zip(seeds, m["stripes"], ok) if o and st == 1],
                [s for s, st, o in zip(seeds, m["stripes"], ok) if o and st == 2])
    hor, ver = labelled(a.n_orient_pool)
    b, text, series, _ = ctx.search("circle", "circle", hor, ver, "x_t", ORIENT_SEARCH, a.orient_c)
    t = float(b.timesteps[0])
    print("orientation:", text.replace("\n", " | "), flush=True)
    held = ctx.seeds(a.n_orient_held)
    rec, feats = ctx.sample_features(ctx.model, "circle", held, t, "x_t")
    lab = rec["single"] & np.isin(rec["stripes"], (1, 2))
    acc = held_out_accuracy(b, feats[lab], is_h(rec)[lab])
    hh = [s for s, st, o in zip(held, rec["stripes"], rec["single"]) if o and st == 1][:a.n_orient_flip]
    hv = [s for s, st, o in zip(held, rec["stripes"], rec["single"]) if o and st == 2][:a.n_orient_flip]
    flips_ = flips(ctx, {"x_t": [b]}, [("circle", hh, "a"), ("circle", hv, "b")], is_h, a.orient_values)
    p = b.meta["params"]
    res["orientation"] = {"t": t, "percent": p["step_index"] / max(p["n_recorded"] - 1, 1), "report": text,
                          "curve": p["curve"], "node_held_out": p["test_accuracy"], "held_out": acc,
                          "n_train": len(hor) + len(ver), "n_a": len(hor), "n_b": len(ver), "n_test": int(lab.sum()),
                          "pool": a.n_orient_pool, "held": a.n_orient_held, "flips": flips_, "C": a.orient_c,
                          "seconds": time.perf_counter() - t0}
    print(f"orientation: fresh held-out {acc:.1%} of {int(lab.sum())}", flush=True)


def changes(base: dict, meas: dict) -> dict:
    ok = base["single"] & meas["single"]
    out = {k: float(np.mean(meas[k][ok] - base[k][ok])) for k in ("r", "cx", "cy")}
    out["hue"] = float(np.mean(M.hue_error(meas["hue"][ok], base["hue"][ok]) *
                               np.sign(((meas["hue"][ok] - base["hue"][ok] + 0.5) % 1.0) - 0.5)))
    return out


def split(pool, mp, key, frac):
    ok = np.nonzero(mp["single"])[0]
    order = ok[np.argsort(mp[key][ok])]
    q = max(2, int(len(order) * frac))
    return [pool[i] for i in order[-q:]], [pool[i] for i in order[:q]]


def part_c(ctx, a, pool, mp, res):
    big, small = split(pool, mp, "r", 1 / 3)
    size = ctx.direction("circle", "circle", big, small, "bigger")
    seeds = ctx.seeds(a.n_test)
    base = ctx.sample(ctx.model, "circle", seeds)
    before = changes(base, ctx.sample(ctx.edited(size, a.strength), "circle", seeds))
    off = max(("hue", "cx", "cy"), key=lambda k: abs(before[k]) / RANGES[k])
    hi, lo = split(pool, mp, off, 1 / 3)
    other = ctx.direction("circle", "circle", hi, lo, f"{off} up")
    clean = disentangle(size, other)
    after = changes(base, ctx.sample(ctx.edited(clean, a.strength), "circle", seeds))
    lost = lambda k: 1.0 - after[k] / before[k] if before[k] else float("nan")
    res["projection"] = {"off_target": off, "strength": a.strength, "n": len(seeds), "before": before, "after": after,
                         "off_target_lost": lost(off), "on_target_lost": lost("r"),
                         "n_big": len(big), "n_small": len(small)}
    print("projection:", res["projection"], flush=True)


def part_d(ctx, a, res):
    s = ctx.seeds(a.n_train)
    d = ctx.direction("square", "circle", s, s, "square - circle")
    seeds = ctx.seeds(a.n_test)
    rows = []
    for st in a.pair_strengths:
        m = ctx.sample(ctx.edited(d, st), "null", seeds)
        shares = {c: float((m["cls"] == i).mean()) for i, c in enumerate(R.CLASSES)}
        rows.append({"strength": st, **shares, "no_single_object": float((~m["single"]).mean())})
        print("pair", rows[-1], flush=True)
    res["prompt_pair"] = {"n": len(seeds), "n_train": len(s), "rows": rows}


def write(a, res, out_md, out_json):
    pct = lambda x: "-" if x is None else f"{x:.0%}"
    L = ["# Supervised directions and boundaries on the demo model", "",
         f"Measured by `PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_supervised{' --quick' if a.quick else ''}` "
         f"on `{a.weights}` ({a.steps} euler steps, CFG {a.cfg}, held-out seeds from {SEED0}, factors read by "
         f"`core/demo/measure.py`; {res['seconds']:.0f} s"
         f"{' for parts a-d, part e measured alone' if res.get('orientation', {}).get('alone') else ''}).", "",
         "## a. SVM boundary at the mixing step (Mixing-Step Search, separability proxy)", "",
         f"Candidates: SPEC's range t = 0.8T-0.3T (the node's default search {SEARCH[0]:g}-{SEARCH[1]:g} of the run) "
         "or the whole run.", "",
         "| attribute | features | candidates, SVM C | chosen t | train examples | node held-out (every 4th) | fresh held-out "
         "seeds | target |", "|---|---|---|---|---|---|---|---|"]
    rows = [("class: circle vs square prompts", res["class"])]
    rows += [(f"stripes: measured, circle prompt", r) for r in res["stripes"].values()]
    for what, r in rows:
        rng = ("whole run" if tuple(r["search"]) == (0.0, 1.0) else
               f"fixed mixing_percent {r['search'][0]:g}" if r["search"][0] == r["search"][1] else "0.8T-0.3T")
        rng += f", C = {r.get('C', 1.0):g}"
        pc1 = lambda x: "-" if x is None else f"{x:.1%}"
        L.append(f"| {what} | {r['space']} | {rng} | {r['t']:.0f} | {r['n_train']} | {pc1(r['node_held_out'])} | "
                 f"{pc1(r['held_out'])} ({r['n_test']}) | >= 95 % |")
    L += ["", "## b. Boundary Edit: share of samples whose measured attribute flips", "",
          "Single-step move at the boundary's mixing step (the paper), each sample sent to the other class's side: "
          "target *class A/B side*, d = midpoint of the class means + value x their separation (0.5 = that class's "
          f"mean). The node's default value is {DEFAULT_DISTANCE:g}. Flipped = the measured attribute is the other "
          "class's and the image still holds one object.", "",
          "| attribute | moved | t | sampled with | from -> to | n | value | flipped | one object |",
          "|---|---|---|---|---|---|---|---|---|"]
    names = {"class_flips": ("class", {"a": "circle", "b": "square"}),
             "stripe_flips": ("stripes", {"a": "striped", "b": "plain"})}
    for key, (attr, nm) in names.items():
        for r in res[key]:
            to = "b" if r["from"] == "a" else "a"
            v = f"**{r['value']:g}** (default)" if r["value"] == DEFAULT_DISTANCE else f"{r['value']:g}"
            L.append(f"| {attr} | {r['moved']} | {r['t']:.0f} | {r['prompt']} prompt | {nm[r['from']]} -> {nm[to]} | "
                     f"{r['n']} | {v} | {pct(r['flipped'])} | {pct(r['one_object'])} |")
    p = res["projection"]
    off = p["off_target"]
    L += ["", "## c. Disentangling by projection (Haas eq. 12; our analogue of their Table I)", "",
          f"'bigger' = Seed-List Direction from the {p['n_big']} largest vs {p['n_small']} smallest measured r of "
          f"{len(res['pool']['seeds'])} circle samples; the off-target factor it moves most is **{off}**, whose own "
          f"direction comes from the same samples split by {off}. Both edits at strength {p['strength']:g} over the "
          f"whole trajectory on {p['n']} held-out seeds; mean change from the unedited sample (hue: circular).", "",
          "| edit | change in r (on-target) | change in " + off + " (off-target) |", "|---|---|---|",
          f"| bigger | {p['before']['r']:+.2f} | {p['before'][off]:+.3f} |",
          f"| bigger, {off} projected out | {p['after']['r']:+.2f} | {p['after'][off]:+.3f} |",
          f"| **lost** | **{pct(p['on_target_lost'])}** (target < 20 %) | **{pct(p['off_target_lost'])}** "
          "(target >= 50 %) |", "",
          "## d. Prompt-pair direction (square - circle) applied with the null prompt", "",
          f"Mean difference over the same {res['prompt_pair']['n_train']} seeds, applied over the whole trajectory to "
          f"null-prompt samples of {res['prompt_pair']['n']} held-out seeds; measured class shares.", "",
          "| strength | circle | square | triangle | no single object |", "|---|---|---|---|---|"]
    for r in res["prompt_pair"]["rows"]:
        L.append(f"| {r['strength']:+g} | {pct(r['circle'])} | {pct(r['square'])} | {pct(r['triangle'])} | "
                 f"{pct(r['no_single_object'])} |")
    if "orientation" in res:
        L += orientation_section(res["orientation"], pct)
    with open(out_md, "w") as f:
        f.write("\n".join(L) + "\n")
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1)
    print("\n".join(L))


def orientation_section(o: dict, pct) -> list[str]:
    best = max(a for _, a, _ in o["curve"])
    vals = sorted({r["value"] for r in o["flips"]})
    L = ["", "## e. Stripes orientation on x_t: boundary chosen by Mixing-Step Search, one-step Boundary Edit", "",
         f"Class A = horizontal, B = vertical stripes, as measured on circle-prompt samples ({o['n_a']} + {o['n_b']} "
         f"of {o['pool']} pool seeds from {ORIENT_SEED0}). Mixing-Step Search (separability, space x_t, search_start 0, "
         f"search_end {ORIENT_SEARCH[1]:g}: the whole run but its last step, t = 0, where a move is a pixel edit of the finished image; C = {o.get('C', 1.0):g}, every 4th example held out) chose **t = {o['t']:.0f}** (percent {o['percent']:.2f}); "
         f"its held-out accuracy there: {o['node_held_out']:.1%} (best over the run {best:.1%}). Fresh held-out: "
         f"**{o['held_out']:.1%}** of the {o['n_test']} labelled samples among the next {o['held']} seeds "
         f"(target >= 95 %). Part e alone: `--part orientation"
         + (f" --orient-pool {o['pool']}" if o["pool"] != 1536 else "")
         + (f" --orient-c {o.get('C', 1.0):g}" if o.get("C", 1.0) != ORIENT_C else "")
         + ("" if vals == [2.0, 4.0, DEFAULT_DISTANCE] else " --orient-values " + " ".join(f"{v:g}" for v in vals))
         + f"`, {o['seconds']:.0f} s.", "",
         "Separability per candidate step (held-out / train accuracy):", "",
         "| t | " + " | ".join(f"{c[0]:.0f}" for c in o["curve"]) + " |",
         "|---|" + "---|" * len(o["curve"]),
         "| held-out | " + " | ".join(f"{c[1]:.0%}" for c in o["curve"]) + " |",
         "| train | " + " | ".join(f"{c[2]:.0%}" for c in o["curve"]) + " |", "",
         "Boundary Edit (single step at the chosen t, x_t moved, both branches) on the held-out samples of each "
         "orientation, each sent to the other class's side. Flipped = measured stripes are the other orientation and "
         "the image still holds one object.", "",
         "| from -> to | n | value | flipped | one object |", "|---|---|---|---|---|"]
    nm = {"a": "horizontal", "b": "vertical"}
    for r in o["flips"]:
        v = f"**{r['value']:g}** (default)" if r["value"] == DEFAULT_DISTANCE else f"{r['value']:g}"
        L.append(f"| {nm[r['from']]} -> {nm['b' if r['from'] == 'a' else 'a']} | {r['n']} | {v} | {pct(r['flipped'])} | "
                 f"{pct(r['one_object'])} |")
    d = [r for r in o["flips"] if r["value"] == DEFAULT_DISTANCE]
    if d:
        n = sum(r["n"] for r in d)
        k = sum(round(r["flipped"] * r["n"]) for r in d)
        L += ["", f"At the default distance: **{k} of {n} ({k / n:.0%})** flipped (target >= 90 %)."]
    L += ["", "The same measurement with C = 1 (the paper's code) and with other pool sizes, and a probe of four "
              "normals, is in [h_reliance.md](h_reliance.md): with C = 1 the 3072-seed pool missed both targets, "
              "with C = 0.01 both pool sizes meet them."]
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cfg", type=float, default=2.5)
    ap.add_argument("--out", default="docs/supervised_effects.md")
    ap.add_argument("--json", default="docs/supervised_effects.json")
    ap.add_argument("--render", action="store_true", help="only re-write the markdown from the JSON of a run")
    ap.add_argument("--part", choices=["all", "orientation"], default="all",
                    help="orientation: measure part e alone and keep the other parts of the JSON")
    ap.add_argument("--orient-pool", type=int, default=None, help="part e's pool of seeds to label (default 1536)")
    ap.add_argument("--orient-c", type=float, default=ORIENT_C, help=f"part e's SVM C (default {ORIENT_C:g})")
    ap.add_argument("--orient-values", type=float, nargs="*", default=None,
                    help="part e's Boundary Edit distances in class separations (default 2 4 8)")
    a = ap.parse_args()
    if a.render:
        res = json.load(open(a.json))
        a.quick, a.weights, a.steps, a.cfg = res["quick"], res["weights"], res["steps"], res["cfg"]
        write(a, res, a.out, a.json)
        return
    q = a.quick
    a.steps = 10 if q else 20
    a.n_train, a.n_test, a.n_null, a.n_pool, a.n_flip = (12, 12, 16, 48, 8) if q else (32, 48, 64, 384, 24)
    a.values = [4.0, DEFAULT_DISTANCE] if q else [4.0, 6.0, DEFAULT_DISTANCE, 10.0]
    a.strength = 2.0
    a.pair_strengths = [-1.0, 0.0, 1.0, 2.0] if q else [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    a.n_orient_pool, a.n_orient_held, a.n_orient_flip = (96, 48, 8) if q else (1536, 224, 40)
    a.n_orient_pool = a.orient_pool or a.n_orient_pool
    a.orient_values = a.orient_values or ([DEFAULT_DISTANCE] if q else [2.0, 4.0, DEFAULT_DISTANCE])
    torch.manual_seed(0)
    t0 = time.perf_counter()
    ctx = Ctx(a)
    if a.part == "orientation":
        res = json.load(open(a.json))
        if (res["weights"], res["quick"], res["steps"], res["cfg"]) != (a.weights, q, a.steps, a.cfg):
            raise SystemExit(f"{a.json} was measured with other settings; run all parts")
        part_e(ctx, a, res)
        res["orientation"]["alone"] = True
        write(a, res, a.out, a.json)
        return
    res = {"weights": a.weights, "quick": q, "steps": a.steps, "cfg": a.cfg}
    pool, mp = part_a_b(ctx, a, res)
    part_c(ctx, a, pool, mp, res)
    part_d(ctx, a, res)
    part_e(ctx, a, res)
    res["seconds"] = time.perf_counter() - t0
    write(a, res, a.out, a.json)


if __name__ == "__main__":
    main()
