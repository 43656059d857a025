"""The Dify plugin's declarations and package: manifest, provider and tool YAML (as the SDK and the daemon read
them, re-read from the built .difypkg against the daemon's field rules), and ``make plugin``'s .difypkg and
unpacked folder (contents, filters, size, exact pins agreeing with pyproject, minimum Dify version, privacy file,
reproducibility).

The daemon rules are cited from langgenius/dify-plugin-daemon @ bdb5642a (pkg/entities/...)."""

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

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from briefreel.plugin.package import (
    LOCK, MAX_BYTES, IgnoreRules, PackageError, build, collect, declared_requirements, lock_pins, lock_problems,
    required_dify_version,
)

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("brief_to_storyboard", "render_animatic", "animatic_status")
# tool_declaration.go, isToolParameterType
PARAM_TYPES = {"string", "number", "boolean", "select", "secret-input", "file", "files", "app-selector",
               "model-selector", "any", "dynamic-select", "array", "object", "checkbox", "date", "date-range"}
# tool_declaration.go, isToolParameterForm
PARAM_FORMS = {"schema", "form", "llm"}
# manifest_entities/tags.go, isPluginTag
PLUGIN_TAGS = {"search", "image", "videos", "weather", "finance", "design", "travel", "social", "news", "medical",
               "productivity", "education", "business", "entertainment", "utilities", "agent", "rag", "other",
               "trigger"}
# manifest_entities/version.go, VERSION_PATTERN
VERSION = re.compile(r"\d{1,4}(\.\d{1,4}){2}(-\w{1,16})?")
# plugin_declaration.go, AuthorRegex and PluginNameRegex (ManifestValidate)
AUTHOR, PLUGIN_NAME = re.compile(r"[a-z0-9_-]{1,64}"), re.compile(r"[a-z0-9_-]{1,128}")
# tool_declaration.go, toolIdentityNameRegex / toolProviderIdentityNameRegex
IDENTITY_NAME = re.compile(r"[a-zA-Z0-9_-]+")
# basic_type.go, I18nObject: en_US required (0 < len < 1024), ja_JP/zh_Hans/pt_BR optional (< 1024); YAML keys outside
# these four are dropped silently by the daemon's unmarshal, so a typo (zh_CN) would lose a translation
I18N_KEYS = {"en_US", "zh_Hans", "ja_JP", "pt_BR"}
# config.go, isCredentialType
CREDENTIAL_TYPES = {"secret-input", "text-input", "select", "boolean", "app-selector", "model-selector", "array[tools]"}
# config.go, isScope: a scope is valid only on these types, with these values
SCOPES = {"model-selector": {"llm", "text-embedding", "rerank", "tts", "speech2text", "moderation", "vision",
                             "document", "tool-call"},
          "app-selector": {"all", "chat", "workflow", "completion"},
          "any": {"string", "number", "object", "array[number]", "array[string]", "array[object]", "array[file]"}}


def load(rel: str) -> dict:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


def i18n_ok(obj) -> bool:
    return isinstance(obj, dict) and bool(obj.get("en_US", "").strip()) and bool(obj.get("zh_Hans", "").strip())


def test_manifest_matches_dify_schema_and_project():
    m = load("manifest.yaml")
    assert m["type"] == "plugin"
    assert PLUGIN_NAME.fullmatch(m["name"]) and AUTHOR.fullmatch(m["author"])
    assert m["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert m["meta"]["runner"] == {"language": "python", "version": "3.12", "entrypoint": "main"}
    assert set(m["meta"]["arch"]) == {"amd64", "arm64"}
    assert i18n_ok(m["label"]) and i18n_ok(m["description"])
    assert (ROOT / "plugin" / "_assets" / m["icon"]).is_file()
    created = datetime.fromisoformat(m["created_at"].replace("Z", "+00:00"))
    assert created <= datetime.now(timezone.utc)  # the Marketplace refuses a future created_at
    assert isinstance(m["resource"]["memory"], int) and m["resource"]["memory"] >= 256 * 1024 * 1024
    assert m["resource"]["permission"]["model"] == {"enabled": True, "llm": True}  # reverse-invoked LLM planner
    assert set(m["tags"]) <= PLUGIN_TAGS
    assert m["plugins"] == {"tools": ["plugin/provider/briefreel.yaml"]}
    # structured output (the LLM planner) needs Dify 1.5.1; the pinned SDK pairs with the newest README row at or
    # below it (dify-plugin 0.9.0 -> Dify 1.14.2)
    sdk = lock_pins((ROOT / LOCK).read_text())["dify-plugin"]
    assert Version(m["meta"]["minimum_dify_version"]) >= Version(required_dify_version(sdk)) >= Version("1.14.2")
    assert m["privacy"] == "PRIVACY.md" and len((ROOT / "PRIVACY.md").read_text().strip()) > 500


def test_provider_and_tools_follow_the_daemon_rules_in_both_languages():
    provider = load("plugin/provider/briefreel.yaml")
    ident = provider["identity"]
    assert ident["name"] == "briefreel" and i18n_ok(ident["label"]) and i18n_ok(ident["description"])
    assert (ROOT / "plugin" / "_assets" / ident["icon"]).is_file()
    # no credentials: Dify holds back every tool of a provider that declares any until they are saved (issue 12)
    assert "credentials_for_provider" not in provider and "oauth_schema" not in provider
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
                                                    "render_service_url", "render_service_api_key", "wan_model",
                                                    "preset", "lora", "max_file_mb", "time_budget_s"]
    assert info["classes"] == {"briefreel": sorted(TOOLS)}
    assert info["assets"] == ["icon.svg"]


def test_make_plugin_builds_a_small_clean_reproducible_package(tmp_path):
    first = build(tmp_path / "a", stage=tmp_path / "a" / "briefreel")
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
                 "briefreel/errors.py", "PRIVACY.md", "README.md"):
        assert must in names, must
    assert LOCK not in names  # its pins are requirements.txt
    for name in names:
        assert not name.startswith(("tests/", "bench/", "examples/", ".venv/", "dist/", "briefreel/service/")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
    assert "pyproject.toml" not in names  # the daemon would prefer it over requirements.txt
    assert "from briefreel.plugin.main import plugin" in main_py
    assert reqs.endswith((ROOT / LOCK).read_text())  # the lock, under a header
    pins = lock_pins(reqs)
    assert "dify-plugin" in pins and "pikepdf" in pins and len(pins) > 40
    assert not any(re.match(r"(torch|diffusers|transformers)\b", name) for name in pins)
    # item 7: the same files unpacked, with manifest.yaml, main.py and _assets/ at the folder's root, so Dify's own
    # packager (`dify plugin package dist/briefreel`) finds what it expects
    stage = tmp_path / "a" / "briefreel"
    assert (stage / "manifest.yaml").is_file() and (stage / "main.py").is_file() and (stage / "_assets").is_dir()
    staged = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    assert staged == sorted(names)
    with zipfile.ZipFile(first) as zf:
        assert all((stage / n).read_bytes() == zf.read(n) for n in names)
    (stage / "stale.txt").write_text("left from an older build")
    build(tmp_path / "a", stage=stage)
    assert not (stage / "stale.txt").exists()  # a rebuild replaces the folder
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not a package")
    with pytest.raises(PackageError, match="not an unpacked plugin package"):
        build(tmp_path / "a", stage=tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "not a package"


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
    for rel in ("manifest.yaml", "pyproject.toml", "README.md", "PRIVACY.md"):
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


def test_the_lock_pins_every_declared_requirement_within_its_range():
    """Item 4: pyproject's base + plugin + llm requirements each have an exact pin in the lock that satisfies them
    (on CPython 3.12, Linux amd64 and arm64: `make plugin-lock` resolves both and requires them equal)."""
    pins = lock_pins((ROOT / LOCK).read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["plugin"] + \
        project["optional-dependencies"]["llm"]
    assert set(declared_requirements()) == set(declared)
    for line in declared:
        req = Requirement(line)
        assert req.marker is None or req.marker.evaluate({"python_version": "3.12", "sys_platform": "linux"})
        pin = pins[canonicalize_name(req.name)]
        assert req.specifier.contains(pin, prereleases=True), (line, pin)
    for raw in (ROOT / LOCK).read_text().splitlines():  # exact pins only: no ranges, URLs or editable installs
        line = raw.split("#", 1)[0].strip()
        assert not line or re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][^ ;]*( ;.*)?", line), raw
    assert lock_problems() == []


def _project_copy(tmp_path: Path) -> Path:
    for rel in ("manifest.yaml", "pyproject.toml", "README.md", "PRIVACY.md"):
        (tmp_path / rel).write_bytes((ROOT / rel).read_bytes())
    shutil.copytree(ROOT / "plugin", tmp_path / "plugin", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_stale_lock_is_refused(tmp_path):
    root = _project_copy(tmp_path)
    lock = (root / LOCK).read_text()
    pyproject = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(pyproject.replace('"pikepdf>=10.0"', '"pikepdf>=99"'))
    assert any("pikepdf" in p and "does not satisfy" in p for p in lock_problems(root))
    with pytest.raises(PackageError, match="make plugin-lock"):
        collect(root)
    (root / "pyproject.toml").write_text(pyproject.replace('"tqdm>=4.66",', '"tqdm>=4.66", "not-in-the-lock>=1",'))
    assert any("not-in-the-lock" in p and "no pin" in p for p in lock_problems(root))
    (root / "pyproject.toml").write_text(pyproject)
    (root / LOCK).write_text(lock.replace("pikepdf==", "pikepdf>="))
    with pytest.raises(PackageError, match="not an exact pin"):
        collect(root)
    (root / LOCK).write_text(lock + "torch==2.4.0\n")
    with pytest.raises(PackageError, match="must not require"):
        collect(root)


@pytest.mark.parametrize("version", ["1.0.0", "1.5.1", "1.14.1"])
def test_a_minimum_dify_version_below_what_the_plugin_needs_is_refused(tmp_path, version):
    root = _project_copy(tmp_path)
    manifest = (root / "manifest.yaml").read_text()
    (root / "manifest.yaml").write_text(re.sub(r"minimum_dify_version: .*", f"minimum_dify_version: {version}",
                                               manifest))
    with pytest.raises(PackageError, match="minimum_dify_version"):
        collect(root)
    assert required_dify_version("0.4.0") == "1.5.1" and required_dify_version("0.3.0") == "1.5.1"
    assert required_dify_version("0.10.2") == "1.14.2"


def test_a_missing_privacy_file_is_refused(tmp_path):
    root = _project_copy(tmp_path)
    (root / "PRIVACY.md").write_text("  \n")
    with pytest.raises(PackageError, match="privacy"):
        collect(root)


def test_the_packaged_yaml_follows_the_daemons_field_rules(tmp_path):
    """Every YAML file in the built .difypkg, read back from the zip, against the daemon's validation tags."""
    pkg = build(tmp_path / "dist")
    zf = zipfile.ZipFile(pkg)
    names = set(zf.namelist())

    def yml(name: str) -> dict:
        return yaml.safe_load(zf.read(name))

    def i18n(obj, where: str, required: bool = True) -> None:
        if obj is None and not required:
            return
        assert isinstance(obj, dict) and set(obj) <= I18N_KEYS, (where, obj)  # basic_type.go, I18nObject
        assert 0 < len(obj.get("en_US", "")) < 1024, where  # validate:"required,gt=0,lt=1024"
        assert all(len(v) < 1024 for v in obj.values()), where

    m = yml("manifest.yaml")
    # plugin_declaration.go, PluginDeclarationWithoutAdvancedFields and ManifestValidate
    assert VERSION.fullmatch(str(m["version"])) and m["type"] == "plugin"
    assert AUTHOR.fullmatch(m["author"]) and PLUGIN_NAME.fullmatch(m["name"])
    i18n(m["label"], "label")
    i18n(m["description"], "description")
    assert 0 < len(m["icon"]) <= 128 and f"_assets/{m['icon']}" in names  # decoder/helper.go, CheckAssetsValid
    assert isinstance(m["resource"]["memory"], int)  # PluginResourceRequirement.Memory, required
    storage = (m["resource"].get("permission") or {}).get("storage")
    assert storage is None or 1024 <= storage["size"] <= 1073741824  # PluginPermissionStorageRequirement.Size
    assert m["tags"] and set(m["tags"]) <= PLUGIN_TAGS  # dive,plugin_tag
    assert isinstance(m["created_at"], datetime) or datetime.fromisoformat(m["created_at"].replace("Z", "+00:00"))
    assert m["privacy"] in names and zf.read(m["privacy"]).strip()  # Privacy *string (Marketplace: non-empty)
    meta = m["meta"]
    assert VERSION.fullmatch(str(meta["version"]))  # PluginMeta.Version, validate:"required,version"
    assert meta["arch"] and set(meta["arch"]) <= {"amd64", "arm64"}  # constants/arch.go, isAvailableArch
    runner = meta["runner"]
    assert runner["language"] == "python" and 0 < len(str(runner["version"])) <= 128  # PluginRunner
    assert 0 < len(runner["entrypoint"]) <= 256 and f"{runner['entrypoint']}.py" in names  # local_runtime/subprocess.go
    assert VERSION.fullmatch(str(meta["minimum_dify_version"]))
    assert set(m["plugins"]) == {"tools"}  # ManifestValidate: tools only, none of model/endpoint/... beside it
    for provider_path in m["plugins"]["tools"]:
        assert len(provider_path) <= 128 and provider_path in names  # PluginExtensions.Tools, dive,max=128
        provider = yml(provider_path)
        ident = provider["identity"]  # tool_declaration.go, ToolProviderIdentity
        assert ident["author"] and IDENTITY_NAME.fullmatch(ident["name"])
        assert f"_assets/{ident['icon']}" in names  # CheckAssetsValid: "tool icon not found"
        i18n(ident["label"], "provider label")
        i18n(ident.get("description"), "provider description", required=False)
        assert set(ident.get("tags") or []) <= PLUGIN_TAGS
        creds = provider.get("credentials_for_provider") or {}
        for name, cred in (creds.items() if isinstance(creds, dict) else ((c["name"], c) for c in creds)):
            assert 0 < len(name) < 1024 and cred["type"] in CREDENTIAL_TYPES, name  # config.go, ProviderConfig
            i18n(cred["label"], name)
            i18n(cred.get("help"), name, required=False)
            i18n(cred.get("placeholder"), name, required=False)
            assert "scope" not in cred or cred["scope"] in SCOPES.get(cred["type"], ()), name
            assert len(cred.get("options") or []) < 128
        assert provider["extra"]["python"]["source"] in names
        assert provider["tools"]  # ToolProviderDeclaration.Tools, validate:"required,dive"
        for tool_path in provider["tools"]:
            assert tool_path in names
            tool = yml(tool_path)
            assert tool["identity"]["author"] and IDENTITY_NAME.fullmatch(tool["identity"]["name"])  # ToolIdentity
            i18n(tool["identity"]["label"], tool_path)
            i18n(tool["description"]["human"], tool_path)  # ToolDescription
            assert tool["description"]["llm"].strip()
            assert tool["extra"]["python"]["source"] in names
            for param in tool.get("parameters") or []:  # ToolParameter
                where = f"{tool_path}:{param.get('name')}"
                assert 0 < len(param["name"]) < 1024, where
                i18n(param["label"], where)
                i18n(param["human_description"], where)
                assert param["type"] in PARAM_TYPES and param["form"] in PARAM_FORMS, where
                if "scope" in param:  # config.go, isScope: only selector/any types, with their values
                    scopes = [x.strip() for x in str(param["scope"]).split("&")]
                    assert all(x in SCOPES.get(param["type"], ()) for x in scopes), where
                for option in param.get("options") or []:  # constant.go, ParameterOption
                    assert str(option["value"]) and option.get("label"), where
                    i18n(option["label"], where)
                for bound in ("min", "max"):
                    assert bound not in param or isinstance(param[bound], (int, float)), where


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
    # item 5: the password is a secret environment variable (masked in the run history), never a Start input
    assert set(start_vars) == {"brief"}
    (env,) = dsl["workflow"]["environment_variables"]
    assert env["name"] == "BRIEF_PASSWORD" and env["value_type"] == "secret" and env["value"] == ""
    assert env["selector"] == ["env", "BRIEF_PASSWORD"]
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
    assert tool["tool_parameters"]["password"] == {"type": "mixed", "value": "{{#env.BRIEF_PASSWORD#}}"}
    assert "password" not in yaml.safe_dump(start).lower()
    outputs = load("plugin/tools/brief_to_storyboard.yaml")["output_schema"]["properties"]
    for out in end["outputs"]:
        node, field = out["value_selector"]
        assert node == tool_id and (field in ("json", "files", "text") or field in outputs), field
