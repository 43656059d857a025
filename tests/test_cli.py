"""The briefreel command line as a user meets it: commands, flags, one-line errors with documented exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BRIEFREEL = [sys.executable, "-m", "briefreel.cli"]


def briefreel(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "BRIEFREEL_PASSWORD"}
    full_env.update(env or {})
    return subprocess.run([*BRIEFREEL, *args], capture_output=True, text=True, env=full_env, cwd=cwd or ROOT,
                          timeout=300)


def test_help_lists_every_command():
    out = briefreel("--help").stdout
    for command in ("parse", "shots", "run", "render", "make-tiny-wan", "serve", "worker"):
        assert command in out


def test_there_is_no_password_argument():
    # A bare password on the command line would show in `ps` and shell history.
    for command in ("parse", "shots", "run"):
        out = briefreel(command, "--help").stdout
        assert "--password-file" in out
        assert "--password " not in out and "--password=" not in out
    result = briefreel("parse", "examples/brief_en.pdf", "--password", "reel-2026")
    assert result.returncode == 2


def test_wan_flags_are_refused_for_the_panel_renderer(tmp_path):
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"title": "t", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 1.0, "description": "A cup on a table."}]}))
    result = briefreel("render", str(shots), "--out", str(tmp_path / "out"), "--steps", "4", "--guidance-2", "3")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["briefreel: error: --guidance-2, --steps: only with --renderer wan"]
    assert not (tmp_path / "out" / "animatic.mp4").exists()


def test_size_must_be_multiples_of_16(tmp_path):
    result = briefreel("render", "x.json", "--out", str(tmp_path), "--renderer", "wan", "--size", "833x480")
    assert result.returncode == 2
    assert "multiples of 16" in result.stderr


@pytest.mark.parametrize(
    "content, code, words",
    [
        ("{not json", 21, "not a valid shots.json"),
        (json.dumps({"title": "t", "shots": []}), 21, "shots"),
        (json.dumps({"shots": [{"id": "S01", "size": "HUGE", "duration_s": 2, "description": "x"}]}), 21, "size"),
        (json.dumps({"shots": [{"id": "S01", "size": "MS", "duration_s": -1, "description": "x"}]}), 21, "duration_s"),
    ],
)
def test_an_invalid_shots_json_is_one_line_and_exit_21(tmp_path, content, code, words):
    shots = tmp_path / "shots.json"
    shots.write_text(content)
    result = briefreel("render", str(shots), "--out", str(tmp_path / "out"))
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("briefreel: error:") and words in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "animatic.mp4").exists()


def test_a_missing_shots_file_is_a_usage_error(tmp_path):
    result = briefreel("render", str(tmp_path / "nope.json"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_shots_to_a_file_matches_stdout(tmp_path):
    env = {"BRIEFREEL_PASSWORD": "分镜2026"}
    to_stdout = briefreel("shots", "examples/brief_zh.pdf", env=env)
    assert to_stdout.returncode == 0, to_stdout.stderr
    out = tmp_path / "shots.json"
    to_file = briefreel("shots", "examples/brief_zh.pdf", "-o", str(out), env=env)
    assert to_file.returncode == 0 and to_file.stdout == ""
    board = json.loads(out.read_text(encoding="utf-8"))
    assert board == json.loads(to_stdout.stdout)
    assert board["language"] == "zh" and board["aspect_ratio"] == "9:16"
    assert abs(sum(s["duration_s"] for s in board["shots"]) - board["target_duration_s"]) < 0.05
    assert "分镜2026" not in out.read_text(encoding="utf-8")


def test_llm_planner_without_a_model_says_so_and_gives_the_rules_shots():
    env = {"BRIEFREEL_PASSWORD": "reel-2026", "BRIEFREEL_LLM": ""}
    llm = briefreel("shots", "examples/brief_en.pdf", "--planner", "llm", env=env)
    rules = briefreel("shots", "examples/brief_en.pdf", env=env)
    assert llm.returncode == 0 and rules.returncode == 0
    assert "LLM planner's answer was not used" in llm.stderr and "BRIEFREEL_LLM" in llm.stderr
    assert [s["id"] for s in json.loads(llm.stdout)["shots"]] == [s["id"] for s in json.loads(rules.stdout)["shots"]]
    assert json.loads(rules.stdout)["source"].get("problems") is None  # the example brief passes every check
