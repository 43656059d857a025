"""The Dify plugin's declarations and package: manifest, provider and tool YAML (as the SDK and the daemon read
them), and ``make plugin``'s .difypkg (contents, filters, size, requirements, reproducibility)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from briefreel.plugin.package import MAX_BYTES, IgnoreRules, build, collect, requirements

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("brief_to_storyboard", "render_animatic", "animatic_status")
PARAM_TYPES = {"string", "number", "boolean", "select", "secret-input", "file", "files", "app-selector",
               "model-selector", "any", "dynamic-select", "array", "object", "checkbox", "date", "date-range"}


def load(rel: str) -> dict:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


def i18n_ok(obj) -> bool:
    return isinstance(obj, dict) and bool(obj.get("en_US", "").strip()) and bool(obj.get("zh_Hans", "").strip())


def test_manifest_matches_dify_schema_and_project():
    m = load("manifest.yaml")
    assert m["type"] == "plugin"
    assert re.fullmatch(r"[a-z0-9_-]{1,128}", m["name"]) and re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", m["author"])
    assert m["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert m["meta"]["runner"] == {"language": "python", "version": "3.12", "entrypoint": "main"}
    assert set(m["meta"]["arch"]) == {"amd64", "arm64"}
    assert i18n_ok(m["label"]) and i18n_ok(m["description"])
    assert (ROOT / "plugin" / "_assets" / m["icon"]).is_file()
    created = datetime.fromisoformat(m["created_at"].replace("Z", "+00:00"))
    assert created <= datetime.now(timezone.utc)  # the Marketplace refuses a future created_at
    assert isinstance(m["resource"]["memory"], int) and m["resource"]["memory"] >= 256 * 1024 * 1024
    assert m["resource"]["permission"]["model"] == {"enabled": True, "llm": True}  # reverse-invoked LLM planner
    assert set(m["tags"]) <= {"search", "image", "videos", "weather", "finance", "design", "travel", "social",
                              "news", "medical", "productivity", "education", "business", "entertainment",
                              "utilities", "rag", "other"}
    assert m["plugins"] == {"tools": ["plugin/provider/briefreel.yaml"]}


def test_provider_and_tools_follow_the_daemon_rules_in_both_languages():
    provider = load("plugin/provider/briefreel.yaml")
    ident = provider["identity"]
    assert ident["name"] == "briefreel" and i18n_ok(ident["label"]) and i18n_ok(ident["description"])
    assert (ROOT / "plugin" / "_assets" / ident["icon"]).is_file()
    creds = provider["credentials_for_provider"]
    assert creds["render_service_url"]["type"] == "text-input"
    assert creds["render_service_api_key"]["type"] == "secret-input"
    for cred in creds.values():
        assert cred["required"] is False and i18n_ok(cred["label"]) and i18n_ok(cred["help"])
    assert (ROOT / provider["extra"]["python"]["source"]).is_file()
    assert provider["tools"] == [f"plugin/tools/{t}.yaml" for t in TOOLS]
    for rel in provider["tools"]:
        tool = load(rel)
        name = Path(rel).stem
        assert tool["identity"]["name"] == name and re.fullmatch(r"[a-zA-Z0-9_-]+", name)
        assert i18n_ok(tool["identity"]["label"]) and i18n_ok(tool["description"]["human"])
        assert tool["description"]["llm"].strip()
        assert tool["extra"]["python"]["source"] == f"plugin/tools/{name}.py"
        assert tool["output_schema"]["type"] == "object"
        for key in ("ok", "error_code", "error", "summary"):
            assert key in tool["output_schema"]["properties"], (name, key)
        for p in tool["parameters"]:
            assert p["type"] in PARAM_TYPES and p["form"] in ("schema", "form", "llm"), p["name"]
            assert i18n_ok(p["label"]) and i18n_ok(p["human_description"]), p["name"]
            if p["form"] == "llm":
                assert p.get("llm_description", "").strip(), p["name"]
            for option in p.get("options", []):
                assert i18n_ok(option["label"]), (p["name"], option["value"])
            if p["type"] == "select" and "default" in p:
                assert p["default"] in [o["value"] for o in p["options"]]


def test_brief_to_storyboard_parameters_as_the_issue_asks():
    params = {p["name"]: p for p in load("plugin/tools/brief_to_storyboard.yaml")["parameters"]}
    assert params["brief"]["type"] == "file" and params["brief"]["required"] is True
    assert params["password"]["type"] == "secret-input" and params["password"]["required"] is False
    assert [o["value"] for o in params["planner"]["options"]] == ["rules", "llm"]
    assert params["model"]["type"] == "model-selector" and params["model"]["scope"] == "llm"
    assert params["renderer"]["default"] == "panel"
    props = load("plugin/tools/brief_to_storyboard.yaml")["output_schema"]["properties"]
    for key in ("shot_count", "duration_s", "title", "language", "aspect_ratio", "storyboard"):
        assert key in props


def test_sdk_loads_the_packaged_plugin(tmp_path):
    """The SDK's own loader (PluginRegistration: manifest, provider, tools, classes, assets) on the staged package."""
    build(tmp_path / "dist", stage=tmp_path / "stage")
    script = (
        "import json; from dify_plugin import DifyPluginEnv;"
        "from dify_plugin.core.plugin_registration import PluginRegistration;"
        "r = PluginRegistration(DifyPluginEnv());"
        "p = r.tools_configuration[0];"
        "print(json.dumps({'plugin': r.configuration.name, 'provider': p.identity.name,"
        " 'tools': {t.identity.name: [x.name for x in t.parameters] for t in p.tools},"
        " 'classes': {k: sorted(v[2]) for k, v in r.tools_mapping.items()},"
        " 'assets': [f.filename for f in r.files]}))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path / "stage", capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["plugin"] == "briefreel" and info["provider"] == "briefreel"
    assert info["tools"]["brief_to_storyboard"] == ["brief", "password", "planner", "model", "renderer",
                                                    "max_file_mb", "time_budget_s"]
    assert info["classes"] == {"briefreel": sorted(TOOLS)}
    assert info["assets"] == ["icon.svg"]


def test_make_plugin_builds_a_small_clean_reproducible_package(tmp_path):
    first = build(tmp_path / "a")
    second = build(tmp_path / "b")
    assert first.name == f"briefreel-{load('manifest.yaml')['version']}.difypkg"
    assert first.read_bytes() == second.read_bytes()  # same sources, same bytes
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        raw = sum(i.file_size for i in zf.infolist())
        assert zf.testzip() is None
        main_py = zf.read("main.py").decode()
        reqs = zf.read("requirements.txt").decode()
    assert raw < MAX_BYTES and first.stat().st_size < MAX_BYTES
    for must in ("manifest.yaml", "_assets/icon.svg", "main.py", "requirements.txt", "plugin/main.py",
                 "plugin/worker.py", "plugin/provider/briefreel.yaml", "plugin/provider/briefreel.py",
                 *(f"plugin/tools/{t}.{ext}" for t in TOOLS for ext in ("yaml", "py")),
                 "parsers/__init__.py", "storyboard/schema.py", "render/base.py", "briefreel/__init__.py",
                 "briefreel/errors.py"):
        assert must in names, must
    for name in names:
        assert not name.startswith(("tests/", "bench/", "examples/", ".venv/", "dist/", "briefreel/service/")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
    assert "pyproject.toml" not in names  # the daemon would prefer it over requirements.txt
    assert "from briefreel.plugin.main import plugin" in main_py
    lines = [ln for ln in reqs.splitlines() if ln and not ln.startswith("#")]
    assert any(ln.startswith("dify-plugin") for ln in lines) and any(ln.startswith("pikepdf") for ln in lines)
    assert not any(re.match(r"(torch|diffusers|transformers)\b", ln) for ln in lines)


def test_difyignore_has_gitignore_semantics():
    rules = IgnoreRules(["# comment", "*.log", "!keep.log", "build/", "/top.txt", "docs/**/draft.md", "a/*.tmp"])
    assert rules.ignored("x.log") and rules.ignored("deep/down/x.log")
    assert not rules.ignored("keep.log") and not rules.ignored("sub/keep.log")
    assert rules.ignored("build", is_dir=True) and rules.ignored("src/build/out.bin")
    assert not rules.ignored("build")  # a file named build: the pattern is for folders
    assert rules.ignored("top.txt") and not rules.ignored("sub/top.txt")
    assert rules.ignored("docs/draft.md") and rules.ignored("docs/a/b/draft.md") and not rules.ignored("draft.md")
    assert rules.ignored("a/x.tmp") and not rules.ignored("b/a/x.tmp")


def test_package_respects_the_difyignore_file(tmp_path):
    for rel in ("manifest.yaml", "pyproject.toml", "README.md"):
        (tmp_path / rel).write_bytes((ROOT / rel).read_bytes())
    shutil.copytree(ROOT / "plugin", tmp_path / "plugin", ignore=shutil.ignore_patterns("__pycache__"))
    for package in ("parsers", "storyboard", "render"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "render" / "secret.env").write_text("x")
    (tmp_path / "render" / "notes.md").write_text("x")
    (tmp_path / ".difyignore").write_text("*.env\n")
    (tmp_path / ".gitignore").write_text("*.md\n")  # ignored: .difyignore wins
    files = collect(tmp_path)
    assert "render/notes.md" in files and "render/secret.env" not in files
    assert "README.md" in files and "_assets/icon.svg" in files


def test_requirements_come_from_pyproject():
    text = requirements()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["plugin"]:
        assert dep in text.splitlines()


@pytest.mark.parametrize("bad", ["version: 9.9.9\n"])
def test_version_mismatch_is_refused(tmp_path, bad):
    from briefreel.plugin.package import PackageError

    (tmp_path / "manifest.yaml").write_text(re.sub(r"(?m)^version: .*\n", bad, (ROOT / "manifest.yaml").read_text(),
                                                   count=1))
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    with pytest.raises(PackageError, match="differs"):
        collect(tmp_path)


def test_sample_workflow_dsl_wires_start_to_our_tool_to_end():
    dsl = load("examples/dify_workflow.yml")
    assert dsl["kind"] == "app" and dsl["app"]["mode"] == "workflow"
    assert re.fullmatch(r"\d+\.\d+\.\d+", dsl["version"])
    nodes = {n["id"]: n["data"] for n in dsl["workflow"]["graph"]["nodes"]}
    by_type = {d["type"]: (i, d) for i, d in nodes.items()}
    assert set(by_type) == {"start", "tool", "end"}
    start_id, start = by_type["start"]
    tool_id, tool = by_type["tool"]
    end_id, end = by_type["end"]
    edges = {(e["source"], e["target"]) for e in dsl["workflow"]["graph"]["edges"]}
    assert edges == {(start_id, tool_id), (tool_id, end_id)}
    start_vars = {v["variable"]: v for v in start["variables"]}
    assert start_vars["brief"]["type"] == "file" and start_vars["brief"]["required"] is True
    assert start_vars["password"]["type"] == "text-input" and start_vars["password"]["required"] is False
    manifest, provider = load("manifest.yaml"), load("plugin/provider/briefreel.yaml")
    assert tool["provider_id"] == f"{manifest['author']}/{manifest['name']}/{provider['identity']['name']}"
    assert tool["provider_type"] == "builtin" and tool["tool_name"] == "brief_to_storyboard"
    params = {p["name"]: p for p in load("plugin/tools/brief_to_storyboard.yaml")["parameters"]}
    for name, value in tool["tool_parameters"].items():
        assert params[name]["form"] == "llm"  # node inputs
    for name, value in tool["tool_configurations"].items():
        assert params[name]["form"] == "form" and value["type"] == "constant"
        if params[name]["type"] == "select":
            assert value["value"] in [o["value"] for o in params[name]["options"]]
    assert tool["tool_parameters"]["brief"] == {"type": "variable", "value": [start_id, "brief"]}
    assert tool["tool_parameters"]["password"]["value"] == f"{{{{#{start_id}.password#}}}}"
    outputs = load("plugin/tools/brief_to_storyboard.yaml")["output_schema"]["properties"]
    for out in end["outputs"]:
        node, field = out["value_selector"]
        assert node == tool_id and (field in ("json", "files", "text") or field in outputs), field
