"""The job contract (briefreel/job.py) is the one list of render options: the CLI, the render service and the Dify
plugin accept the same set, refuse the same bad values with the same words, and the set is the renderers' own
``__init__`` parameters."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from briefreel.errors import BriefreelError, InvalidOptions, UsageError, error_payload
from briefreel.job import (FINISHED_SHOT_STATES, RENDERER_INTERNAL, RENDERERS, RenderOptions, check_pdf, clamp,
                           option_specs, shot_state, spec_for, storyboard_brief)

ROOT = Path(__file__).resolve().parents[1]
KEY = "contract-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

# One valid value for every option (a new field needs one here: the first test says so).
SAMPLE = {
    "renderer": "wan", "seed": 7, "use_cache": False, "model": "/models/wan2.1-t2v-1.3b", "revision": "main",
    "steps": 8, "guidance": 4.5, "guidance_2": 3.0, "flow_shift": 5.0, "width": 832, "height": 480,
    "memory": "model_offload", "device": "cuda:1", "dtype": "bfloat16", "vae_tiling": True,
    "preset": "fast", "lora": "/models/lightx2v_rank64.safetensors:0.8", "cache": "fbc:0.08", "t5_cpu": True,
    "compile": True, "attention": "_flash_3",
}
LORA_NAME = "/models/lightx2v_rank64.safetensors"  # a bare path in BRIEFREEL_LORAS is its own name
CLI_ONLY = {"-h", "--help", "--out", "--cache-dir", "-q", "--quiet",  # where files go, how chatty: not job options
            "--music", "--vo", "--no-audio"}  # sound from files on this machine (render.audio)
SERVICE_ONLY = {"brief", "password", "shots", "planner", "priority", "variants"}
PLUGIN_ONLY = {"shots", "brief", "password", "wait_s", "max_file_mb", "render_service_url", "render_service_api_key",
               "variants"}
FIELDS = set(RenderOptions.model_fields)

BOARD = {"title": "Harbour", "language": "en", "shots": [
    {"id": "S01", "size": "LS", "duration_s": 1.0, "description": "A harbour at dawn", "prompt": "a quiet harbour"}]}


@pytest.fixture
def client(tmp_path):
    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings

    # the sample's model is one the operator lists (a service refuses every other name: BRIEFREEL_MODELS)
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=0, models=(SAMPLE["model"],),
                        loras=(LORA_NAME,))
    with TestClient(create_app(settings)) as c:
        yield c


def submit(client, data: dict):
    files = {"shots": ("shots.json", json.dumps(BOARD).encode(), "application/json")}
    form = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()}
    return client.post("/v1/jobs", headers=AUTH, files=files, data=form)


def cli_parser(command: str = "render"):
    from briefreel.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return subparsers.choices[command]


def cli_argv(values: dict) -> list[str]:
    argv = []
    for name, value in values.items():
        spec = spec_for(name)
        if spec.flag == "--size":
            if name == "width":
                argv += ["--size", f"{values['width']}x{values['height']}"]
        elif spec.kind == "boolean":
            argv.append(spec.flag if spec.flag.startswith("--no-") else ("--" if value else "--no-") + spec.flag[2:])
        else:
            argv += [spec.flag, str(value)]
    return argv


def plugin_parameters() -> dict[str, dict]:
    tool = yaml.safe_load((ROOT / "plugin" / "tools" / "render_animatic.yaml").read_text(encoding="utf-8"))
    return {p["name"]: p for p in tool["parameters"]}


# -- one set of options, three surfaces ---------------------------------------------------------------------------

def test_the_sample_covers_every_option():
    assert set(SAMPLE) == FIELDS, "give the new option a valid value in SAMPLE"
    assert RenderOptions.build(SAMPLE).to_dict() == SAMPLE


@pytest.mark.parametrize("command", ["render", "run"])
def test_every_cli_render_flag_is_a_contract_option_and_every_option_has_a_flag(command):
    flag_fields: set[str] = set()
    for action in cli_parser(command)._actions:
        flags = set(action.option_strings)
        if not flags or flags & CLI_ONLY or action.dest in ("password_file", "planner"):
            continue
        fields = {spec.name for spec in option_specs() if spec.flag in flags or "--no-" + spec.flag[2:] in flags}
        assert fields, f"CLI flag {sorted(flags)} is not a job-contract option"
        flag_fields |= fields
    assert flag_fields == FIELDS


def test_cli_service_and_plugin_accept_the_same_render_options(client):
    # the CLI: every flag, parsed and validated by the contract
    from briefreel.cli import render_options as cli_options

    args = cli_parser().parse_args(["shots.json", "--out", "out", *cli_argv(SAMPLE)])
    assert cli_options(args).to_dict() == SAMPLE

    # the service: the same set in its form (OpenAPI), and a job submitted with all of them keeps them
    spec = client.get("/openapi.json", headers=AUTH).json()
    form = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) - SERVICE_ONLY == FIELDS
    assert form["properties"]["memory"]["enum"] == list(spec_for("memory").choices)
    r = submit(client, SAMPLE)
    assert r.status_code == 202, r.text
    stored = r.json()["options"]
    assert {k: stored[k] for k in FIELDS} == SAMPLE
    assert stored["planner"] == "rules" and stored["source"] == "shots.json"

    # the plugin: the same set in render_animatic.yaml, and the tool's code reads every one of them
    from briefreel.plugin.service import form_fields, render_options as plugin_options

    params = plugin_parameters()
    assert set(params) - PLUGIN_ONLY == FIELDS
    assert plugin_options(dict(SAMPLE, wait_s=0, shots="{}")).to_dict() == SAMPLE
    # ...and what it sends is what the service stores
    assert RenderOptions.build(form_fields(RenderOptions.build(SAMPLE))).to_dict() == SAMPLE


def test_plugin_parameters_match_the_option_types():
    params = plugin_parameters()
    for spec in option_specs():
        param = params[spec.name]
        if spec.choices:
            assert param["type"] == "select" and {o["value"] for o in param["options"]} == set(spec.choices)
        elif spec.kind == "boolean" and spec.default is None:  # unset, on or off
            assert param["type"] == "select" and [o["value"] for o in param["options"]] == ["true", "false"]
        elif spec.kind == "boolean":
            assert param["type"] == "boolean" and param["default"] == spec.default
        elif spec.kind in ("integer", "number"):
            assert param["type"] == "number", spec.name
            low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
            if low is not None:
                assert param["min"] >= low and (param["min"] > low or spec.minimum is not None), spec.name
            if spec.maximum is not None:
                assert param["max"] <= spec.maximum, spec.name
        else:
            assert param["type"] == "string", spec.name
        assert param["label"]["en_US"] and param["label"]["zh_Hans"], spec.name


def test_the_plugin_default_renderer_is_wan_and_empty_fields_are_unset():
    from briefreel.plugin.service import render_options as plugin_options

    options = plugin_options({"renderer": "", "model": "", "steps": None, "use_cache": True, "vae_tiling": None,
                              "preset": "", "lora": "", "cache": "", "t5_cpu": False, "compile": False})
    assert options.renderer == "wan" and options.to_dict() == {"renderer": "wan", "use_cache": True,
                                                               "t5_cpu": False, "compile": False}
    assert options.renderer_kwargs() == {"t5_cpu": False, "compile": False}


def test_a_panel_job_stores_no_wan_defaults():
    """Dify's form sends every field, the booleans at their defaults: a panel job does not store Wan settings."""
    options = RenderOptions.build({"renderer": "panel", "t5_cpu": False, "compile": "false", "preset": ""})
    assert options.to_dict() == {"renderer": "panel", "use_cache": True} and options.renderer_kwargs() == {}


def test_fast_mode_values():
    build = RenderOptions.build
    assert build({"renderer": "wan", "attention": "FA3"}).attention == "_flash_3"  # the usual names are aliases
    assert build({"renderer": "wan", "attention": "sdpa"}).attention == "native"
    assert build({"renderer": "wan", "cache": "MAG"}).cache == "mag"
    assert build({"renderer": "wan", "cache": "off"}).cache is None  # "off"/"none": no step cache
    assert build({"renderer": "wan", "lora": "C:/loras/x.safetensors"}).lora == "C:/loras/x.safetensors"
    assert build({"renderer": "wan", "t5_cpu": "true", "compile": "1"}).renderer_kwargs() == \
        {"t5_cpu": True, "compile": True}


def test_the_service_takes_lora_names_not_paths(client):
    """Like models, a LoRA is a name the operator lists (BRIEFREEL_LORAS): a client never names a server path."""
    from briefreel.service.settings import Settings
    from briefreel.service.submission import LORA_REFUSED, resolve_model

    for value in ("/etc/passwd", "/models/other.safetensors:1.0", "../lightx2v_rank64.safetensors"):
        r = submit(client, {"renderer": "wan", "lora": value})
        assert r.status_code == 422 and r.json()["error"]["message"] == LORA_REFUSED, r.text
    r = submit(client, {"renderer": "wan", "model": SAMPLE["model"], "lora": "lightning:0.5"})
    assert r.status_code == 422
    settings = Settings(models={"a14b": "/srv/wan"}, loras={"lightning": "/srv/loras/l.safetensors"})
    resolved = resolve_model({"renderer": "wan", "model": "a14b", "lora": "lightning:0.5"}, settings)
    assert resolved["model"] == "/srv/wan" and resolved["lora"] == "/srv/loras/l.safetensors:0.5"


# -- one refusal, three surfaces -----------------------------------------------------------------------------------

BAD = [
    ({"renderer": "wan", "guidance": "nan"}, "guidance", "finite"),
    ({"renderer": "wan", "guidance": "inf"}, "guidance", "finite"),
    ({"renderer": "wan", "guidance_2": "-inf"}, "guidance_2", "finite"),
    ({"renderer": "wan", "flow_shift": "-1"}, "flow_shift", "greater than 0"),
    ({"renderer": "wan", "steps": "0"}, "steps", "greater than or equal to 1"),
    ({"renderer": "wan", "steps": "-4"}, "steps", "greater than or equal to 1"),
    ({"renderer": "wan", "width": "-832", "height": "480"}, "width", "greater than 0"),
    ({"renderer": "wan", "width": "833", "height": "480"}, "width", "multiples of 16"),
    ({"renderer": "wan", "device": "tpu"}, "device", "unknown device"),
    ({"renderer": "wan", "dtype": "int8"}, "dtype", "bfloat16"),
    ({"renderer": "wan", "memory": "everything"}, "memory", "sequential_offload"),
    ({"renderer": "dalle"}, "renderer", "'panel' or 'wan'"),
    ({"seed": "-1"}, "seed", "greater than or equal to 0"),
    ({"renderer": "panel", "steps": "4"}, "steps", "only with renderer wan"),
    ({"renderer": "wan", "preset": "turbo"}, "preset", "'fast' or 'quality'"),
    ({"renderer": "wan", "cache": "teacache"}, "cache", "unknown step cache"),
    ({"renderer": "wan", "cache": "fbc:0"}, "cache", "above 0"),
    ({"renderer": "wan", "cache": "mag:x"}, "cache", "must be a number"),
    ({"renderer": "wan", "lora": "x.safetensors:nan"}, "lora", "finite number"),
    ({"renderer": "wan", "attention": "xformers"}, "attention", "'sage'"),
    ({"renderer": "panel", "t5_cpu": "true"}, "t5_cpu", "only with renderer wan"),
    ({"renderer": "panel", "preset": "fast"}, "preset", "only with renderer wan"),
]


@pytest.mark.parametrize("values, name, words", BAD)
def test_bad_options_are_one_invalid_options_message(values, name, words):
    with pytest.raises(InvalidOptions) as info:
        RenderOptions.build(values)
    message = info.value.message
    assert message.startswith(f"{name}: ") and words in message and "\n" not in message
    payload = error_payload(info.value)
    assert payload["code"] == "invalid_option" and payload["exit_code"] == 2 and payload["status"] == 422


@pytest.mark.parametrize("values, name, words", BAD)
def test_every_surface_refuses_with_the_same_words(client, capsys, tmp_path, values, name, words):
    from briefreel.cli import main
    from briefreel.plugin.errors import ToolUserError
    from briefreel.plugin.service import render_options as plugin_options

    with pytest.raises(InvalidOptions) as info:
        RenderOptions.build(values)
    reason = info.value.message.split(": ", 1)[1]  # the words after the option's name

    # the service: a 422 before any job row or file exists
    r = submit(client, values)
    assert r.status_code == 422 and r.json()["error"] == {"code": "invalid_option", "message": info.value.message}
    assert client.get("/v1/jobs", headers=AUTH).json()["jobs"] == []
    assert not (tmp_path / "data" / "files" / "jobs").exists() or not any((tmp_path / "data" / "files" / "jobs").iterdir())

    # the plugin: refused before anything is sent
    with pytest.raises(ToolUserError) as plugin_error:
        plugin_options(values)
    assert plugin_error.value.code == "invalid_option" and info.value.message in plugin_error.value.message

    # the CLI: exit 2, one line naming the flag, the same words (before the shots file is even read)
    cli_values = dict(values)
    argv = []
    if "width" in cli_values:
        argv = [f"--size={cli_values.pop('width')}x{cli_values.pop('height')}"]
    for key, value in cli_values.items():
        spec = spec_for(key)
        if spec.kind == "boolean" and not spec.flag.startswith("--no-"):  # --t5-cpu / --no-t5-cpu take no value
            argv.append(spec.flag if str(value).lower() == "true" else "--no-" + spec.flag[2:])
        else:
            argv.append(f"{spec.flag}={value}")
    assert main(["render", str(tmp_path / "missing.json"), "--out", str(tmp_path / "out"), *argv]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"briefreel: error: {spec_for(name).flag}") and line.endswith(reason.replace(
        "renderer wan", "--renderer wan")), line


def test_a_nan_job_never_reaches_the_job_list(client):
    assert submit(client, {"renderer": "wan", "guidance": "nan"}).status_code == 422
    assert submit(client, {"renderer": "wan", "guidance": 4.0}).status_code == 202
    jobs = client.get("/v1/jobs", headers=AUTH)
    assert jobs.status_code == 200 and [j["options"]["guidance"] for j in jobs.json()["jobs"]] == [4.0]


# -- derived from the renderers' own parameters ----------------------------------------------------------------------

def renderer_classes() -> dict[str, type]:
    from briefreel.render.panel import PanelRenderer
    from briefreel.render.wan import WanRenderer

    return {"panel": PanelRenderer, "wan": WanRenderer}


def test_the_renderers_are_the_pipelines():
    from briefreel.render.pipeline import RENDERERS as PIPELINE_RENDERERS

    assert tuple(PIPELINE_RENDERERS) == RENDERERS == spec_for("renderer").choices
    assert set(renderer_classes()) == set(RENDERERS)


def test_every_renderer_parameter_is_carried_by_the_contract():
    """Fails when WanRenderer or PanelRenderer gains an __init__ parameter the job contract does not carry (add a
    RenderOptions field, or say in RENDERER_INTERNAL why it is not a job option), and when the contract passes an
    option to a renderer that does not take it."""
    renderer_specs = [s for s in option_specs() if s.scope == "renderer"]
    for name, cls in renderer_classes().items():
        params = {p.name for p in inspect.signature(cls.__init__).parameters.values()
                  if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        carried = {s.name for s in renderer_specs if name in s.renderers}
        missing = params - carried - set(RENDERER_INTERNAL)
        assert not missing, f"{cls.__name__}.__init__ takes {sorted(missing)}: add them to RenderOptions"
        assert carried <= params, f"RenderOptions passes {sorted(carried - params)} to {cls.__name__}"
    every_param = set().union(*(inspect.signature(c.__init__).parameters for c in renderer_classes().values()))
    assert set(RENDERER_INTERNAL) <= every_param, "RENDERER_INTERNAL names a parameter no renderer has"


def test_renderer_kwargs_are_what_the_renderer_takes():
    from briefreel.render.panel import PanelRenderer

    wan = RenderOptions.build(SAMPLE)
    assert wan.renderer_kwargs() == {k: v for k, v in SAMPLE.items() if k not in ("renderer", "use_cache")}
    panel = RenderOptions.build({"renderer": "panel", "seed": 3, "use_cache": False})
    assert panel.renderer_kwargs() == {"seed": 3}
    assert PanelRenderer(**panel.renderer_kwargs()).base_seed == 3


def test_memory_plans_are_the_wan_renderers():
    from briefreel.render.wan import MEMORY_PLANS

    assert spec_for("memory").choices == MEMORY_PLANS


def test_the_contract_imports_no_torch_and_no_web_framework():
    code = ("import sys, briefreel.job, briefreel.cli, briefreel.plugin.service; "
            "bad = [m for m in ('torch', 'diffusers', 'fastapi', 'uvicorn', 'starlette') if m in sys.modules]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_web_framework_imports_live_only_in_the_service():
    offenders = []
    for folder in ("briefreel", "parsers", "storyboard", "render", "plugin"):
        for path in (ROOT / folder).rglob("*.py"):
            if "service" in path.relative_to(ROOT).parts[:2]:
                continue
            text = path.read_text(encoding="utf-8")
            if any(f"import {m}" in text or f"from {m}" in text for m in ("fastapi", "uvicorn", "starlette")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# -- the small shared rules ------------------------------------------------------------------------------------------

def test_clamp_is_nan_safe():
    assert clamp("12", 5, 0, 10) == 10 and clamp(-3, 5, 0, 10) == 0 and clamp("x", 5, 0, 10) == 5
    assert clamp(float("nan"), 5, 0, 10) == 5 and clamp(None, 5, 0, 10) == 5
    assert clamp(math.inf, 5, 0, 10) == 10


def test_one_progress_state_map():
    assert [shot_state(s) for s in ("started", "rendered", "reused", "failed")] == \
        ["rendering", "done", "reused", "failed"]
    assert set(FINISHED_SHOT_STATES) == {"done", "reused"}


def test_the_pdf_check_and_storyboard_brief():
    with pytest.raises(BriefreelError) as info:
        check_pdf(b"<html>not a pdf</html>", "brief.pdf")
    assert info.value.code == "damaged_pdf" and info.value.message == \
        '"brief.pdf" is not a PDF. Give the brief as a PDF file.'
    pdf = (ROOT / "examples" / "brief_en.pdf").read_bytes()
    planned = storyboard_brief(pdf, "reel-2026", filename="brief_en.pdf", sandbox=False)
    assert planned.brief.filename and len(planned.board.shots) >= 3 and planned.notes == []
    with pytest.raises(InvalidOptions):
        storyboard_brief(pdf, "reel-2026", planner="magic")
    asked = []
    planned = storyboard_brief(pdf, ask_password=lambda: asked.append(1) or "reel-2026", sandbox=False)
    assert asked == [1] and planned.board.shots


def test_every_surface_error_is_a_briefreel_error():
    from briefreel.cli import UsageError as CliUsageError
    from briefreel.plugin.errors import ToolUserError
    from briefreel.service.errors import ApiError

    assert CliUsageError is UsageError
    tool = ToolUserError("wrong_password")
    api = ApiError(429, "rate_limited", "slow down")
    assert isinstance(tool, BriefreelError) and isinstance(api, BriefreelError)
    assert error_payload(tool)["code"] == "wrong_password" and "password" in error_payload(tool)["message"]
    assert error_payload(api) == {"code": "rate_limited", "message": "slow down", "exit_code": 1, "status": 429}
    assert ToolUserError.from_error(InvalidOptions("steps: no"), ["no"]).message == "steps: ***"
