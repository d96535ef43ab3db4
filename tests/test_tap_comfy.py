"""h-space tap on ComfyUI's real UNetModel (SD1.5- and SDXL-shaped tiny models, real ModelPatcher, real samplers)."""
import pytest
import torch

from conftest import sample, sd15_conds, sdxl_conds
from latent_directions.core import tap as T
from latent_directions.core.backends import comfy_unet as CU
from latent_directions.core.errors import LatentDirectionsError


def _records():
    rec = []
    return rec, T.reader(lambda h, info, c: rec.append((info, c, h)))


def test_read_is_mid_block_output_plus_middle_control(comfy, tiny_sd15):
    rec, tap = _records()
    m = CU.with_tap(tiny_sd15, tap, "test")
    dm = m.model.diffusion_model
    seen = []
    hook = dm.middle_block[-1].register_forward_hook(lambda mod, i, o: seen.append(o.detach().clone()))
    try:
        x, t, ctx = torch.randn(2, 4, 16, 16), torch.tensor([500.0, 500.0]), torch.randn(2, 4, 32)
        res = torch.randn(2, 64, 8, 8)
        topts = dict(m.model_options["transformer_options"])
        topts.update(sigmas=torch.tensor([3.0, 3.0]), cond_or_uncond=[0, 1])
        with torch.no_grad():
            dm(x, t, context=ctx, control={"middle": [res.clone()]}, transformer_options=topts)
    finally:
        hook.remove()
    assert len(rec) == 2 and [c for _, c, _ in rec] == [0, 1]
    h = torch.cat([r[2] for r in rec])
    assert torch.equal(h, seen[0] + res)
    assert rec[0][0].sigma == 3.0 and rec[0][0].t is not None


def test_add_zero_is_bit_identical(comfy, tiny_sd15):
    pos, neg = sd15_conds()
    plain = sample(comfy, tiny_sd15, pos, neg)
    zero = CU.with_tap(tiny_sd15, T.adder(lambda info, h: torch.zeros_like(h)), "test")
    assert torch.equal(sample(comfy, zero, pos, neg), plain)
    assert not tiny_sd15.model_options.get("transformer_options", {}).get("patches"), "input MODEL was patched"


@pytest.mark.parametrize("branch", ["both", "cond", "uncond"])
def test_add_changes_only_window_and_branch(comfy, tiny_sd15, branch):
    pos, neg = sd15_conds()
    ms = CU.model_sampling(tiny_sd15)
    window = CU.window_from_percent(tiny_sd15, 0.3, 0.7)
    before, after = [], []
    delta = torch.full((64, 8, 8), 0.5)
    m = tiny_sd15.clone()
    log_sigmas = ms.log_sigmas
    for t in (T.reader(lambda h, i, c: before.append((i, c, h))),
              T.adder(lambda info, h: delta, window=window, branch=branch),
              T.reader(lambda h, i, c: after.append((i, c, h)))):
        m.set_model_output_block_patch(CU.make_patch(t, log_sigmas))
    sample(comfy, m, pos, neg, steps=10, cfg=3.0)
    assert len(before) == len(after) > 0
    assert any(len(i.chunks) == 2 for i, _, _ in before), "cond and uncond were never batched together"
    inside = 0
    for (i, c, hb), (_, _, ha) in zip(before, after):
        selected = window.contains(i.sigma) and (branch == "both" or (branch == "cond") == (c == 0))
        if selected:
            inside += 1
            assert torch.allclose(ha - hb, delta.expand_as(hb), atol=1e-5)
        else:
            assert torch.equal(ha, hb)
    assert 0 < inside < len(before)


def test_window_leaves_earlier_steps_untouched(comfy, tiny_sd15):
    pos, neg = sd15_conds()
    window = CU.window_from_percent(tiny_sd15, 0.5, 1.0)
    runs = []
    for d in (0.0, 1.0):
        rec, reader = _records()
        m = CU.with_tap(tiny_sd15, T.adder(lambda info, h, d=d: torch.full_like(h, d), window=window), "test")
        m.set_model_output_block_patch(CU.make_patch(reader, CU.model_sampling(m).log_sigmas))
        out = sample(comfy, m, pos, neg, steps=8)
        runs.append((rec, out))
    (r0, o0), (r1, o1) = runs
    first_inside = next(k for k, (i, _, _) in enumerate(r0) if window.contains(i.sigma))
    assert first_inside > 0
    for k in range(first_inside):
        assert torch.equal(r0[k][2], r1[k][2])
    assert not torch.equal(o0, o1)


def test_batch_of_three_and_sdxl(comfy, tiny_sd15, tiny_sdxl):
    for model, (pos, neg) in ((tiny_sd15, sd15_conds()), (tiny_sdxl, sdxl_conds())):
        rec, reader = _records()
        m = CU.with_tap(model, reader, "test")
        out = sample(comfy, m, pos, neg, batch=3, steps=3)
        assert out.shape[0] == 3
        assert all(h.shape[0] == 3 for _, _, h in rec)
        assert {c for _, c, _ in rec} == {0, 1}
        assert rec[0][2].shape[1] == CU.h_shape(model, (16, 16))[0]


def test_replace_sets_h(comfy, tiny_sd15):
    pos, neg = sd15_conds()
    rec, reader = _records()
    m = CU.with_tap(tiny_sd15, T.replacer(lambda h, info: torch.zeros_like(h)), "test")
    m.set_model_output_block_patch(CU.make_patch(reader, None))
    sample(comfy, m, pos, neg, steps=2)
    assert rec and all(torch.count_nonzero(h) == 0 for _, _, h in rec)


def test_exception_inside_sampling_leaves_nothing_behind(comfy, tiny_sd15):
    pos, neg = sd15_conds(seed=3)
    clean = sample(comfy, tiny_sd15, pos, neg, seed=7)

    def boom(info, h):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        sample(comfy, CU.with_tap(tiny_sd15, T.adder(boom), "test"), pos, neg, seed=7)
    assert torch.equal(sample(comfy, tiny_sd15, pos, neg, seed=7), clean)


def test_dit_is_refused_with_family(comfy, tiny_flux):
    with pytest.raises(LatentDirectionsError, match=r"^Apply test: the model is Flux .*no U-Net mid-block.*\. "):
        CU.with_tap(tiny_flux, T.reader(lambda *a: None), "Apply test")


def test_signatures_differ(tiny_sd15, tiny_sdxl):
    a, b = CU.signature(tiny_sd15), CU.signature(tiny_sdxl)
    assert a["family"] == "SD15" and b["family"] == "SDXL" and a != b


def test_continuous_t_matches_comfy_timestep(tiny_sd15):
    ms = CU.model_sampling(tiny_sd15)
    for t in (0, 1, 250, 999):
        sigma = float(ms.sigmas[t])
        assert abs(T.continuous_t(ms.log_sigmas, sigma) - t) < 1e-4
        assert abs(T.continuous_t(ms.log_sigmas, sigma) - float(ms.timestep(torch.tensor(sigma)))) < 1e-4
    mid = float((ms.log_sigmas[100] + ms.log_sigmas[101]).div(2).exp())
    assert abs(T.continuous_t(ms.log_sigmas, mid) - 100.5) < 1e-4


def test_uncond_branch_with_cfg_1_is_refused(comfy, tiny_sd15):
    pos, neg = sd15_conds()
    m = CU.with_tap(tiny_sd15, T.adder(lambda info, h: torch.ones_like(h), branch="uncond"), "Apply test")
    with pytest.raises(LatentDirectionsError, match=r"^Apply test: branch is uncond but CFG is 1"):
        sample(comfy, m, pos, neg, steps=2, cfg=1.0)
    assert sample(comfy, m, pos, neg, steps=2, cfg=2.0).shape == (1, 4, 16, 16)
