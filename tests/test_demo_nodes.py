"""The demo nodes in-process on the real ComfyUI: load, prompt, latent, sample with the stock sampler, measure."""
import pytest
import torch

from conftest import sample
from latent_directions.core.demo import render as R
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import demo, view


@pytest.fixture(scope="module")
def demo_model(comfy):
    model, vae = demo.LoadDemoModel.execute("auto").args
    return model, vae


def test_loader_gives_a_real_model_and_pixel_vae(comfy, demo_model):
    model, vae = demo_model
    assert isinstance(model, comfy.model_patcher.ModelPatcher)
    assert model.model.diffusion_model.middle_block is not None
    assert vae.latent_channels == 3
    img = torch.rand(1, 32, 32, 3)
    assert torch.allclose(vae.decode(vae.encode(img)), img, atol=1e-6)


def test_prompts_and_latent(demo_model):
    conds = [demo.DemoPrompt.execute(p).args[0] for p in demo.PROMPT_CHOICES]
    assert all(c[0][0].shape == (1, 2, 32) for c in conds)
    assert not torch.equal(conds[0][0][0], conds[3][0][0])
    lat = demo.EmptyDemoLatent.execute(32, 32, 5).args[0]["samples"]
    assert lat.shape == (5, 3, 32, 32)


def test_samples_through_the_stock_sampler(comfy, demo_model):
    model, vae = demo_model
    pos = demo.DemoPrompt.execute("square").args[0]
    neg = demo.DemoPrompt.execute("(none)").args[0]
    out = sample(comfy, model, pos, neg, batch=2, size=32, steps=4, channels=3)
    img = vae.decode(out)
    assert img.shape == (2, 32, 32, 3) and torch.isfinite(img).all()


def test_measure_node_table_and_refusal():
    imgs = R.render(R.sample_factors(3, seed=9)).permute(0, 2, 3, 1)
    out = demo.MeasureDemoFactors.execute(imgs)
    table = out.args[0]
    assert table.count("\n") == 3 and "one" in table
    with pytest.raises(LatentDirectionsError, match=r"^Measure Demo Factors: images are 64x64"):
        demo.MeasureDemoFactors.execute(torch.zeros(1, 64, 64, 3))


def test_labelled_grid():
    imgs = torch.rand(6, 32, 32, 3)
    g = view.LabelledGrid.execute(imgs, 3, "a, b", "x,y,z", 2, "title").args[0]
    assert g.shape[0] == 1 and g.shape[3] == 3 and g.shape[1] > 2 * 64 and g.shape[2] > 3 * 64
    big = view.LabelledGrid.execute(torch.rand(2, 600, 600, 3), 2, "", "", 4, "").args[0]
    assert big.shape[2] < 2 * 620  # a 600 px image is not upscaled (tiles stop at plot.MAX_TILE)
    with pytest.raises(LatentDirectionsError, match=r"^Labelled Image Grid: the image batch is empty\. Connect"):
        view.LabelledGrid.execute(torch.zeros(0, 32, 32, 3), 8, "", "", 4, "")
    with pytest.raises(LatentDirectionsError, match=r"^Labelled Image Grid: 1 x 40 tiles of 32 x 32 px at scale 16 "
                                                    r"make a 20640 x 516 px grid, over the 16384 px limit\. Lower"):
        view.LabelledGrid.execute(torch.zeros(40, 32, 32, 3), 40, "", "", 16, "")


def test_loader_builds_the_architecture_its_file_names(comfy, tmp_path):
    import json
    from safetensors.torch import save_file
    from latent_directions.core.backends import comfy_demo as D
    from latent_directions.core.demo import config as C
    cfg = C.UNET_CONFIG_MIDDLE_ATTENTION
    unet = D.build_unet(cfg)
    sd = {D.UNET_PREFIX + k: v.contiguous() for k, v in unet.state_dict().items()}
    sd[D.EMBED_KEY], sd[D.CONST_KEY] = torch.randn(4, 32), torch.randn(1, 32)
    path = str(tmp_path / "middle.safetensors")
    save_file(sd, path, metadata={"config": json.dumps(cfg)})
    model, tok, const = D.load_demo_model(path)
    net = model.model.diffusion_model
    names = {type(m).__name__ for blk in (*net.input_blocks, *net.output_blocks) for m in blk}
    assert "SpatialTransformer" not in names
    assert any(type(m).__name__ == "SpatialTransformer" for m in net.middle_block)
    got = net.state_dict()
    assert all(torch.equal(got[k[len(D.UNET_PREFIX):]], v) for k, v in sd.items() if k.startswith(D.UNET_PREFIX))
    from latent_directions.nodes import paths
    shipped = D.load_demo_model(paths.demo_weights_path())[0].model.diffusion_model
    assert any(type(m).__name__ == "SpatialTransformer" for blk in shipped.output_blocks for m in blk)
