"""Shared test setup: the repository root on sys.path (for ``examples.briefpdf``) and a few small briefs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def simple_pdf() -> bytes:
    """A one-page English brief with a title and a paragraph (unencrypted)."""
    from examples.briefpdf import BriefPDF

    return (BriefPDF("Simple brief", author="Test Author")
            .heading("Simple brief")
            .paragraph("A lighthouse keeper climbs the stairs at dawn.")
            .build())
