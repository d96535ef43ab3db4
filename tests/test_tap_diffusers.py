"""h-space tap on tiny diffusers U-Nets (UNet2DModel, UNet2DConditionModel): READ, ADD, REPLACE, hooks removed."""
import pytest
import torch
from diffusers import UNet2DConditionModel, UNet2DModel

from latent_directions.core import tap as T
from latent_directions.core.backends import diffusers_unet as DU
from latent_directions.core.errors import LatentDirectionsError


@pytest.fixture(scope="module")
def unets():
    torch.manual_seed(0)
    plain = UNet2DModel(sample_size=16, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(16, 32),
                        down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
                        norm_num_groups=8).eval()
    cond = UNet2DConditionModel(sample_size=16, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(16, 32), norm_num_groups=8, cross_attention_dim=16,
                                attention_head_dim=8,
                                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D")).eval()
    return plain, cond


def _run(unet, x, t, **kw):
    with torch.no_grad():
        return unet(x, t, **kw).sample


def _inputs(unet, batch=2):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, unet.config.in_channels, 16, 16, generator=g)
    kw = {}
    if isinstance(unet, UNet2DConditionModel):
        kw["encoder_hidden_states"] = torch.randn(batch, 3, 16, generator=g)
    return x, kw


@pytest.mark.parametrize("which", [0, 1])
def test_read_add_replace(unets, which):
    unet = unets[which]
    x, kw = _inputs(unet)
    t = torch.tensor(400)
    seen = []
    ref = unet.mid_block.register_forward_hook(lambda m, i, o: seen.append(o.detach().clone()))
    try:
        base = _run(unet, x, t, **kw)
    finally:
        ref.remove()
    rec = []
    acp = torch.linspace(0.999, 0.01, 1000)
    with DU.tapped(unet, T.reader(lambda h, info, c: rec.append((info, c, h))), alphas_cumprod=acp, chunks=(1, 0)):
        assert torch.equal(_run(unet, x, t, **kw), base)
    assert torch.equal(torch.cat([h for _, _, h in rec]), seen[0])
    assert [c for _, c, _ in rec] == [1, 0] and rec[0][0].t == 400.0
    assert abs(rec[0][0].sigma - float(((1 - acp[400]) / acp[400]).sqrt())) < 1e-4
    with DU.tapped(unet, T.adder(lambda info, h: torch.zeros_like(h))):
        assert torch.equal(_run(unet, x, t, **kw), base)
    with DU.tapped(unet, T.adder(lambda info, h: torch.ones_like(h), branch="cond"), chunks=(1, 0)):
        out = _run(unet, x, t, **kw)
    assert torch.equal(out[0], base[0]) and not torch.equal(out[1], base[1])
    with DU.tapped(unet, T.replacer(lambda h, info: torch.zeros_like(h))):
        assert not torch.equal(_run(unet, x, t, **kw), base)
    sigma400 = float(((1 - acp[400]) / acp[400]).sqrt())
    outside = T.Window(sigma_lo=sigma400 * 2, sigma_hi=sigma400 * 4)
    with DU.tapped(unet, T.adder(lambda info, h: torch.ones_like(h), window=outside), alphas_cumprod=acp):
        assert torch.equal(_run(unet, x, t, **kw), base)
    assert not unet.mid_block._forward_hooks and not unet._forward_pre_hooks


def test_hooks_removed_after_exception(unets):
    unet = unets[0]
    x, kw = _inputs(unet)

    def boom(info, h):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        with DU.tapped(unet, T.adder(boom)):
            _run(unet, x, torch.tensor(10), **kw)
    assert not unet.mid_block._forward_hooks and not unet._forward_pre_hooks


def test_model_without_mid_block_is_refused():
    class TinyDiT(torch.nn.Module):
        pass

    with pytest.raises(LatentDirectionsError, match="TinyDiT has no mid_block"):
        with DU.tapped(TinyDiT(), T.reader(lambda *a: None)):
            pass
