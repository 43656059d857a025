"""Password candidates for the standard security handler, and SASLprep (RFC 4013).

Writers disagree on how a typed password becomes bytes: PDF 2.0 (R5/R6) says UTF-8 after SASLprep, but qpdf and
pikepdf apply no SASLprep; R2-R4 passwords are PDFDocEncoding, while pikepdf sends a ``str`` as UTF-8. So we try,
in order: the password as given (UTF-8), its SASLprep form, then PDFDocEncoding and latin-1 bytes.
"""

from __future__ import annotations

import stringprep
import unicodedata
from typing import Iterator


class SASLprepError(ValueError):
    """The string holds a character RFC 4013 prohibits (the message never repeats the string)."""


def _in_c12(ch: str) -> bool:  # non-ASCII space characters
    return stringprep.in_table_c12(ch)


_PROHIBITED = (
    stringprep.in_table_c12,  # non-ASCII space (after mapping none should remain, but check as the RFC says)
    stringprep.in_table_c21,  # ASCII control
    stringprep.in_table_c22,  # non-ASCII control
    stringprep.in_table_c3,  # private use
    stringprep.in_table_c4,  # non-character code points
    stringprep.in_table_c5,  # surrogate codes
    stringprep.in_table_c6,  # inappropriate for plain text
    stringprep.in_table_c7,  # inappropriate for canonical representation
    stringprep.in_table_c8,  # change display properties / deprecated
    stringprep.in_table_c9,  # tagging characters
)


def saslprep(text: str, *, allow_unassigned: bool = True) -> str:
    """RFC 4013 SASLprep: map, NFKC-normalise, prohibit, check bidi.

    ``allow_unassigned`` follows RFC 3454 §7 "queries" (True, the right choice when checking a password someone
    typed) or "stored strings" (False).
    """
    # 1. Map: non-ASCII spaces become SPACE; "commonly mapped to nothing" (B.1) characters are removed.
    mapped = "".join(" " if _in_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch))
    # 2. Normalise with Unicode form KC.
    norm = unicodedata.normalize("NFKC", mapped)
    if not norm:
        return norm
    # 3. Prohibit.
    for ch in norm:
        if any(check(ch) for check in _PROHIBITED):
            raise SASLprepError("SASLprep: prohibited character")
        if not allow_unassigned and stringprep.in_table_a1(ch):
            raise SASLprepError("SASLprep: unassigned code point")
    # 4. Bidirectional characters (RFC 3454 §6).
    if any(stringprep.in_table_d1(ch) for ch in norm):
        if any(stringprep.in_table_d2(ch) for ch in norm):
            raise SASLprepError("SASLprep: mixes right-to-left and left-to-right text")
        if not (stringprep.in_table_d1(norm[0]) and stringprep.in_table_d1(norm[-1])):
            raise SASLprepError("SASLprep: right-to-left text must start and end with a right-to-left character")
    return norm


def _pdfdoc(text: str) -> bytes | None:
    try:
        import pikepdf  # noqa: F401  (registers the "pdfdoc" codec)

        return text.encode("pdfdoc")
    except (UnicodeEncodeError, LookupError, ImportError):
        return None


def candidates(password: str | bytes | None) -> Iterator[tuple[str, bytes]]:
    """Yield ``(kind, password_bytes)`` to try, without duplicates; ``kind`` says which form it is.

    No password (None or "") yields only the empty password: files with restrictions but no user password open
    with it. A given password is tried as UTF-8, SASLprep'd UTF-8, PDFDocEncoding and latin-1; the empty password
    comes last, so a file that needs no password still opens when a stray one is set in the environment.
    """
    if password is None or password == "" or password == b"":
        yield "empty", b""
        return
    seen: set[bytes] = set()

    def fresh(b: bytes | None) -> bool:
        if b is None or b in seen:
            return False
        seen.add(b)
        return True

    if isinstance(password, (bytes, bytearray)):
        raw = bytes(password)
        if fresh(raw):
            yield "given", raw
        try:
            password = raw.decode("utf-8")
        except UnicodeDecodeError:
            return
    utf8 = password.encode("utf-8")
    if fresh(utf8):
        yield "given", utf8
    try:
        prepped = saslprep(password).encode("utf-8")
    except SASLprepError:
        prepped = None
    if fresh(prepped):
        yield "saslprep", prepped
    if fresh(_pdfdoc(password)):
        yield "pdfdoc", _pdfdoc(password)
    try:
        latin = password.encode("latin-1")
    except UnicodeEncodeError:
        latin = None
    if fresh(latin):
        yield "latin-1", latin
    if fresh(b""):
        yield "empty", b""
