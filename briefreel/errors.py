"""The one error base every layer raises from, and the one map from an error to what a surface shows.

Every typed error of ``parsers/``, ``storyboard/`` and ``render/`` (and of the job contract and the surfaces)
derives from :class:`BriefreelError`, so the CLI, the render service and the Dify plugin ask one question of an
exception instead of duck-typing ``code``/``exit_code``:

    >>> payload = error_payload(exc)      # {"code": "wrong_password", "message": "...", "exit_code": 11}

Messages are *safe*: built from fixed text and the file's own facts, never from a password (see :func:`scrub`,
which every surface also applies as defence in depth). An exception that is not a ``BriefreelError`` is an
internal error: code ``internal``, exit 1, and its text is not shown (it could hold anything).

This module is a leaf: it imports nothing of briefreel, so every layer may import it.
"""

from __future__ import annotations

from typing import Iterable

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

INTERNAL_MESSAGE = "internal error (set BRIEFREEL_DEBUG=1 for the traceback)"


class BriefreelError(Exception):
    """Base of every typed briefreel error: a stable ``code`` (snake_case, part of the public contract), the
    ``exit_code`` the CLI returns (README, "Exit codes"), an HTTP ``status`` for the service, and a one-line
    ``message`` that is safe to show anywhere."""

    code = "error"
    exit_code = EXIT_INTERNAL
    status = 500
    default_message = "briefreel could not do that"

    def __init__(self, message: str | None = None, *args: object):
        super().__init__(message or self.default_message, *args)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args and self.args[0] else self.default_message

    def __str__(self) -> str:
        return self.message


class UsageError(BriefreelError):
    """A request the caller can correct: an unknown option, a value out of range, a missing input."""

    code = "usage"
    exit_code = EXIT_USAGE
    status = 422
    default_message = "invalid request"


class InvalidOptions(UsageError):
    """Render or job options that fail validation (NaN, inf, negative sizes, unknown devices or plans...)."""

    code = "invalid_option"


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every secret in ``text`` with ``***`` (defence in depth: messages are built without secrets)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def error_payload(exc: BaseException, secrets: Iterable[str | None] = ()) -> dict:
    """``{"code", "message", "exit_code", "status"}`` for any exception: a typed error's own fields, else
    ``internal`` with a fixed message. The message is scrubbed of ``secrets`` and kept to one line."""
    if isinstance(exc, BriefreelError):
        message = " ".join(scrub(exc.message, list(secrets)).split())
        return {"code": exc.code, "message": message, "exit_code": int(exc.exit_code), "status": int(exc.status)}
    if isinstance(exc, KeyboardInterrupt):
        return {"code": "interrupted", "message": "interrupted", "exit_code": EXIT_INTERRUPTED, "status": 499}
    return {"code": "internal", "message": INTERNAL_MESSAGE, "exit_code": EXIT_INTERNAL, "status": 500}


def exit_code_of(exc: BaseException) -> int:
    return error_payload(exc)["exit_code"]
