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

    from briefreel.parsers.errors import DamagedPDF, NoTextLayer

    doc = decrypt(data, password, limits)
    data = None
    try:
        pages = extract_pages(doc.data, engine="pdfplumber" if doc.unembedded_cid_fonts else "auto")
    except NoTextLayer:
        # A file qpdf had to rebuild (a truncated download, a cut copy) that then shows no text is damaged, not
        # scanned: "no text layer" would send the user to OCR.
        if any("damaged" in w or "startxref" in w or "reconstruct" in w for w in doc.warnings):
            raise DamagedPDF("the file is damaged (truncated or cut short): its pages hold no readable text; "
                             "send the complete file") from None
        raise
    metadata = {k: clean_text(v) for k, v in doc.metadata.items()}
    warnings = [clean_text(w) for w in doc.warnings]
    read = [p for p in pages if p.ocr is not None]
    if read:
        from briefreel.parsers.ocr import ENGINE, mean_confidence

        numbers = ", ".join(str(p.number) for p in read)
        panels = sum(len(p.panels) for p in read)
        warnings.append(f"OCR: page{'s' if len(read) > 1 else ''} {numbers} had no text layer and "
                        f"{'were' if len(read) > 1 else 'was'} read by OCR ({ENGINE}), mean confidence "
                        f"{mean_confidence(read):.2f}" + (f"; {panels} drawn panels found" if panels else ""))
    return Brief(pages=pages, metadata=metadata, encryption=doc.encryption, warnings=warnings)
