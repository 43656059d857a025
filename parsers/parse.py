"""Decrypt and extract a PDF in this process: what the sandboxed child runs (``parsers/sandbox.py``), and what
``open_brief(..., sandbox=False)`` runs in the caller.

    brief = parse_bytes(data, password, Limits())

The PDF libraries (pikepdf, pdfplumber, pypdfium2) are imported on the first call, not with this module: the
sandboxed child caps its memory and CPU before it imports any of them, and a parent that only sandboxes never
loads them.
"""

from __future__ import annotations

from briefreel.parsers.brief import Brief
from briefreel.parsers.limits import Limits


def parse_bytes(data: bytes, password: str | bytes | None, limits: Limits) -> Brief:
    """Decrypt (user, owner or empty password) and extract ``data`` here, under qpdf's decoder caps."""
    from briefreel.parsers.decrypt import decrypt
    from briefreel.parsers.extract import clean_text, extract_pages

    doc = decrypt(data, password, limits)
    data = None
    pages = extract_pages(doc.data, engine="pdfplumber" if doc.unembedded_cid_fonts else "auto")
    metadata = {k: clean_text(v) for k, v in doc.metadata.items()}
    return Brief(pages=pages, metadata=metadata, encryption=doc.encryption,
                 warnings=[clean_text(w) for w in doc.warnings])
