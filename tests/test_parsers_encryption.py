"""Decryption: every standard handler x user / owner / empty user password, Unicode passwords, certificates,
and the password never leaking (messages, reprs, tracebacks, the child's argv and environment)."""

from __future__ import annotations

import subprocess
import traceback

import pytest

from examples.briefpdf import encrypt, encrypt_with_certificate
from briefreel.parsers import (
    PasswordRequired,
    UnsupportedEncryption,
    WrongPassword,
    open_brief,
)
from briefreel.parsers.passwords import SASLprepError, candidates, saslprep

TEXT = "A lighthouse keeper climbs the stairs at dawn."

HANDLERS = [  # (R, aes, expected method)
    (2, False, "RC4-40"),
    (3, False, "RC4-128"),
    (4, False, "RC4-128"),
    (4, True, "AES-128"),
    (5, True, "AES-256"),
    (6, True, "AES-256"),
]


@pytest.mark.parametrize("R,aes,method", HANDLERS, ids=[f"R{r}-{m}" for r, _, m in HANDLERS])
@pytest.mark.parametrize("kind", ["user", "owner", "empty"])
def test_every_handler_and_password_kind(simple_pdf, R, aes, method, kind):
    user = "" if kind == "empty" else "u-secret-1"
    locked = encrypt(simple_pdf, user=user, owner="o-secret-2", R=R, aes=aes)
    password = {"user": "u-secret-1", "owner": "o-secret-2", "empty": None}[kind]
    brief = open_brief(locked, password, sandbox=False)
    assert TEXT in brief.text
    assert brief.page_count == 1
    assert brief.metadata["title"] == "Simple brief"
    assert brief.metadata["author"] == "Test Author"
    enc = brief.encryption
    assert enc["handler"] == "Standard" and enc["R"] == R and enc["method"] == method
    assert enc["opened_with"] == kind
    assert "u-secret-1" not in str(brief.to_dict()) and "o-secret-2" not in str(brief.to_dict())


def test_unencrypted_file_has_no_encryption_and_ignores_a_stray_password(simple_pdf):
    assert open_brief(simple_pdf, sandbox=False).encryption is None
    assert TEXT in open_brief(simple_pdf, "stray", sandbox=False).text


def test_restrictions_only_file_opens_with_a_wrong_stray_password(simple_pdf):
    locked = encrypt(simple_pdf, user="", owner="owner-only", R=6)
    brief = open_brief(locked, "not-this-one", sandbox=False)
    assert brief.encryption["opened_with"] == "empty" and TEXT in brief.text


@pytest.mark.parametrize("password", ["密码123", "分镜2026", "æøå-Ωμέγα", "пароль", "Á•Ž€π🥔"])
def test_unicode_passwords_r6(simple_pdf, password):
    locked = encrypt(simple_pdf, user=password, owner="owner", R=6)
    assert TEXT in open_brief(locked, password, sandbox=False).text
    with pytest.raises(WrongPassword):
        open_brief(locked, password + "x", sandbox=False)


def test_r6_written_with_saslprep_opens_with_the_typed_password(simple_pdf):
    """A writer that applied SASLprep stored 'IXx' for the typed 'Ⅸx' and 'SaSLprep' for 'S\\xaaSL\\xadprep'."""
    for typed in ("Ⅸx", "S\u00aaSL\u00adprep"):
        locked = encrypt(simple_pdf, user=saslprep(typed), owner="owner", R=6)
        brief = open_brief(locked, typed, sandbox=False)
        assert brief.encryption["opened_with"] == "user" and TEXT in brief.text


def test_r6_written_without_saslprep_opens_too(simple_pdf):
    nfd = "cafe\u0301"  # qpdf/pikepdf write the bytes as typed, NFD included
    locked = encrypt(simple_pdf, user=nfd, owner="owner", R=6)
    assert TEXT in open_brief(locked, nfd, sandbox=False).text


@pytest.mark.parametrize("R", [2, 3, 4])
def test_latin1_password_on_rc4_and_aes128(simple_pdf, R):
    """R2-R4 store PDFDocEncoding; pikepdf would send 'café' as UTF-8, so the latin-1 candidate must be tried."""
    locked = encrypt(simple_pdf, user="café", owner="propriétaire", R=R)
    assert open_brief(locked, "café", sandbox=False).encryption["opened_with"] == "user"
    assert open_brief(locked, "propriétaire", sandbox=False).encryption["opened_with"] == "owner"


def test_password_required_vs_wrong_password(simple_pdf):
    locked = encrypt(simple_pdf, user="reel-2026", owner="owner", R=6)
    with pytest.raises(PasswordRequired) as e1:
        open_brief(locked, sandbox=False)
    assert e1.value.exit_code == 10
    with pytest.raises(PasswordRequired):
        open_brief(locked, "", sandbox=False)
    with pytest.raises(WrongPassword) as e2:
        open_brief(locked, "reel-2025", sandbox=False)
    assert e2.value.exit_code == 11


def test_certificate_encryption_is_unsupported(simple_pdf):
    locked = encrypt_with_certificate(simple_pdf)
    for password in (None, "anything"):
        with pytest.raises(UnsupportedEncryption) as exc:
            open_brief(locked, password, sandbox=False)
        assert exc.value.exit_code == 12
        assert "certificate" in str(exc.value)


def test_sandboxed_open_matches_in_process(simple_pdf):
    locked = encrypt(simple_pdf, user="分镜2026", owner="owner", R=6)
    a = open_brief(locked, "分镜2026", sandbox=True)
    b = open_brief(locked, "分镜2026", sandbox=False)
    assert a.to_dict() == b.to_dict()
    assert a.sha256 and len(a.sha256) == 64


def _all_text_of(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), repr(exc.args)] + traceback.format_exception(exc))


@pytest.mark.parametrize("sandbox", [False, True])
def test_wrong_password_never_leaks(simple_pdf, sandbox):
    secret = "s3cr3t-Ω-分镜"
    locked = encrypt(simple_pdf, user="the-real-one", owner="owner", R=6)
    with pytest.raises(WrongPassword) as exc:
        open_brief(locked, secret, sandbox=sandbox)
    assert secret not in _all_text_of(exc.value)
    assert "the-real-one" not in _all_text_of(exc.value)


def test_password_goes_through_the_pipe_not_argv_or_env(simple_pdf, monkeypatch):
    """Spy on the real Popen: read the live child's /proc cmdline and environ while it parses."""
    import briefreel.child as runner  # the sandbox starts its child through the one runner

    secret = "pipe-only-Σ-密码"
    locked = encrypt(simple_pdf, user=secret, owner="owner", R=6)
    monkeypatch.setenv("BRIEFREEL_PASSWORD", secret)
    seen = {}
    real_popen = subprocess.Popen

    class SpyPopen(real_popen):
        def __init__(self, args, *a, **kw):
            super().__init__(args, *a, **kw)
            seen["argv"] = list(args)
            seen["env"] = dict(kw.get("env") or {})
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                seen["cmdline"] = f.read()
            with open(f"/proc/{self.pid}/environ", "rb") as f:
                seen["environ"] = f.read()

    monkeypatch.setattr(runner.subprocess, "Popen", SpyPopen)
    brief = open_brief(locked, secret, sandbox=True)
    assert TEXT in brief.text
    enc = secret.encode("utf-8")
    assert secret not in " ".join(seen["argv"])
    assert secret not in " ".join(f"{k}={v}" for k, v in seen["env"].items())
    assert "BRIEFREEL_PASSWORD" not in seen["env"]
    assert enc not in seen["cmdline"] and enc not in seen["environ"]


# -- SASLprep and candidates --------------------------------------------------------------------------------------------

def test_saslprep_rfc4013_examples():
    assert saslprep("I\u00adX") == "IX"  # soft hyphen mapped to nothing
    assert saslprep("user") == "user"
    assert saslprep("USER") == "USER"  # case preserved
    assert saslprep("\u00aa") == "a"  # NFKC
    assert saslprep("\u2168") == "IX"  # NFKC
    assert saslprep("a\u00a0b") == "a b"  # non-ASCII space to SPACE
    with pytest.raises(SASLprepError):
        saslprep("\u0007")  # prohibited (ASCII control)
    with pytest.raises(SASLprepError):
        saslprep("\u0627\u0031")  # bidi: RandALCat must start and end the string


def test_candidates_order_and_no_duplicates():
    kinds = [k for k, _ in candidates("café")]
    assert kinds[0] == "given" and "latin-1" in kinds or "pdfdoc" in kinds
    values = [v for _, v in candidates("café")]
    assert len(values) == len(set(values)) and values[-1] == b""
    assert list(candidates(None)) == [("empty", b"")]
    assert [v for _, v in candidates("Ⅸx")][:2] == ["Ⅸx".encode(), b"IXx"]
