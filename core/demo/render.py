"""Vectorised renderer of 32x32 RGB images with known factors.

One saturated object (circle, square or upright triangle) on a grey background. Factors:
class, hue, size r (circle radius, square half-side, triangle half-base; triangle height 2r),
centre (cx, cy) = the shape's area centroid in pixel coordinates, background grey level and stripes
(off / horizontal / vertical, period 4 px) that darken alternate bands of the object.
Edges are anti-aliased by a signed-distance coverage. Images are float32 in [0, 1], [N, 3, H, W].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SIZE = 32
CLASSES = ("circle", "square", "triangle")
STRIPES = ("none", "horizontal", "vertical")
SATURATION = 0.85
VALUE = 0.95
STRIPE_DARK = 0.6  # value multiplier on dark bands
STRIPE_PERIOD = 4.0
# training ranges (ground truth is drawn uniformly from these)
R_RANGE = (4.0, 9.0)
C_RANGE = (10.0, 22.0)
BG_RANGE = (0.15, 0.85)


@dataclass
class Factors:
    """One row per image; tensors of shape [N]."""

    cls: torch.Tensor  # long, index into CLASSES
    hue: torch.Tensor  # [0, 1)
    r: torch.Tensor
    cx: torch.Tensor
    cy: torch.Tensor
    bg: torch.Tensor
    stripes: torch.Tensor  # long, index into STRIPES

    def __len__(self) -> int:
        return int(self.cls.shape[0])


def sample_factors(n: int, seed: int | None = None, generator: torch.Generator | None = None,
                   cls: int | None = None, stripes_prob: float = 0.5,
                   c_range: tuple[float, float] = C_RANGE) -> Factors:
    """Draw n factor sets uniformly from the training ranges (seeded, reproducible); c_range: centre x and y."""
    g = generator or torch.Generator().manual_seed(int(seed or 0))
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=g)
    c = torch.randint(0, 3, (n,), generator=g) if cls is None else torch.full((n,), int(cls))
    striped = torch.rand(n, generator=g) < stripes_prob
    orient = torch.randint(1, 3, (n,), generator=g)
    return Factors(cls=c, hue=torch.rand(n, generator=g), r=u(*R_RANGE), cx=u(*c_range), cy=u(*c_range),
                   bg=u(*BG_RANGE), stripes=torch.where(striped, orient, torch.zeros_like(orient)))


def hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Vectorised HSV -> RGB; inputs broadcast, output has a trailing channel axis of 3."""
    k = torch.tensor([5.0, 3.0, 1.0])
    h6 = (h.unsqueeze(-1) * 6.0 + k) % 6.0
    f = torch.clamp(torch.minimum(h6, 4.0 - h6), 0.0, 1.0)
    return v.unsqueeze(-1) - v.unsqueeze(-1) * s.unsqueeze(-1) * f


def _signed_distance(f: Factors, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """Signed distance (px, negative inside) of every pixel centre to each shape, [N, H, W]."""
    v = lambda t: t.view(-1, 1, 1)
    dx, dy = xs - v(f.cx), ys - v(f.cy)
    r = v(f.r)
    circle = torch.sqrt(dx**2 + dy**2) - r
    square = torch.maximum(dx.abs(), dy.abs()) - r
    # upright isosceles triangle: apex (0, -4r/3), base y = +2r/3 from -r to r (centroid at origin)
    base = dy - 2.0 * r / 3.0
    slope = (2.0 * dx.abs() - dy - 4.0 * r / 3.0) / 5.0**0.5
    triangle = torch.maximum(base, slope)
    out = torch.where(v(f.cls) == 0, circle, torch.where(v(f.cls) == 1, square, triangle))
    return out


def render(f: Factors, size: int = SIZE) -> torch.Tensor:
    """Render factors to images [N, 3, size, size] in [0, 1]."""
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    ys, xs = coords.view(1, size, 1), coords.view(1, 1, size)
    cover = torch.clamp(0.5 - _signed_distance(f, ys, xs), 0.0, 1.0)  # [N, H, W]
    n = len(f)
    v = lambda t: t.view(-1, 1, 1).float()
    along = torch.where(v(f.stripes) == 1, ys.expand(n, size, size), xs.expand(n, size, size))
    dark = (torch.floor(along / (STRIPE_PERIOD / 2)) % 2 == 1) & (v(f.stripes) > 0)
    value = torch.where(dark, torch.tensor(VALUE * STRIPE_DARK), torch.tensor(VALUE))
    obj = hsv_to_rgb(v(f.hue).expand(n, size, size), torch.full((n, size, size), SATURATION), value)
    bg = v(f.bg).unsqueeze(-1).expand(n, size, size, 3)
    img = cover.unsqueeze(-1) * obj + (1.0 - cover.unsqueeze(-1)) * bg
    return img.permute(0, 3, 1, 2).contiguous().clamp(0.0, 1.0)


def to_numpy_factors(f: Factors) -> dict[str, np.ndarray]:
    return {k: getattr(f, k).numpy() for k in ("cls", "hue", "r", "cx", "cy", "bg", "stripes")}
