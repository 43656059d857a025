"""Intake, top to bottom: read the file, check its size, decrypt in memory, extract, all in a sandboxed child.

    from briefreel.parsers import open_brief
    brief = open_brief("brief.pdf", password="reel-2026")
    brief.pages[0].text, brief.pages[0].tables, brief.metadata["title"], brief.encryption["method"]

Errors are the typed ones of parsers/errors.py (PasswordRequired, WrongPassword, UnsupportedEncryption,
DamagedPDF, LimitExceeded, NoTextLayer); none of them ever carries the password.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from briefreel.parsers.brief import Brief
from briefreel.parsers.errors import DamagedPDF, LimitExceeded
from briefreel.parsers.limits import Limits, human_bytes
from briefreel.parsers.parse import parse_bytes
from briefreel.parsers.sandbox import run as run_sandboxed

Source = str | os.PathLike | bytes | bytearray | memoryview


def open_brief(source: Source, password: str | bytes | None = None, *, limits: Limits | None = None,
               sandbox: bool = True, filename: str | None = None) -> Brief:
    """Decrypt (user, owner or empty password) and extract a PDF brief.

    Args:
        source: a path, or the PDF's bytes.
        password: the user or owner password; None tries the empty password (restrictions-only files).
        limits: safety limits; default ``Limits.from_env()``: 200 MiB file, 2000 pages, 64 MiB per stream /
            512 MiB decompressed, 180 s, 3 GiB memory, each overridable by a BRIEFREEL_* variable.
        sandbox: parse in a child process with memory/CPU limits and a wall timeout (default). False parses in
            this process (faster to start; for trusted files and debugging).
        filename: the name to record when ``source`` is bytes.
    """
    limits = limits or Limits.from_env()
    data, name = _read(source, limits)
    if filename is not None:
        name = filename
    digest = hashlib.sha256(data).hexdigest()
    if sandbox:
        brief = Brief.from_dict(run_sandboxed(data, password, limits))
    else:
        brief = parse_bytes(data, password, limits)
    brief.filename = name
    brief.sha256 = digest
    return brief


def _read(source: Source, limits: Limits) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = ""
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise DamagedPDF(f"no such file: {path}") from None
        except OSError as exc:
            raise DamagedPDF(f"cannot read {path}: {exc.strerror}") from None
        if path.is_dir():
            raise DamagedPDF(f"{path} is a folder, not a PDF")
        if size > limits.max_file_bytes:
            raise LimitExceeded(f"file size: {human_bytes(size)} is over {human_bytes(limits.max_file_bytes)} "
                                "(Limits.max_file_bytes)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DamagedPDF(f"cannot read {path}: {exc.strerror}") from None
        name = path.name
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(f"file size: {human_bytes(len(data))} is over {human_bytes(limits.max_file_bytes)} "
                            "(Limits.max_file_bytes)")
    return data, name
