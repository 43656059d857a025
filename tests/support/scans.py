"""Scanned copies of PDFs, made in tests: every page rendered at 150 dpi, tilted, noised, greyed like paper, and
wrapped as an image-only PDF (no text layer), optionally encrypted. Used by tests/test_ocr*.py and bench/ocr.py."""

from __future__ import annotations

import io


def scan_image(rgb, *, angle: float = 1.2, noise: float = 10.0, seed: int = 0, paper: int = 238):
    """``rgb`` (H×W×3 uint8) as a scanner gives it: rotated ``angle`` degrees, a paper tone, Gaussian noise."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)).astype(np.float32)
    img = img * (paper / 255.0)
    rng = np.random.default_rng(seed)
    img += rng.normal(0, noise, img.shape[:2])[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def images_to_pdf(images, page_size=(595.28, 841.89), quality: int = 80) -> bytes:
    """An image-only PDF: each RGB array a full page, JPEG as a phone or scanner app writes it."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=page_size)
    for arr in images:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=quality)
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, *page_size)
        c.showPage()
    c.save()
    return out.getvalue()


def render_pages(pdf: bytes, password: str | None = None, dpi: int = 150):
    """Every page of ``pdf`` as an RGB array at ``dpi``."""
    import numpy as np
    import pikepdf
    import pypdfium2 as pdfium

    with pikepdf.open(io.BytesIO(pdf), password=password or "") as doc:
        plain = io.BytesIO()
        doc.save(plain)
    doc = pdfium.PdfDocument(plain.getvalue())
    pages = []
    for i in range(len(doc)):
        pages.append(np.asarray(doc[i].render(scale=dpi / 72).to_pil().convert("RGB")))
    doc.close()
    return pages


def scanned_copy(pdf: bytes, password: str | None = None, *, angle: float = 1.2, encrypt_with: str | None = None,
                 seed: int = 0) -> bytes:
    """``pdf`` as a scanned, image-only PDF (alternating tilt per page), encrypted with ``encrypt_with`` (AES-256)."""
    from examples.briefpdf import encrypt

    images = [scan_image(p, angle=angle if i % 2 == 0 else -angle * 0.7, seed=seed + i)
              for i, p in enumerate(render_pages(pdf, password))]
    out = images_to_pdf(images)
    return encrypt(out, user=encrypt_with, owner="owner-" + encrypt_with, R=6) if encrypt_with else out


# -- drawn storyboards --------------------------------------------------------------------------------------------------

COMIC = "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf"


def _hand_font(size: int, cjk: bool):
    """A handwriting-like face: Comic Neue for Latin (fonts-comic-neue), the bundled CJK sans for Chinese."""
    import os

    from PIL import ImageFont

    if cjk:
        import pylopdf_fonts_zh_cn as zh

        return ImageFont.truetype(str(zh.sans_path()), size)
    if os.path.exists(COMIC):
        return ImageFont.truetype(COMIC, size)
    import matplotlib  # pragma: no cover - fallback

    return ImageFont.truetype(os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data/fonts/ttf/DejaVuSans.ttf"),
                              size)


def _scrawl(img, xy, text: str, size: int, seed: int, fill=(40, 40, 48)) -> None:
    """``text`` written letter by letter with a wobbling baseline, size and slant, as by hand."""
    import random

    from PIL import Image, ImageDraw

    from briefreel.text import is_cjk

    rng = random.Random(seed)
    x, y = xy
    for ch in text:
        cjk = is_cjk(ch)
        f = _hand_font(int(size * rng.uniform(0.93, 1.07)), cjk)
        if ch == " ":
            x += size * 0.35
            continue
        w = int(f.getlength(ch)) + 6
        tile = Image.new("L", (w, size * 2), 0)
        ImageDraw.Draw(tile).text((3, size // 3), ch, font=f, fill=255)
        tile = tile.rotate(rng.uniform(-6, 6), resample=Image.BICUBIC)
        img.paste(Image.new("RGB", tile.size, fill), (int(x), int(y + rng.uniform(-2, 2) - size // 3)), tile)
        x += w - 6 + rng.uniform(0, 1.5)


PANELS_EN = [
    ("Scene 1", ["EWS. Slow push in", "City rooftops at dawn."]),
    ("Scene 2", ["CU. Static", "MAYA: Morning already?"]),
    ("SHOT 3", ["Pan right across the kitchen.", "(4s)"]),
    ("SHOT 4A", ["Maya sips by the window."]),
    ("Scene 5", ["MS. Tilt down", "VO: Start with light."]),
    ("Scene 6", ["Logo on the cup.", "3s"]),
]
PANELS_ZH = [
    ("镜头 1", ["远景 推", "清晨的城市天际线。"]),
    ("镜头 2", ["特写 固定", "旁白：夏天来了。"]),
    ("镜头 3", ["女孩骑车穿过林荫道。"]),
    ("镜头 4", ["中景 右摇", "朋友们举杯。"]),
]


def drawn_page(panels=PANELS_EN, columns: int = 3, *, seed: int = 0, size=(1241, 1754)):
    """A page of hand-drawn storyboard frames (RGB array, 150 dpi A4): rectangles in a grid of ``columns``, a
    caption above each, a sketch inside (horizon, sun, a stick figure: different per panel), notes under it."""
    import random

    import numpy as np
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    W, H = size
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    margin, gap = 70, 50
    pw = (W - 2 * margin - (columns - 1) * gap) // columns
    ph = int(pw * 9 / 16)
    cell_h = ph + 260
    for i, (caption, notes) in enumerate(panels):
        r, c = divmod(i, columns)
        x0 = margin + c * (pw + gap)
        y0 = 140 + r * cell_h + 60
        _scrawl(img, (x0 + 4, y0 - 52), caption, 34, seed * 100 + i)
        # the frame, drawn a little unevenly
        j = lambda: rng.uniform(-1.5, 1.5)  # noqa: E731
        pts = [(x0 + j(), y0 + j()), (x0 + pw + j(), y0 + j()), (x0 + pw + j(), y0 + ph + j()), (x0 + j(), y0 + ph + j())]
        d.line(pts + [pts[0]], fill=(30, 30, 36), width=4)
        # the sketch: a horizon, a sun or a lamp, a stick figure; each panel different
        hy = y0 + int(ph * rng.uniform(0.55, 0.75))
        d.line([(x0 + 20, hy), (x0 + pw * 0.6, hy + rng.uniform(-8, 8))], fill=(70, 70, 80), width=2)
        sx, sy, sr = x0 + int(pw * rng.uniform(0.6, 0.85)), y0 + int(ph * 0.3), int(ph * rng.uniform(0.08, 0.16))
        d.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], outline=(60, 60, 70), width=3)
        fx, fy = x0 + int(pw * rng.uniform(0.2, 0.45)), y0 + int(ph * 0.35)
        d.ellipse([fx - 14, fy - 14, fx + 14, fy + 14], outline=(40, 40, 50), width=3)
        d.line([(fx, fy + 14), (fx, fy + 70)], fill=(40, 40, 50), width=3)
        d.line([(fx - 25, fy + 35), (fx + 25, fy + 40)], fill=(40, 40, 50), width=3)
        for k in range(3 + i):  # hatching: shade that differs per panel
            d.line([(x0 + 15 + 9 * k, y0 + ph - 15), (x0 + 35 + 9 * k, y0 + ph - 45)], fill=(90, 90, 100), width=2)
        for n, note in enumerate(notes):
            _scrawl(img, (x0 + 4, y0 + ph + 18 + 44 * n), note, 28, seed * 100 + 10 * i + n)
    return np.asarray(img)


def phone_scan(rgb, *, angle: float = 2.5, keystone: float = 0.015, seed: int = 0, paper=(236, 230, 214)):
    """``rgb`` as a phone scanning app gives it: tilted, a little keystoned, on warm paper with a shadow, noisy."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    k = keystone * w
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[k, 0], [w - k * 0.4, k * 0.3], [w, h], [0, h - k * 0.2]])
    img = cv2.warpPerspective(rgb, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(255, 255, 255))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255)).astype(np.float32) / 255.0
    shade = np.linspace(1.0, 0.86, w)[None, :, None] * np.linspace(1.0, 0.93, h)[:, None, None]
    img = img * np.array(paper, np.float32)[None, None, :] * shade
    img += np.random.default_rng(seed).normal(0, 6, img.shape[:2])[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)
