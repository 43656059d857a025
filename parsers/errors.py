"""Typed intake errors. Each has a stable exit code and a one-line message for stderr.

Messages never contain a password: they are built from fixed text and the file's own facts only.
"""

from __future__ import annotations

from briefreel.errors import BriefreelError


class BriefError(BriefreelError):
    """Base class: the brief could not be turned into text."""

    exit_code = 1
    code = "brief_error"
    status = 422
    default_message = "the brief could not be read"


class PasswordRequired(BriefError):
    exit_code = 10
    code = "password_required"
    default_message = "this PDF is password-protected: give its password (BRIEFREEL_PASSWORD or --password-file)"


class WrongPassword(BriefError):
    exit_code = 11
    code = "wrong_password"
    default_message = "the password does not open this PDF (neither its user nor its owner password)"


class UnsupportedEncryption(BriefError):
    exit_code = 12
    code = "unsupported_encryption"
    default_message = (
        "this PDF is encrypted with a certificate (public-key) security handler, which cannot be opened with a "
        "password; ask the sender for a password-protected or unencrypted copy"
    )


class DamagedPDF(BriefError):
    exit_code = 13
    code = "damaged_pdf"
    default_message = "the file is damaged or is not a PDF"


class LimitExceeded(BriefError):
    exit_code = 14
    code = "over_limit"
    default_message = "the PDF is over a safety limit"


class NoTextLayer(BriefError):
    exit_code = 15
    code = "no_text"
    default_message = "the PDF has no text layer (scanned pages?): export the brief with text, or OCR it first"


class ParseBusy(BriefError):
    """Every parse slot of the machine stayed taken for the whole wait (``parsers/slots.py``): try again after
    ``retry_after_s`` seconds (the service answers 503 with ``Retry-After``)."""

    exit_code = 16
    code = "busy"
    status = 503
    default_message = "busy: too many briefs are being read on this machine right now; try again shortly"

    def __init__(self, message: str | None = None, *, retry_after_s: int = 5):
        super().__init__(message)
        self.retry_after_s = int(retry_after_s)


ALL_ERRORS = (PasswordRequired, WrongPassword, UnsupportedEncryption, DamagedPDF, LimitExceeded, NoTextLayer)
