"""The denoiser Jacobian on ComfyUI's real UNetModel built under inference mode, against the dense Jacobian."""
import pytest
import torch
from torch.func import jacrev

from conftest import sd15_conds
from latent_directions.core.backends import comfy_jacobian as CJ
from latent_directions.core.backends import comfy_tiny


@pytest.fixture(scope="module")
def inference_model(comfy):
    with torch.inference_mode():
        m = comfy_tiny.tiny_sd15(seed=3)
    assert next(m.model.diffusion_model.parameters()).is_inference()
    return m


def test_capture_and_svd_match_dense_jacobian(inference_model):
    pos, neg = sd15_conds()
    with torch.inference_mode():  # as inside a ComfyUI node
        calls = CJ.capture_calls(inference_model, pos, neg, torch.zeros(1, 4, 8, 8), 7, 4, 2.0, "euler", "normal",
                                 "test")
        assert len(calls) == 4 and calls[0].t > calls[-1].t
        res, nbytes = CJ.denoiser_svd(inference_model, calls[1], k=3, iters=200, tol=1e-5, chunk=3)
    assert nbytes == sum(p.numel() * 4 for p in inference_model.model.diffusion_model.parameters()) + \
        sum(b.numel() * b.element_size() for b in inference_model.model.diffusion_model.buffers())
    dm = inference_model.model.diffusion_model
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        f = CJ.decoder_fn(dm, state, calls[1])
        jac = jacrev(lambda d: f(d.unsqueeze(0))[0])(torch.zeros(64, 4, 4))
    u, s, vt = torch.linalg.svd(jac.reshape(4 * 8 * 8, 64 * 4 * 4).double())
    assert torch.allclose(res.s.double(), s[:3], rtol=1e-3)
    cos = (res.v.reshape(3, -1).double() * vt[:3]).sum(1).abs()
    assert (cos > 0.99).all(), cos
    assert res.iterations < 200


def test_gains_are_jvp_norms(inference_model):
    pos, neg = sd15_conds()
    with torch.inference_mode():
        calls = CJ.capture_calls(inference_model, pos, neg, torch.zeros(1, 4, 8, 8), 1, 3, 2.0, "euler", "normal",
                                 "test")
        v = torch.randn(2, 64, 4, 4)
        g = CJ.gains(inference_model, calls, v)
    assert g.shape == (2, 3) and (g > 0).all()


def test_node_returns_a_direction_that_applies(comfy, inference_model):
    from conftest import sample
    from latent_directions.nodes import edit as E
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    latent = {"samples": torch.zeros(1, 4, 8, 8)}
    with torch.inference_mode():
        out = JN.JacobianDirections.execute("denoiser", inference_model, pos, neg, latent, 3, 4, 2.0, "euler", "normal", 0.5, 2,
                                            100, 1e-4, "gain")
        d = out.args[0]
        assert d.k == 2 and d.vectors.shape == (2, 4, 64, 4, 4) and (d.scales > 0).all()
        assert torch.equal(d.vectors[:, 0], d.vectors[:, -1])  # one vector repeated at every step
        d2 = JN.JacobianDirections.execute("denoiser", inference_model, pos, neg, latent, 3, 4, 2.0, "euler", "normal", 0.5, 2,
                                           60, 1e-3, "singular_value").args[0]
        j = int(torch.argmin((d2.timesteps - d2.meta["params"]["at_t"]).abs()))
        assert torch.allclose(d2.scales[:, j], torch.tensor(d2.meta["params"]["singular_values_at_t"]), rtol=2e-2)
        m = E.ApplyLatentEdit.execute(inference_model, d, 3.0, 0.0, 1.0, "both").args[0]
        plain = sample(comfy, inference_model, pos, neg, size=8, steps=4)
        edited = sample(comfy, m, pos, neg, size=8, steps=4)
    assert not torch.equal(plain, edited)
    with torch.inference_mode():
        px = JN.JacobianDirections.execute("pullback", inference_model, pos, neg, latent, 3, 4, 2.0, "euler", "normal",
                                           0.5, 2, 60, 1e-3, "gain").args[0]
    assert px.meta["space"] == "x" and px.vectors.shape == (2, 1, 4, 8, 8) and px.extra["h_vectors"].shape[0] == 2
    from latent_directions.core.errors import LatentDirectionsError
    with pytest.raises(LatentDirectionsError, match="this is an x-space direction"):
        E.check_direction_fits(inference_model, px, "Direction x Strength Grid")  # h-only consumers refuse it
    assert E.ApplyLatentEdit.execute(inference_model, px, 1.0, 0.0, 1.0, "both").args[0] is not inference_model


def test_pullback_matches_dense_and_the_real_h(inference_model):
    pos, neg = sd15_conds()
    with torch.inference_mode():
        calls = CJ.capture_calls(inference_model, pos, neg, torch.zeros(1, 4, 8, 8), 2, 3, 2.0, "euler", "normal", "t")
        res, _ = CJ.pullback_svd(inference_model, calls[1], k=3, iters=200, tol=1e-5, chunk=3)
    dm = inference_model.model.diffusion_model
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        f = CJ.encoder_fn(dm, state, calls[1])
        assert torch.allclose(f(calls[1].x.float()), CJ.h_at(dm, state, calls[1]).unsqueeze(0), atol=1e-5)
        jac = jacrev(lambda x: f(x.unsqueeze(0))[0])(calls[1].x[0].float())
    u, s, vt = torch.linalg.svd(jac.reshape(64 * 4 * 4, 4 * 8 * 8).double())
    assert torch.allclose(res.s.double(), s[:3], rtol=1e-3)
    assert ((res.v.reshape(3, -1).double() * vt[:3]).sum(1).abs() > 0.99).all()
    assert ((res.u.reshape(3, -1).double() * u[:, :3].T).sum(1).abs() > 0.99).all()


def test_x_edit_zero_is_exact_for_euler_and_moves_x_otherwise(comfy, tiny_sd15):
    from conftest import sample
    from latent_directions.core.direction import Direction
    from latent_directions.nodes import edit as E
    from latent_directions.core.backends import comfy_unet as CU
    pos, neg = sd15_conds()
    ms = CU.model_sampling(tiny_sd15)
    g = torch.Generator().manual_seed(0)
    v = torch.randn(1, 1, 4, 8, 8, generator=g)
    sig = CU.signature(tiny_sd15)
    d = Direction(v / v.norm(), torch.tensor([500.0]), torch.ones(1, 1),
                  {"method": "jacobian_pullback", "space": "x", "model": sig,
                   "params": {"at_sigma": float(ms.sigmas[500])}})
    for sampler in ("euler", "ddim"):
        plain = sample(comfy, tiny_sd15, pos, neg, size=8, steps=6, sampler=sampler)
        zero = E.ApplyLatentEdit.execute(tiny_sd15, d, 0.0, 0.0, 1.0, "both").args[0]
        assert torch.equal(sample(comfy, zero, pos, neg, size=8, steps=6, sampler=sampler), plain)
    seen = []
    m = E.ApplyLatentEdit.execute(tiny_sd15, d, 5.0, 0.0, 1.0, "both").args[0]
    m.set_model_output_block_patch(CU.make_patch(
        __import__("latent_directions.core.tap", fromlist=["reader"]).reader(lambda h, i, c: seen.append(i.sigma)), None))
    out = sample(comfy, m, pos, neg, size=8, steps=6)
    assert not torch.equal(out, plain) and len(set(seen)) == 6  # still 6 steps in all


def test_x_edit_adds_gamma_v_to_the_unet_input_at_the_edit_step(tiny_sd15):
    from latent_directions.core.backends import comfy_unet as CU
    from latent_directions.core.backends.comfy_xedit import with_x_edit
    from latent_directions.core.direction import Direction
    pos, neg = sd15_conds()
    ms = CU.model_sampling(tiny_sd15)
    v = torch.randn(1, 1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    d = Direction(v / v.norm(), torch.tensor([500.0]), torch.ones(1, 1), {"space": "x"})
    runs = [CJ.capture_calls(with_x_edit(tiny_sd15, d, torch.tensor([g]), float(ms.sigmas[500]), "t"), pos, neg,
                             torch.zeros(1, 4, 8, 8), 4, 6, 2.0, "euler", "normal", "t") for g in (0.0, 2.5)]
    diffs = [(b.x - a.x) for a, b in zip(*runs)]
    first = next(i for i, dx in enumerate(diffs) if torch.count_nonzero(dx))
    assert torch.allclose(diffs[first], 2.5 * (v / v.norm())[0], atol=1e-4)
    assert all(torch.count_nonzero(dx) == 0 for dx in diffs[:first])


def test_parallel_transport_node(inference_model):
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    latent = {"samples": torch.zeros(1, 4, 8, 8)}
    with torch.inference_mode():
        a = JN.JacobianDirections.execute("pullback", inference_model, pos, neg, latent, 1, 3, 2.0, "euler", "normal",
                                          0.5, 2, 40, 1e-3, "gain").args[0]
        b = JN.JacobianDirections.execute("pullback", inference_model, pos, neg, latent, 2, 3, 2.0, "euler", "normal",
                                          0.5, 4, 40, 1e-3, "gain").args[0]
        out = JN.ParallelTransport.execute(a, b).args[0]
        same = JN.ParallelTransport.execute(a, a).args[0]
    assert out.vectors.shape == (2, 1, 4, 8, 8) and out.meta["params"]["at_sigma"] == b.meta["params"]["at_sigma"]
    assert torch.allclose(out.vectors.flatten(1).norm(dim=1), torch.ones(2), atol=1e-5)
    # transporting onto its own basis returns the same directions
    assert torch.allclose(same.vectors.flatten(1).abs(), a.vectors.flatten(1).abs(), atol=1e-4)


def test_latent_x_edit_between_two_samplers_matches_the_wrapper(comfy, tiny_sd15):
    import comfy.sample
    from latent_directions.core.backends import comfy_unet as CU
    from latent_directions.core.direction import Direction
    from latent_directions.nodes import edit as E
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    ms = CU.model_sampling(tiny_sd15)
    sig = comfy.samplers.calculate_sigmas(ms, "normal", 6)
    v = torch.randn(1, 1, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    d = Direction(v / v.norm(), torch.tensor([500.0]), torch.ones(1, 1),
                  {"space": "x", "model": CU.signature(tiny_sd15), "params": {"at_sigma": float(sig[3])}})
    latent = torch.zeros(1, 4, 8, 8)
    noise = comfy.sample.prepare_noise(latent, 0)
    first = comfy.sample.sample(tiny_sd15, noise, 6, 2.0, "euler", "normal", pos, neg, latent, last_step=3,
                                force_full_denoise=False, seed=0, disable_pbar=True)
    edited = JN.XEditLatent.execute(tiny_sd15, {"samples": first}, d, 2.0, 6, "normal", 3).args[0]["samples"]
    second = comfy.sample.sample(tiny_sd15, torch.zeros_like(noise), 6, 2.0, "euler", "normal", pos, neg, edited,
                                 start_step=3, disable_noise=True, seed=0, disable_pbar=True)
    wrapped = E.ApplyLatentEdit.execute(tiny_sd15, d, 2.0, 0.0, 1.0, "both").args[0]
    one_pass = comfy.sample.sample(wrapped, noise, 6, 2.0, "euler", "normal", pos, neg, latent, seed=0,
                                   disable_pbar=True)
    assert torch.allclose(second, one_pass, atol=1e-4)


def test_masked_denoiser_matches_dense_masked_jacobian(inference_model):
    from latent_directions.core.jacobian import output_mask
    pos, neg = sd15_conds()
    pixel_mask = torch.zeros(1, 64, 64)
    pixel_mask[:, 8:40, :32] = 1.0  # a pixel-space mask, area-resized to the 8x8 latent
    m = output_mask(pixel_mask, (8, 8), "test")
    assert m.shape == (1, 1, 8, 8) and torch.equal(m[0, 0, 1:5, :4], torch.ones(4, 4)) and m.sum() == 16
    with torch.inference_mode():
        calls = CJ.capture_calls(inference_model, pos, neg, torch.zeros(1, 4, 8, 8), 5, 4, 2.0, "euler", "normal", "t")
        res, _ = CJ.denoiser_svd(inference_model, calls[2], k=3, iters=1000, tol=1e-6, chunk=3, mask=m)
        plain, _ = CJ.denoiser_svd(inference_model, calls[2], k=3, iters=300, tol=1e-5, chunk=3)
    dm = inference_model.model.diffusion_model
    with CJ.WeightCopy(dm) as state, torch.inference_mode(False):
        f = CJ.decoder_fn(dm, state, calls[2])
        mm = m.clone()
        jac = torch.autograd.functional.jacobian(lambda d: (f(d.unsqueeze(0)) * mm)[0], torch.zeros(64, 4, 4))
    u, s, vt = torch.linalg.svd(jac.reshape(4 * 8 * 8, 64 * 4 * 4).double())
    assert torch.allclose(res.s.double(), s[:3], rtol=1e-4), (res.s, s[:3])
    cos = (res.v.reshape(3, -1).double() * vt[:3]).sum(1).abs()
    assert (cos >= 0.999).all(), cos
    # the mask changes the answer: the masked spectrum is smaller and the top direction turns
    assert (res.s < plain.s).all()
    assert float((res.v[0].flatten() @ plain.v[0].flatten()).abs()) < 0.999


def test_masked_node_and_bad_masks(inference_model):
    from latent_directions.core.errors import LatentDirectionsError
    from latent_directions.nodes import jacobian as JN
    pos, neg = sd15_conds()
    latent = {"samples": torch.zeros(1, 4, 8, 8)}
    mask = torch.zeros(1, 8, 8)
    mask[:, :, :4] = 1.0
    args = (inference_model, pos, neg, latent, 3, 3, 2.0, "euler", "normal", 0.5, 2, 60, 1e-3, "gain")
    with torch.inference_mode():
        d = JN.JacobianDirections.execute("denoiser", *args, mask=mask).args[0]
        assert d.meta["params"]["masked"] and d.meta["params"]["mask_fraction"] == 0.5 and (d.scales > 0).all()
        with pytest.raises(LatentDirectionsError, match=r"^Jacobian Directions: the mask is empty"):
            JN.JacobianDirections.execute("denoiser", *args, mask=torch.zeros(1, 8, 8))
        with pytest.raises(LatentDirectionsError, match="another aspect ratio"):
            JN.JacobianDirections.execute("denoiser", *args, mask=torch.ones(1, 8, 16))
        with pytest.raises(LatentDirectionsError, match="does not apply in pullback mode"):
            JN.JacobianDirections.execute("pullback", *args, mask=mask)
