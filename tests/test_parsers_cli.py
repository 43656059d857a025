"""``briefreel parse``: JSON out, the password from BRIEFREEL_PASSWORD or --password-file, and the exit codes of
the intake errors (10-15) with one line on stderr and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from examples.briefpdf import BriefPDF, encrypt, encrypt_with_certificate

ROOT = Path(__file__).resolve().parent.parent
SECRET = "reel-2026"


def briefreel(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "briefreel.cli", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_parse_json_with_env_password():
    r = briefreel("parse", "examples/brief_en.pdf", "--json", env={"BRIEFREEL_PASSWORD": SECRET})
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["page_count"] == 2 and d["filename"] == "brief_en.pdf"
    assert d["encryption"]["method"] == "AES-256" and d["encryption"]["opened_with"] == "user"
    assert d["metadata"]["title"].startswith("Aurora Coffee")
    table = d["pages"][0]["tables"][0]
    assert table[0][0] == "Shot" and len(table) == 8
    assert {"text", "x0", "top", "x1", "size", "bold"} <= set(d["pages"][0]["lines"][0])
    assert SECRET not in r.stdout and SECRET not in r.stderr


def test_parse_with_password_file(tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("分镜2026\n", encoding="utf-8")
    r = briefreel("parse", "examples/brief_zh.pdf", "--password-file", str(pw))
    assert r.returncode == 0, r.stderr
    assert "山岚是一家来自浙江的年轻饮料品牌" in r.stdout


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    plain = BriefPDF("x").paragraph("The brief text.").build()
    files = {
        "locked": encrypt(plain, user=SECRET, owner="owner", R=6),
        "cert": encrypt_with_certificate(plain),
        "garbage": os.urandom(3000),
        "scan": BriefPDF().scanned_page("SCANNED BRIEF").build(),
        "two_pages": BriefPDF().paragraph("one").page_break().paragraph("two").build(),
    }
    out = {}
    for name, data in files.items():
        (d / f"{name}.pdf").write_bytes(data)
        out[name] = d / f"{name}.pdf"
    return out


@pytest.mark.parametrize("name,env,code", [
    ("locked", {}, 10),
    ("locked", {"BRIEFREEL_PASSWORD": "wrong-password-Ω"}, 11),
    ("cert", {}, 12),
    ("garbage", {}, 13),
    ("two_pages", {"BRIEFREEL_MAX_PAGES": "1"}, 14),
    ("scan", {"BRIEFREEL_OCR": "0"}, 15),  # OCR off; with OCR the scan reads (tests/test_ocr.py)
])
def test_exit_codes_one_line_no_traceback(bad_files, name, env, code):
    r = briefreel("parse", str(bad_files[name]), "--json", env=env)
    assert r.returncode == code
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("briefreel: error: ")
    assert "Traceback" not in r.stderr and r.stdout == ""
    if "BRIEFREEL_PASSWORD" in env:
        assert env["BRIEFREEL_PASSWORD"] not in r.stderr
