"""Direction interpolation in continuous t and per-image strengths (pure torch)."""
import torch

from latent_directions.core.direction import Direction, check_model


def _d():
    v = torch.stack([torch.full((2, 1, 1), 1.0), torch.full((2, 1, 1), 3.0)]).unsqueeze(0)  # K=1, T=2
    return Direction(v, torch.tensor([900.0, 100.0]), torch.tensor([[2.0, 1.0]]), {"method": "test"})


def test_sorted_by_t_and_interpolated_linearly():
    d = _d()
    assert d.timesteps.tolist() == [100.0, 900.0]
    # at t=100: scale 1 * vector 3; at t=900: scale 2 * vector 1; halfway: mean of the two products
    assert torch.allclose(d.delta_at(100.0, torch.tensor([1.0])), torch.full((2, 1, 1), 3.0))
    assert torch.allclose(d.delta_at(900.0, torch.tensor([1.0])), torch.full((2, 1, 1), 2.0))
    assert torch.allclose(d.delta_at(500.0, torch.tensor([2.0])), torch.full((2, 1, 1), 5.0))
    assert torch.allclose(d.delta_at(0.0, torch.tensor([1.0])), torch.full((2, 1, 1), 3.0))  # clamped


def test_per_image_strengths():
    d = _d()
    out = d.delta_at(100.0, torch.tensor([[1.0], [0.0], [-2.0]]))
    assert out.shape == (3, 2, 1, 1) and out[:, 0, 0, 0].tolist() == [3.0, 0.0, -6.0]


def test_check_model_names_what_it_was_made_for():
    d = _d()
    d.meta["model"] = {"family": "SD15", "h_channels": 1280}
    assert check_model(d, {"family": "SD15", "h_channels": 1280}) is None
    msg = check_model(d, {"family": "SDXL", "h_channels": 1280})
    assert msg.startswith("the direction was made for a SD15 model") and "SDXL" in msg
