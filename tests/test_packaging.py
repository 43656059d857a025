"""Installed, briefreel is one import name: the wheel holds ``briefreel/`` and nothing generic beside it.

The repository keeps the user's top-level folders (parsers/ storyboard/ render/ plugin/); pyproject's
``package-dir`` installs them as ``briefreel.parsers`` and so on. These tests build the real wheel and import from
it, away from the checkout.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("briefreel-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_has_one_top_level_import(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        top = {n.split("/", 1)[0] for n in names}
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if top_level:
            assert zf.read(top_level[0]).decode().split() == ["briefreel"]
    assert {t for t in top if not t.endswith(".dist-info")} == {"briefreel"}, top
    for must in ("briefreel/__init__.py", "briefreel/errors.py", "briefreel/cli.py", "briefreel/parsers/__init__.py",
                 "briefreel/storyboard/schema.py", "briefreel/render/pipeline.py", "briefreel/render/exports/sheet.py",
                 "briefreel/plugin/tools/brief_to_storyboard.yaml", "briefreel/plugin/_assets/icon.svg",
                 "briefreel/service/app.py", "briefreel/service/safety_words/en.txt"):
        assert must in names, must
    assert not any(n.startswith(("tests/", "bench/", "examples/")) for n in names)
    assert "briefreel = briefreel.cli:main" in entry_points


@pytest.mark.slow
def test_the_installed_wheel_imports_away_from_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    code = ("import briefreel, briefreel.parsers, briefreel.storyboard.schema, briefreel.render.base, "
            "briefreel.errors; print(briefreel.parsers.__file__); print(briefreel.__path__)")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    parsers_file, path = run.stdout.splitlines()
    assert parsers_file.startswith(str(target / "briefreel" / "parsers")), parsers_file
    assert str(ROOT) not in path  # the checkout's mapping stays out of an installed briefreel
