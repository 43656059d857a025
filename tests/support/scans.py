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
