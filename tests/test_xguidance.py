"""Park's (s, N) x-space guidance: the core rule, inside the split sampler and on a LATENT, against closed forms."""
import logging

import pytest
import torch

from conftest import sample, sd15_conds
from latent_directions.core.xguidance import x_guidance


def test_linear_eps_gives_n_times_s_times_jw():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, 6, generator=g, dtype=torch.float64)
    x, w = torch.randn(2, 6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    eps = lambda z: z @ a.T
    assert x_guidance(eps, x, w, 0.0, 16) is x
    out = x_guidance(eps, x, w, 0.3, 5)
    assert torch.allclose(out, x + 5 * 0.3 * (a @ w)), "eps linear: each step adds s * A w"
    calls = []
    x_guidance(lambda z: calls.append(z.shape[0]) or eps(z), x, w, 0.1, 3)
    assert calls == [4, 4, 4]  # the pair is batched in one call


def _direction(model, at_sigma, seed=1):
    from latent_directions.core.backends import comfy_unet as CU
    from latent_directions.core.direction import Direction
    v = torch.randn(1, 1, 4, 8, 8, generator=torch.Generator().manual_seed(seed))
    return Direction(v / v.norm(), torch.tensor([500.0]), torch.ones(1, 1),
                     {"method": "jacobian_pullback", "space": "x", "model": CU.signature(model),
                      "params": {"at_sigma": at_sigma}})


def _eps(model, pos, neg, cfg):
    """The CFG noise prediction at x_t through ComfyUI's own apply_model (independent of the pack's code)."""
    def eps(xt, sigma):
        c = (1 + sigma ** 2) ** 0.5
        s = torch.full((xt.shape[0],), sigma)
        e = [(xt * c - model.model.apply_model(xt * c, s, c_crossattn=k[0][0])) / sigma for k in (pos, neg)]
        return e[1] + cfg * (e[0] - e[1])
    return eps


def _first_half(comfy, model, pos, neg):
    import comfy.sample
    latent = torch.zeros(1, 4, 8, 8)
    noise = comfy.sample.prepare_noise(latent, 0)
    first = comfy.sample.sample(model, noise, 6, 2.0, "euler", "normal", pos, neg, latent, last_step=3,
                                force_full_denoise=False, seed=0, disable_pbar=True)
    return latent, noise, first


def test_guidance_closed_form_and_first_order(comfy, tiny_sd15):
    import comfy.samplers
    from latent_directions.core.backends import comfy_unet as CU
    from latent_directions.nodes import edit as E
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    sig = comfy.samplers.calculate_sigmas(CU.model_sampling(tiny_sd15), "normal", 6)
    sigma = float(sig[3])
    d = _direction(tiny_sd15, sigma)
    plain = sample(comfy, tiny_sd15, pos, neg, size=8, steps=6, seed=4)
    zero = E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both", x_mode="guidance", guidance_scale=0.0,
                                     guidance_steps=16).args[0]
    assert torch.equal(sample(comfy, zero, pos, neg, size=8, steps=6, seed=4), plain)  # s = 0: the unedited run
    _, _, first = _first_half(comfy, tiny_sd15, pos, neg)
    inner, c = tiny_sd15.model, (1 + sigma ** 2) ** 0.5
    x_t = inner.process_latent_in(first) / c
    edit = lambda strength, s, n: inner.process_latent_in(JN.XEditLatent.execute(
        tiny_sd15, {"samples": first}, d, strength, 6, "normal", 3, "guidance", s, n, pos, neg, 2.0
    ).args[0]["samples"]) / c
    w = 1.5 * d.vectors[0, 0].unsqueeze(0)
    eps = _eps(tiny_sd15, pos, neg, 2.0)
    with torch.no_grad():
        expect = x_t + 0.7 * (eps(x_t + w, sigma) - eps(x_t, sigma))
    # N = 1: x_t' = x_t + s (eps(x_t + w) - eps(x_t)), the documented closed form
    assert torch.allclose(edit(1.5, 0.7, 1), expect, atol=1e-5)
    # small s, N steps: the move is N s J_eps w to first order (J_eps w by central differences), along +w and -w
    with torch.no_grad():
        jw = (eps(x_t + 0.05 * w, sigma) - eps(x_t - 0.05 * w, sigma)) / 0.1
    for sign in (1.0, -1.0):
        moved = (edit(1.5 * sign, 0.01, 8) - x_t).detach()
        pred = sign * 8 * 0.01 * jw
        cos = float((moved.flatten() @ pred.flatten()) / (moved.norm() * pred.norm()))
        assert cos > 0.99 and abs(float(moved.norm() / pred.norm()) - 1) < 0.05, (cos, moved.norm(), pred.norm())


def test_guidance_on_a_latent_matches_the_split(comfy, tiny_sd15):
    import comfy.sample
    import comfy.samplers
    from latent_directions.core.backends import comfy_unet as CU
    from latent_directions.core.errors import LatentDirectionsError
    from latent_directions.nodes import edit as E
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    sig = comfy.samplers.calculate_sigmas(CU.model_sampling(tiny_sd15), "normal", 6)
    d = _direction(tiny_sd15, float(sig[3]), seed=2)
    latent, noise, first = _first_half(comfy, tiny_sd15, pos, neg)
    edited = JN.XEditLatent.execute(tiny_sd15, {"samples": first}, d, 2.0, 6, "normal", 3, "guidance", 0.5, 4,
                                    pos, neg, 2.0).args[0]["samples"]
    second = comfy.sample.sample(tiny_sd15, torch.zeros_like(noise), 6, 2.0, "euler", "normal", pos, neg, edited,
                                 start_step=3, disable_noise=True, seed=0, disable_pbar=True)
    wrapped = E.ApplyLatentEdit.execute(tiny_sd15, d, 2.0, 0.0, 1.0, "both", x_mode="guidance", guidance_scale=0.5,
                                        guidance_steps=4).args[0]
    one_pass = comfy.sample.sample(wrapped, noise, 6, 2.0, "euler", "normal", pos, neg, latent, seed=0,
                                   disable_pbar=True)
    assert torch.allclose(second, one_pass, atol=1e-4) and not torch.allclose(edited, first, atol=1e-3)
    with pytest.raises(LatentDirectionsError, match=r"^x-space Edit Latent: x_mode guidance .* Connect positive"):
        JN.XEditLatent.execute(tiny_sd15, {"samples": first}, d, 2.0, 6, "normal", 3, "guidance", 0.5, 4)
    with pytest.raises(LatentDirectionsError, match="the direction has shape"):
        JN.XEditLatent.execute(tiny_sd15, {"samples": torch.zeros(1, 4, 4, 4)}, d, 2.0, 6, "normal", 3)


def test_apply_says_which_samplers_split_unfaithfully(comfy, tiny_sd15, caplog):
    from latent_directions.nodes import edit as E
    schema = E.ApplyLatentEdit.define_schema()
    assert "multistep" in schema.description and "ancestral" in schema.description
    assert any("ancestral" in (getattr(i, "tooltip", "") or "") for i in schema.inputs)
    pos, neg = sd15_conds()
    d = _direction(tiny_sd15, 5.0)
    m = E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both").args[0]
    with caplog.at_level(logging.WARNING):
        sample(comfy, m, pos, neg, size=8, steps=6, sampler="euler")
        assert not any("split at the edit step" in r.message for r in caplog.records)
        sample(comfy, m, pos, neg, size=8, steps=6, sampler="dpmpp_2m")
    assert any("dpmpp_2m is split at the edit step" in r.message and "ancestral" in r.message for r in caplog.records)
