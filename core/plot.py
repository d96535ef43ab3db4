"""Labelled image grids and simple plots as numpy images (PIL only; no matplotlib)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _font():
    try:
        return ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def labelled_grid(images: np.ndarray, columns: int, row_labels: list[str] | None = None,
                  col_labels: list[str] | None = None, scale: int = 4, title: str = "") -> np.ndarray:
    """Tile images [N, H, W, 3] (float in [0, 1]) into a grid with optional row/column labels and a title.

    Returns a float32 image [H', W', 3] in [0, 1]. Missing cells are left white.
    """
    n, h, w, _ = images.shape
    columns = max(1, min(int(columns), n))
    rows = -(-n // columns)
    font = _font()
    row_labels = [s for s in (row_labels or [])]
    col_labels = [s for s in (col_labels or [])]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_w = lambda s: int(measure.textlength(s, font=font))
    left = (max([text_w(s) for s in row_labels] + [0]) + 8) if row_labels else 4
    top = (18 if col_labels else 4) + (18 if title else 0)
    cw, ch, pad = w * scale, h * scale, 4
    canvas = Image.new("RGB", (left + columns * (cw + pad), top + rows * (ch + pad)), "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((left, 2), title, fill="black", font=font)
    tiles = (np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        tile = Image.fromarray(tiles[i]).resize((cw, ch), Image.NEAREST)
        canvas.paste(tile, (left + c * (cw + pad), top + r * (ch + pad)))
    for c, s in enumerate(col_labels[:columns]):
        draw.text((left + c * (cw + pad) + (cw - text_w(s)) // 2, top - 16), s, fill="black", font=font)
    for r, s in enumerate(row_labels[:rows]):
        draw.text((4, top + r * (ch + pad) + ch // 2 - 7), s, fill="black", font=font)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def split_labels(text: str) -> list[str]:
    """'a, b, c' or one label a line -> ['a', 'b', 'c']."""
    sep = "\n" if "\n" in text else ","
    return [s.strip() for s in text.split(sep) if s.strip()]
