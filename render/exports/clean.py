"""A scanned drawing cleaned for print: the paper's tone and uneven light removed, the pencil made dark.

    clean_drawing(img) -> RGB image

Each pixel is divided by the paper around it (a large blur of the picture, i.e. the light and paper colour), so
paper comes out white whatever its tone or shadow; then the levels are stretched so the faintest 1 % of strokes
reach full contrast. Colour marks keep their hue. The storyboard sheet and page show drawn panels this way
(``render.panel.draw_panel(clean=True)``); the animatic shows the drawing as scanned.
"""

from __future__ import annotations


def clean_drawing(img):
    import numpy as np
    from PIL import Image

    a = np.asarray(img.convert("RGB")).astype(np.float32)
    try:
        import cv2

        k = max(15, (min(a.shape[:2]) // 8) | 1)
        paper = cv2.GaussianBlur(cv2.dilate(a, np.ones((7, 7), np.uint8)), (k, k), 0)
    except ImportError:  # pragma: no cover
        from PIL import ImageFilter

        paper = np.asarray(img.convert("RGB").filter(ImageFilter.MaxFilter(7)).filter(
            ImageFilter.GaussianBlur(max(8, min(img.size) // 16)))).astype(np.float32)
    flat = np.clip(a / np.maximum(paper, 1.0) * 255.0, 0, 255)
    lum = flat.mean(axis=2)
    lo = float(np.percentile(lum, 1.0))
    hi = 235.0
    if hi - lo > 10:
        flat = np.clip((flat - lo) * 255.0 / (hi - lo), 0, 255)
    return Image.fromarray(flat.astype(np.uint8))
