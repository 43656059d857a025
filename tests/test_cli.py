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


# -- issue 17: the command line a newcomer trusts --------------------------------------------------------------------

def test_a_bare_password_is_refused_with_why_and_what_to_do():
    result = briefreel("shots", "examples/brief_en.pdf", "--password", "reel-2026")
    assert result.returncode == 2
    assert "password-file: No such file" not in result.stderr  # not taken as an abbreviation of --password-file
    assert "shows in `ps`" in result.stderr and "BRIEFREEL_PASSWORD" in result.stderr
    assert "--password-file FILE" in result.stderr and "reel-2026" not in result.stderr
    assert briefreel("shots", "examples/brief_en.pdf", "--password").returncode == 2


def test_abbreviations_are_off():
    result = briefreel("shots", "examples/brief_en.pdf", "--password-f", "x")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr
    result = briefreel("render", "x.json", "--ou", "out")
    assert result.returncode == 2


def test_out_an_existing_file_is_a_usage_error(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"title": "t", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 1.0, "description": "A cup on a table."}]}))
    for args in (("render", str(shots)), ("run", "examples/brief_en.pdf")):
        result = briefreel(*args, "--out", str(afile), env={"BRIEFREEL_PASSWORD": "reel-2026"})
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"briefreel: error: --out {afile}: a file of that name exists; give a folder"


def _no_torch(*argv: str) -> subprocess.CompletedProcess:
    code = ("import sys; sys.modules['torch'] = None; sys.modules['diffusers'] = None\n"
            "from briefreel.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_a_missing_wan_extra_is_31_with_the_install_line_for_every_command(tmp_path):
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"title": "t", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 1.0, "description": "A cup on a table."}]}))
    model = tmp_path / "model"
    model.mkdir()
    for argv in (("make-tiny-wan", str(tmp_path / "tiny")),
                 ("render", str(shots), "--out", str(tmp_path / "out"), "--renderer", "wan", "--model", str(model))):
        result = _no_torch(*argv)
        assert result.returncode == 31, (argv, result.stderr)
        assert "pip install 'briefreel[wan]'" in result.stderr and "internal error" not in result.stderr


def test_a_missing_input_file_is_one_code_and_one_message_for_every_command(tmp_path):
    for argv in (("parse", "missing.pdf"), ("shots", "missing.pdf"),
                 ("run", "missing.pdf", "--out", str(tmp_path / "o")), ("render", "missing.pdf", "--out",
                                                                          str(tmp_path / "o"))):
        result = briefreel(*argv, env={"BRIEFREEL_PASSWORD": "x"})
        assert result.returncode == 2, (argv, result.stderr)
        assert result.stderr.strip() == "briefreel: error: no such file: missing.pdf"


def test_a_truncated_pdf_is_damaged_not_scanned(tmp_path):
    data = (ROOT / "examples/brief_en.pdf").read_bytes()
    half = tmp_path / "half.pdf"
    half.write_bytes(data[: len(data) // 2])
    result = briefreel("parse", str(half), env={"BRIEFREEL_PASSWORD": "reel-2026"})
    assert result.returncode == 13, result.stderr
    assert "damaged" in result.stderr and "no text layer" not in result.stderr


def test_a_limit_message_names_the_setting_a_user_changes():
    result = briefreel("parse", "examples/brief_en.pdf", env={"BRIEFREEL_PASSWORD": "reel-2026",
                                                              "BRIEFREEL_MAX_PAGES": "1"})
    assert result.returncode == 14
    assert "BRIEFREEL_MAX_PAGES" in result.stderr and "Limits." not in result.stderr


def test_the_service_asks_for_the_password_form_field():
    from briefreel.parsers.errors import PasswordRequired
    from briefreel.service.errors import error_response

    body = json.loads(error_response(PasswordRequired()).body)
    assert body["error"]["code"] == "password_required"
    assert "`password` form field" in body["error"]["message"]
    assert "--password-file" not in body["error"]["message"] and "BRIEFREEL_PASSWORD" not in body["error"]["message"]


def test_a_missing_model_folder_fails_fast_and_a_missing_model_is_a_usage_error(tmp_path):
    import time

    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"title": "t", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 1.0, "description": "A cup on a table."}]}))
    start = time.monotonic()
    code = ("import sys\nfrom briefreel.cli import main\nrc = main(sys.argv[1:])\n"
            "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules, 'imported torch'\nsys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "render", str(shots), "--out", str(tmp_path / "o"),
                             "--renderer", "wan", "--model", "/no/such/folder"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 31, result.stderr
    assert "no such model folder" in result.stderr and time.monotonic() - start < 15
    result = briefreel("render", str(shots), "--out", str(tmp_path / "o"), "--renderer", "wan")
    assert result.returncode == 2 and "--model" in result.stderr


def test_progress_is_log_lines_when_stderr_is_not_a_terminal(tmp_path):
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"title": "t", "shots": [
        {"id": "S01", "size": "MS", "duration_s": 0.5, "description": "A cup on a table."},
        {"id": "S02", "size": "CU", "duration_s": 0.5, "description": "A kettle."}]}))
    result = briefreel("render", str(shots), "--out", str(tmp_path / "o"), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("briefreel: shots ") and "S01 rendered" in line for line in lines)
    assert any("S02 rendered" in line for line in lines)
    quiet = briefreel("render", str(shots), "--out", str(tmp_path / "o"), "--no-cache", "-q")
    assert "shots " not in quiet.stderr


def test_parse_progress_for_a_long_read():
    import io
    import time

    from briefreel.cli import Status, Heartbeat

    log = io.StringIO()
    status = Status(stream=log, every_s=0.05)
    with Heartbeat("long.pdf", status, after_s=0.05):
        time.sleep(0.4)
    text = log.getvalue()
    assert "briefreel: reading long.pdf:" in text and "briefreel: read long.pdf in" in text and "\r" not in text
    tty = io.StringIO()
    tty.isatty = lambda: True
    status = Status(stream=tty)
    with Heartbeat("long.pdf", status, after_s=0.05):
        time.sleep(0.2)
    assert "\rreading long.pdf" in tty.getvalue().replace("\x1b[K", "") and tty.getvalue().endswith("\n")


def test_interrupted_starts_a_new_line(monkeypatch):
    import io

    import briefreel.cli as cli

    class TTY(io.StringIO):
        def isatty(self):
            return True

    err = TTY()
    monkeypatch.setattr(sys, "stderr", err)

    def busy(args):
        cli.STATUS.show("shots 1/3: rendering S02")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_render", busy)
    assert cli.main(["render", "x.json", "--out", "o"]) == 130
    assert "rendering S02\nbriefreel: interrupted\n" in err.getvalue()


def test_version_and_exit_codes_in_help_and_one_cache_default():
    version = briefreel("--version")
    assert version.returncode == 0 and version.stdout.startswith("briefreel ")
    out = briefreel("--help").stdout
    assert "exit codes:" in out
    for code in ("0", "2", "10", "13", "15", "21", "31", "32", "130"):
        assert any(line.split()[:1] == [code] for line in out.splitlines()), code
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    render_help = " ".join(briefreel("render", "--help").stdout.split())
    assert "~/.cache/briefreel/clips" in render_help and "~/.cache/briefreel/clips" in readme
    from briefreel.render.cache import default_cache_dir

    env = {k: v for k, v in os.environ.items() if k != "BRIEFREEL_CACHE_DIR"}
    code = "from briefreel.render.cache import default_cache_dir; print(default_cache_dir())"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT).stdout
    assert shown.strip() == str(Path("~/.cache/briefreel/clips").expanduser())
    assert callable(default_cache_dir)
