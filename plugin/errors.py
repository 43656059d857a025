"""What a Dify user reads when a tool cannot do its job: one clear line, never a traceback, never the password.

Errors that the user can fix (a wrong password, a scanned PDF, an expired file link) are returned as the tool's
output (``ok`` false, ``error_code``, ``error``, and the same line as text), so the workflow can branch on them.

Which code an error has is decided once, by :func:`briefreel.errors.error_payload`; this module only holds the
Dify wording for some codes (:data:`MESSAGES`) and :meth:`ToolUserError.from_error`, which applies it.
"""

from __future__ import annotations

from briefreel.errors import EXIT_USAGE, BriefreelError, error_payload, scrub

__all__ = ["MESSAGES", "ToolUserError", "scrub", "user_message"]

# Dify-specific wording for the typed errors of parsers/, storyboard/ and render/ (their .code), plus the plugin's.
MESSAGES: dict[str, str] = {
    "password_required": (
        "This PDF is password-protected. Give its password in the tool's \"PDF password\" input "
        "(for example from a Start-node variable)."
    ),
    "wrong_password": "The password does not open this PDF (neither its user nor its owner password). Check it and run again.",
    "unsupported_encryption": (
        "This PDF is encrypted for certificate (public-key) holders, which no password opens. "
        "Ask the sender for a password-protected or unencrypted copy."
    ),
    "damaged_pdf": "The file is damaged or is not a PDF.",
    "no_text": "The PDF has no text layer (scanned pages?). Export the brief with text, or OCR it first.",
    "renderer_unavailable": (
        "That renderer cannot run inside the plugin here. Pick the Panels renderer, or send Wan renders to the "
        "render service with the Render animatic tool."
    ),
    "no_file": "No brief was given: connect a PDF file (for example a Start-node file variable) to the Brief input.",
    "not_a_file": "The Brief input is not a file. Connect a file variable (a single PDF) to it.",
    "relative_url": (
        "Dify handed the plugin a file link without a host, so the plugin cannot download the brief. "
        "Set FILES_URL (or INTERNAL_FILES_URL) in Dify's .env to an address the plugin daemon can reach."
    ),
    "link_expired": (
        "Dify's link to the uploaded file was refused (signed file links expire after FILES_ACCESS_TIMEOUT, "
        "300 s by default). Run the workflow again."
    ),
    "no_model": "The LLM planner needs a model: choose one in the tool's Model setting, or use the Rules planner.",
    "service_not_configured": (
        "The render service is not set up: give its URL (and API key, if it has keys) in this tool's "
        "\"Render service URL\" and \"Render service API key\" settings."
    ),
    "service_auth": "The render service refused the API key. Check this tool's \"Render service API key\" setting.",
    "internal": "Something went wrong inside the plugin.",
}


class ToolUserError(BriefreelError):
    """An error meant for the workflow's user: a stable ``code`` and a one-line ``message`` (the Dify wording for
    the code when none is given)."""

    exit_code = EXIT_USAGE
    status = 422

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        super().__init__(message or MESSAGES.get(code) or MESSAGES["internal"])

    @classmethod
    def from_error(cls, exc: BaseException, secrets=()) -> "ToolUserError":
        """Any exception as what the user reads: its code (``error_payload``) and the Dify wording for it, the
        typed error's own message where there is none; scrubbed of ``secrets``."""
        secrets = list(secrets)
        if isinstance(exc, ToolUserError):
            return cls(exc.code, scrub(exc.message, secrets))
        return cls.from_payload(error_payload(exc, secrets), secrets)

    @classmethod
    def from_payload(cls, payload: dict, secrets=()) -> "ToolUserError":
        """An ``error_payload`` (also what a child process sends as its ``error`` event) in Dify's wording."""
        code = payload.get("code") or "internal"
        return cls(code, scrub(user_message(code, payload.get("message") or ""), list(secrets)))


# Codes whose typed message carries a useful detail (which renderer piece is missing, how the file is damaged).
WITH_DETAIL = ("renderer_unavailable", "damaged_pdf")


def user_message(code: str, detail: str = "") -> str:
    """The Dify wording for ``code`` (with the typed error's own message where it adds something), or that
    message when there is no Dify wording."""
    wording = MESSAGES.get(code)
    if not wording:
        return detail or MESSAGES["internal"]
    detail = detail.strip().rstrip(".")
    if code in WITH_DETAIL and detail and detail.lower() not in wording.lower():
        return f"{wording} ({detail[:300]}.)"
    return wording
