"""Intake: decrypt and extract a PDF brief.

    from briefreel.parsers import open_brief
    brief = open_brief("brief.pdf", password="...")   # -> parsers.brief.Brief
"""

from briefreel.parsers.brief import Brief, Line, Page, Panel
from briefreel.parsers.limits import Limits
from briefreel.parsers.errors import (
    BriefError,
    DamagedPDF,
    LimitExceeded,
    NoTextLayer,
    ParseBusy,
    PasswordRequired,
    UnsupportedEncryption,
    WrongPassword,
)

__all__ = [
    "Brief", "Page", "Line", "Panel", "Limits", "open_brief",
    "BriefError", "PasswordRequired", "WrongPassword", "UnsupportedEncryption", "DamagedPDF", "LimitExceeded",
    "NoTextLayer", "ParseBusy",
]


def open_brief(source, password=None, **kwargs):
    """Decrypt (if needed) and extract ``source`` (a path or the PDF's bytes). See parsers/intake.py."""
    from briefreel.parsers.intake import open_brief as _open

    return _open(source, password=password, **kwargs)
