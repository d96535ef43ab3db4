"""SVM Boundary and Boundary Edit on the real ComfyUI (tiny SD1.5-shaped model)."""
import pytest
import torch

from conftest import sample, sd15_conds
from latent_directions.core import tap as T
from latent_directions.core.backends import comfy_unet as CU
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import boundary as B

LATENT = {"samples": torch.zeros(1, 4, 16, 16)}


@pytest.fixture(scope="module")
def svm(tiny_sd15):
    a, neg = sd15_conds(seed=0)
    b, _ = sd15_conds(seed=5)
    return B.SVMBoundary.execute(tiny_sd15, a, b, neg, LATENT, "0-9", "0-9", 0.5, 4, 2.0, "euler", "normal",
                                 "cond", 1.0, 5).args, (a, b, neg)


def test_boundary_separates_two_prompts(svm):
    (d, report), _ = svm
    assert d.meta["method"] == "svm_boundary" and d.k == 1 and len(d.timesteps) == 1
    assert abs(float(d.vectors.norm()) - 1.0) < 1e-5
    assert d.meta["params"]["train_accuracy"] == 1.0 and "held-out" in report


def test_edit_moves_h_to_the_distance_once(comfy, tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    before, after = [], []
    m0 = tiny_sd15.clone()
    m0.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: before.append((i, h))), None))
    m = B.BoundaryEdit.execute(m0, d, 7.5, "both", target=B.TARGETS[2]).args[0]
    m.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: after.append((i, h))), None))
    n = d.vectors[0, 0].reshape(-1)
    for run in range(2):  # the single-step state resets between runs
        before.clear(), after.clear()
        sample(comfy, m, a, neg, steps=6)
        changed = [k for k, ((i, hb), (_, ha)) in enumerate(zip(before, after)) if not torch.equal(hb, ha)]
        assert len({before[k][0].sigma for k in changed}) == 1  # one step only (both CFG chunks)
        for k in changed:
            assert torch.allclose(after[k][1].reshape(after[k][1].shape[0], -1) @ n, torch.full((after[k][1].shape[0],), 7.5), atol=1e-3)


def test_refusals(tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    with pytest.raises(LatentDirectionsError, match=r"^SVM Boundary: each class needs at least 2"):
        B.SVMBoundary.execute(tiny_sd15, a, b, neg, LATENT, "1", "2-5", 0.5, 3, 2.0, "euler", "normal", "cond", 1.0, 5)
    with pytest.raises(LatentDirectionsError, match=r"^SVM Boundary: '1-x' in seeds_a is not a seed range"):
        B.parse_seeds("SVM Boundary", "seeds_a", "1-x")
    assert B.parse_seeds("x", "s", "0-3, 7") == [0, 1, 2, 3, 7]


def test_mixing_step_search(tiny_sd15, svm):
    _, (a, b, neg) = svm
    d, percent, plot, report = B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 4, 2.0, "euler",
                                                          "normal", "cond", 1.0, 4, search_start=0.0,
                                                          search_end=1.0).args
    curve = d.meta["params"]["curve"]
    assert len(curve) == 4 and 0.0 <= percent <= 1.0 and plot.shape[0] == 1
    best = max(c[1] for c in curve)
    assert d.meta["params"]["test_accuracy"] == best and "separability" in report
    # SPEC's candidates 0.3T-0.8T (the defaults), on x_t: only the steps inside, an x_t boundary
    dx = B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 8, 2.0, "euler", "normal", "cond",
                                    1.0, 4, space="x_t").args[0]
    ts = [c[0] for c in dx.meta["params"]["curve"]]
    assert dx.meta["space"] == "x" and dx.shape == (4, 16, 16) and 1 <= len(ts) < 8
    assert all(250 <= t <= 850 for t in ts), ts
    with pytest.raises(LatentDirectionsError, match=r"^Mixing-Step Search: no recorded step lies between"):
        B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 2, 2.0, "euler", "normal", "cond",
                                   1.0, 4, search_start=0.3, search_end=0.4)


def test_class_side_targets_are_relative_to_the_class_means(comfy, tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    p = d.meta["params"]
    ma, mb = p["mean_distance_a"], p["mean_distance_b"]
    assert B.resolve_distance(d, B.TARGETS[0], 0.5, B.EDIT) == pytest.approx(ma)
    assert B.resolve_distance(d, B.TARGETS[1], 0.5, B.EDIT) == pytest.approx(mb)
    assert B.resolve_distance(d, B.TARGETS[0], 2.0, B.EDIT) == pytest.approx((ma + mb) / 2 + 2 * (ma - mb))
    assert B.resolve_distance(d, B.TARGETS[2], -3.0, B.EDIT) == -3.0
    seen = []
    m0 = tiny_sd15.clone()
    m0.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: seen.append(h)), None))
    m = B.BoundaryEdit.execute(tiny_sd15, d, 1.5, "both", target=B.TARGETS[1]).args[0]
    m.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: seen.append(h)), None))
    sample(comfy, m, a, neg, steps=4)
    n = d.vectors[0, 0].reshape(-1)
    target = (ma + mb) / 2 + 1.5 * (mb - ma)
    assert any(torch.allclose(h.reshape(h.shape[0], -1) @ n, torch.full((h.shape[0],), target), atol=1e-3)
               for h in seen)
    old = d.__class__(d.vectors, d.timesteps, d.scales, {**d.meta, "params": {}}, d.extra)
    with pytest.raises(LatentDirectionsError, match=r"^Boundary Edit: this boundary file does not record"):
        B.BoundaryEdit.execute(tiny_sd15, old, 1.0, "both")


def _record(tiny_sd15, edit):
    """(model with readers around the edit, before [(info, chunk, h)], after [...])."""
    before, after = [], []
    ls = CU.model_sampling(tiny_sd15).log_sigmas.cpu()
    m0 = tiny_sd15.clone()
    m0.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: before.append((i, c, h))), ls))
    m = edit(m0)
    m.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: after.append((i, c, h))), ls))
    return m, before, after


def test_lagged_mode_replaces_later_h_by_the_previous_steps_h(comfy, tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    m, before, after = _record(tiny_sd15, lambda m0: B.BoundaryEdit.execute(m0, d, 7.5, "both", B.MODES[1], B.TARGETS[2]).args[0])
    sample(comfy, m, a, neg, steps=6)
    n = d.vectors[0, 0].reshape(-1)
    changed = [k for k in range(len(before)) if not torch.equal(before[k][2], after[k][2])]
    first = changed[0]
    assert all(torch.equal(before[k][2], after[k][2]) for k in range(first))  # untouched before the mixing step
    mix_sigma = before[first][0].sigma
    for k in range(first, len(before)):
        info, c, h = after[k]
        if info.sigma == mix_sigma:
            assert torch.allclose(h.reshape(h.shape[0], -1) @ n, torch.full((h.shape[0],), 7.5), atol=1e-3)
        else:  # the un-edited h of the previous call of the same branch
            prev = max(j for j in range(k) if before[j][1] == c and before[j][0].sigma > info.sigma)
            assert torch.equal(h, before[prev][2])
    assert len({before[k][0].sigma for k in changed}) > 1


def test_every_step_mode_holds_h_at_the_distance_from_the_mixing_step_on(comfy, tiny_sd15, svm):
    (d, _), (a, b, neg) = svm
    m, before, after = _record(tiny_sd15, lambda m0: B.BoundaryEdit.execute(m0, d, -4.0, "both", B.MODES[2], B.TARGETS[2]).args[0])
    sample(comfy, m, a, neg, steps=6)
    n = d.vectors[0, 0].reshape(-1)
    changed = [k for k in range(len(before)) if not torch.equal(before[k][2], after[k][2])]
    first = changed[0]
    assert changed == list(range(first, len(before))) and 0 < first  # every call from the mixing step on
    assert len({before[k][0].sigma for k in changed}) > 1
    for k in changed:
        h = after[k][2]
        assert torch.allclose(h.reshape(h.shape[0], -1) @ n, torch.full((h.shape[0],), -4.0), atol=1e-3)


def test_edit_reports_each_samples_signed_distance(comfy, tiny_sd15, svm):
    from latent_directions.core.backends.comfy_boundary import with_boundary_edit
    (d, _), (a, b, neg) = svm
    seen = []
    m, before, _ = _record(tiny_sd15, lambda m0: with_boundary_edit(m0, d, 3.0, "cond", B.MODES[0], "x",
                                                                   lambda t, c, v: seen.append((t, c, v))))
    sample(comfy, m, a, neg, batch=2, steps=6)
    (t, c, v), = seen
    h = next(h for i, cc, h in before if cc == c and abs(i.t - t) < 1e-6)
    assert c == 0 and torch.allclose(torch.tensor(v), h.reshape(2, -1) @ d.vectors[0, 0].reshape(-1), atol=1e-4)
    show = B.distance_display(None, "h", 3.0)
    show(t, c, v)
    assert show.shown["cond"].startswith("cond: ") and len(show.shown["cond"].split(",")) == 2


@pytest.fixture(scope="module")
def x_svm(tiny_sd15, svm):
    _, (a, b, neg) = svm
    return B.SVMBoundary.execute(tiny_sd15, a, b, neg, LATENT, "0-9", "20-29", 0.5, 4, 2.0, "euler", "normal",
                                 "cond", 1.0, 5, "x_t").args[0]


def test_x_t_boundary_is_the_svm_on_recorded_x_t(comfy, tiny_sd15, svm, x_svm):
    from latent_directions.core import boundary as CB
    from latent_directions.core.backends import comfy_supervised as CS
    _, (a, b, neg) = svm
    d = x_svm
    assert d.meta["space"] == "x" and d.shape == (4, 16, 16) and abs(float(d.vectors.norm()) - 1) < 1e-5
    ta = CS.record_trajectories(tiny_sd15, a, neg, LATENT["samples"], list(range(10)), 4, 2.0, "euler", "normal",
                                "cond", "t", with_x=True)
    noise = torch.cat([comfy.sample.prepare_noise(LATENT["samples"], s) for s in range(10)])
    assert torch.allclose(ta.x[:, 0], noise, atol=1e-5)  # x_t at sigma_max is the seed's unit noise
    tb = CS.record_trajectories(tiny_sd15, b, neg, LATENT["samples"], list(range(20, 30)), 4, 2.0, "euler", "normal",
                                "cond", "t", with_x=True)
    j = ta.ts.index(float(d.timesteps[0]))
    x = torch.cat([ta.x[:, j], tb.x[:, j]])
    y = [1] * 10 + [0] * 10
    keep = [i for i in range(20) if i % 5]
    ref = CB.fit_linear_svm(x[keep], [y[i] for i in keep], via="direct")
    assert float(ref.normal.reshape(-1) @ d.vectors[0, 0].reshape(-1)) > 0.999


def test_x_t_boundary_edit_moves_x_t_at_the_mixing_step(comfy, tiny_sd15, svm, x_svm):
    from latent_directions.core.backends import comfy_sampling as CSa
    _, (a, b, neg) = svm
    n = x_svm.vectors[0, 0].reshape(-1)
    runs = []
    for m in (tiny_sd15, B.BoundaryEdit.execute(tiny_sd15, x_svm, -4.0, "both", target=B.TARGETS[2]).args[0]):
        r, _, rec_x = CSa.recording_model(m, "cond", "t", record_x=True)
        sample(comfy, r, a, neg, batch=2, steps=6)
        runs.append(rec_x)
    ts = sorted(runs[0], reverse=True)
    moved = [t for t in ts if not torch.equal(runs[0][t], runs[1][t])]
    k = ts.index(moved[0])
    assert 0 < k and moved == ts[k:]  # earlier steps unchanged
    assert torch.allclose(runs[1][moved[0]].reshape(2, -1) @ n, torch.full((2,), -4.0), atol=1e-3)
    assert abs(moved[0] - float(x_svm.timesteps[0])) < 1e-3 or moved[0] < float(x_svm.timesteps[0])
    for mode in B.MODES[1:]:
        with pytest.raises(LatentDirectionsError, match=r"^Boundary Edit: the mode '\w[\w ]+' exists only for h"):
            B.BoundaryEdit.execute(tiny_sd15, x_svm, 1.0, "both", mode)


def test_radius_matching_proxy(comfy, tiny_sd15, svm):
    from latent_directions.core import boundary as CB
    from latent_directions.core.backends import comfy_supervised as CS
    from latent_directions.nodes import inversion as N
    _, (a, b, neg) = svm
    real = torch.randn(6, 4, 16, 16, generator=torch.Generator().manual_seed(3))
    _, traj, _ = N.DDIMInversion.execute(tiny_sd15, a, neg, {"samples": real}, 4, "normal", 1.0).args
    d, percent, plot, report = B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 4, 2.0, "euler",
                                                          "normal", "cond", 1.0, 4, "radius matching", 0.05,
                                                          traj, search_start=0.0, search_end=1.0).args
    assert "radius matching" in report and plot.shape[0] == 1 and 0.0 <= percent <= 1.0
    # direct: the sampled radius of both classes against the inverted radius, on the shared timesteps
    tr = [CS.record_trajectories(tiny_sd15, c, neg, LATENT["samples"], list(range(8)), 4, 2.0, "euler", "normal",
                                 "cond", "t", with_x=True) for c in (a, b)]
    r_s = torch.cat([t.x for t in tr]).flatten(2).norm(dim=2).mean(0)
    rts, r_i = traj.radius()
    assert abs(float(r_s[0]) - 32.0) < 3.0  # |x_T| ~ sqrt(4 * 16 * 16)
    pairs = [(tr[0].ts[j], float(r_s[j]), float(r_i[i])) for j in range(len(tr[0].ts)) for i in range(len(rts))
             if abs(tr[0].ts[j] - rts[i]) < 0.01 * max(1, rts[i])]
    k, ok = CB.radius_match([p[1] for p in pairs], [p[2] for p in pairs], 0.05)
    assert float(d.timesteps[0]) == pytest.approx(pairs[k][0], abs=1e-3) and len(pairs) == 4
    assert d.meta["params"]["within_delta"] == ok
    with pytest.raises(LatentDirectionsError, match=r"^Mixing-Step Search: the radius-matching proxy needs"):
        B.MixingStepSearch.execute(tiny_sd15, a, b, neg, LATENT, "0-7", "0-7", 4, 2.0, "euler", "normal", "cond",
                                   1.0, 4, "radius matching", 0.05, None)
