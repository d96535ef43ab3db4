"""Labelled image grids and simple plots as numpy images (PIL only; no matplotlib)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _font():
    try:
        return ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


MAX_TILE = 512  # px: small images (the demo model's 32 x 32) are upscaled, large ones (SD's 512+) are not
MAX_SIDE = 16384  # px: the largest grid side the grid nodes build (larger ones are refused, not built)


def tile_scale(h: int, w: int, scale: int) -> int:
    """The upscale actually used: scale, but no tile beyond MAX_TILE px unless the image already is."""
    return max(1, min(int(scale), MAX_TILE // max(h, w, 1)))


def grid_shape(n: int, h: int, w: int, columns: int, scale: int) -> tuple[int, int, int, int]:
    """(columns, rows, width, height in px without labels) of the grid labelled_grid builds."""
    columns = max(1, min(int(columns), n))
    rows = -(-n // columns)
    k = tile_scale(h, w, scale)
    return columns, rows, columns * (w * k + 4), rows * (h * k + 4)


def labelled_grid(images: np.ndarray, columns: int, row_labels: list[str] | None = None,
                  col_labels: list[str] | None = None, scale: int = 4, title: str = "") -> np.ndarray:
    """Tile images [N, H, W, 3] (float in [0, 1]) into a grid with optional row/column labels and a title; each tile
    is upscaled by tile_scale(h, w, scale) (nearest neighbour).

    Returns a float32 image [H', W', 3] in [0, 1]. Missing cells are left white.
    """
    n, h, w, _ = images.shape
    columns, rows, _, _ = grid_shape(n, h, w, columns, scale)
    scale = tile_scale(h, w, scale)
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


def line_plot(series: dict[str, tuple[list[float], list[float]]], title: str = "", xlabel: str = "",
              ylabel: str = "", size: tuple[int, int] = (640, 360), log_y: bool = False,
              markers: bool = False, y_zero: bool = False) -> np.ndarray:
    """A minimal line plot of named (x, y) series -> float32 image [H, W, 3] in [0, 1]; markers: a dot per point;
    y_zero: the y axis starts at 0 (linear axis)."""
    W, H = size
    left, right, top, bottom = 64, 16, 28, 40
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    font = _font()
    xs = np.concatenate([np.asarray(x, float) for x, _ in series.values()])
    ys = np.concatenate([np.asarray(y, float) for _, y in series.values()])
    tf = (lambda v: np.log10(np.maximum(v, 1e-12))) if log_y else (lambda v: v)
    ys_t = tf(ys[np.isfinite(ys)])
    x0, x1 = float(xs.min()), float(xs.max()) if xs.max() > xs.min() else float(xs.min()) + 1
    y0, y1 = float(ys_t.min()), float(ys_t.max()) if ys_t.max() > ys_t.min() else float(ys_t.min()) + 1
    if y_zero and not log_y:
        y0, y1 = min(y0, 0.0), max(y1, 1e-12)
    px = lambda x: left + (x - x0) / (x1 - x0) * (W - left - right)
    py = lambda y: H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom)
    d.rectangle([left, top, W - right, H - bottom], outline="black")
    for k in range(5):
        yv = y0 + (y1 - y0) * k / 4
        lab = f"{10 ** yv:.3g}" if log_y else f"{yv:.3g}"
        d.text((4, py(yv) - 6), lab, fill="black", font=font)
        xv = x0 + (x1 - x0) * k / 4
        d.text((px(xv) - 12, H - bottom + 4), f"{xv:.4g}", fill="black", font=font)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
    for i, (name, (x, y)) in enumerate(series.items()):
        pts = [(px(a), py(b)) for a, b in zip(np.asarray(x, float), tf(np.asarray(y, float))) if np.isfinite(b)]
        if len(pts) > 1:
            d.line(pts, fill=colors[i % len(colors)], width=2)
        for a, b in pts if markers else []:
            d.ellipse([a - 3, b - 3, a + 3, b + 3], fill=colors[i % len(colors)])
        d.text((W - right - 150, top + 4 + 14 * i), name, fill=colors[i % len(colors)], font=font)
    d.text((left, 6), title, fill="black", font=font)
    d.text((W // 2 - 30, H - 18), xlabel, fill="black", font=font)
    d.text((4, 10), ylabel, fill="black", font=font)
    return np.asarray(img, dtype=np.float32) / 255.0


def tile(images: list[np.ndarray], columns: int) -> np.ndarray:
    """Equal-sized images [H, W, 3] -> one image, `columns` per row (missing cells white)."""
    rows = -(-len(images) // columns)
    blank = np.ones_like(images[0])
    cells = list(images) + [blank] * (rows * columns - len(images))
    return np.concatenate([np.concatenate(cells[r * columns:(r + 1) * columns], axis=1) for r in range(rows)], axis=0)


def save_png(image: np.ndarray, path: str) -> None:
    Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)
