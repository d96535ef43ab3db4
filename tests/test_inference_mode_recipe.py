"""Facts the Jacobian nodes rely on, checked on ComfyUI's real UNetModel built under inference mode (as loader nodes
build it): autograd and torch.func fail on inference-tensor weights; a functional_call with temporary normal-tensor
copies of the weights works for VJP, and for JVP once SDPA is forced to its math kernel."""
import pytest
import torch
from torch.func import functional_call, jvp, vjp
from torch.nn.attention import SDPBackend, sdpa_kernel

from latent_directions.core.backends import comfy_tiny


@pytest.fixture(scope="module")
def inference_unet(comfy):
    with torch.inference_mode():
        m = comfy_tiny.tiny_sd15()
    dm = m.model.diffusion_model
    assert next(dm.parameters()).is_inference()
    return dm


def _inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(1, 4, 16, 16, generator=g), torch.tensor([500.0]), torch.randn(1, 4, 32, generator=g)


def test_inference_weights_break_autodiff(inference_unet):
    x, t, ctx = _inputs()
    with torch.inference_mode(False):
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            vjp(lambda z: inference_unet(z, t, context=ctx), x)


def test_functional_call_with_temporary_copies_works(inference_unet):
    x, t, ctx = _inputs()
    with torch.inference_mode(False):
        state = {k: v.clone() for k, v in list(inference_unet.named_parameters()) + list(inference_unet.named_buffers())}
        f = lambda z: functional_call(inference_unet, state, (z, t), {"context": ctx})
        v = torch.randn_like(x)
        out, pull = vjp(f, x)
        (g,) = pull(torch.ones_like(out))
        with sdpa_kernel(SDPBackend.MATH):
            _, jv = jvp(f, (x,), (v,))
        eps = 1e-3
        fd = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
        assert torch.allclose(jv, fd, atol=1e-2 * float(fd.abs().max()))
        assert torch.allclose((g * v).sum(), (jv * torch.ones_like(out)).sum(), rtol=1e-3)  # <J^T 1, v> = <1, J v>
