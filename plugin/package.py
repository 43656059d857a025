"""Build the Dify plugin package: ``python -m briefreel.plugin.package --out dist`` (what ``make plugin`` runs).

A ``.difypkg`` is a plain zip of the plugin folder (what ``dify plugin package`` writes). Ours holds:

    manifest.yaml  _assets/icon.svg  main.py  requirements.txt  README.md  PRIVACY.md
    briefreel/  plugin/  parsers/  storyboard/  render/     (the code the tools run; not tests/, bench/, examples/)

``main.py`` is written here (``python -m main`` is the daemon's entry; the code lives in plugin/main.py), so is
``requirements.txt``: the exact pins of ``plugin/requirements.lock`` (``make plugin-lock``), checked against
pyproject's dependencies plus the plugin and LLM extras (never torch/diffusers: Wan renders go to the render
service). No pyproject.toml goes in: the daemon would prefer it over requirements.txt. Files are filtered by
``.difyignore`` (else ``.gitignore``) with .gitignore semantics, and the package must stay under the daemon's 50 MiB
(counted uncompressed, as the CLI does). ``--stage DIR`` also writes the unpacked tree (``make plugin`` writes
``dist/briefreel/``, which ``dify plugin package dist/briefreel`` packs too, or which runs for remote debugging:
``cd dist/briefreel && INSTALL_METHOD=remote ... python -m main``). ``--sign-key KEY`` also writes
``NAME.signed.difypkg``, signed as the daemon's tooling signs (plugin/sign.py).
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import os
import re
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("briefreel", "plugin", "parsers", "storyboard", "render")
EXTRAS = ("plugin", "llm")  # optional-dependency groups the plugin needs besides the base dependencies
LOCK = "plugin/requirements.lock"  # exact pins, written by `make plugin-lock`
HEAVY = re.compile(r"(torch|diffusers|transformers|accelerate)\b")
# meta.minimum_dify_version: the Dify that first supports what the plugin uses. From the SDK's README
# (langgenius/dify-plugin-sdks @ 28d1d22, "Meta.MinimumDifyVersion Reference"): LLM structured output, which the
# LLM planner reverse-invokes (session.model.llm_structured_output), needs Dify 1.5.1 (SDK 0.4.0); the newest row
# at or below the pinned SDK sets the Dify that SDK pairs with.
STRUCTURED_OUTPUT_DIFY = "1.5.1"
SDK_DIFY_TABLE = (  # (SDK version, minimum Dify version), the README's rows
    ("0.2.0", "1.2.0"), ("0.3.1", "1.4.0"), ("0.4.0", "1.5.1"), ("0.4.1", "1.6.0"), ("0.4.2", "1.7.0"),
    ("0.4.4", "1.8.1"), ("0.5.0", "1.9.0"), ("0.6.0", "1.10.0"), ("0.7.0", "1.11.0"), ("0.8.1", "1.14.0"),
    ("0.9.0", "1.14.2"),
)
# daemon pkg/entities/manifest_entities/version.go, VERSION_PATTERN
VERSION_RE = re.compile(r"\d{1,4}(\.\d{1,4}){2}(-\w{1,16})?")
MAX_BYTES = 50 * 1024 * 1024
ALWAYS_IGNORED = ("__pycache__/", "*.pyc", ".git/", ".venv/")
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same package

MAIN_PY = '''"""Entry point the Dify daemon runs (python -m main); the plugin lives in plugin/main.py."""

from briefreel.plugin.main import plugin

if __name__ == "__main__":
    plugin.run()
'''


class PackageError(Exception):
    pass


# -- .difyignore ------------------------------------------------------------------------------------------------

class IgnoreRules:
    """.gitignore semantics: ``#`` comments, ``!`` negation (last match wins), a trailing ``/`` matches folders
    only, a pattern with a ``/`` before its end is anchored at the root, ``**`` spans folders."""

    def __init__(self, lines: list[str]):
        self.rules: list[tuple[re.Pattern, bool, bool]] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.strip("/") if dir_only else line
            anchored = "/" in line.lstrip("/") or line.startswith("/")
            line = line.lstrip("/")
            self.rules.append((re.compile(_glob_to_regex(line, anchored)), negate, dir_only))

    @classmethod
    def for_root(cls, root: Path) -> "IgnoreRules":
        for name in (".difyignore", ".gitignore"):
            path = root / name
            if path.is_file():
                return cls(list(ALWAYS_IGNORED) + path.read_text(encoding="utf-8").splitlines())
        return cls(list(ALWAYS_IGNORED))

    def ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Is ``rel`` (a /-separated path) ignored, itself or through one of its parent folders?"""
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            if self._match("/".join(parts[:i]), is_dir or i < len(parts)):
                return True
        return False

    def _match(self, rel: str, is_dir: bool) -> bool:
        result = False
        for pattern, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if pattern.fullmatch(rel):
                result = not negate
        return result


def _glob_to_regex(pattern: str, anchored: bool) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i:j + 1])[4:-3])
                i = j + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return body if anchored else f"(?:.*/)?{body}"


# -- contents ---------------------------------------------------------------------------------------------------

def manifest_version(root: Path = ROOT) -> str:
    match = re.search(r"(?m)^version:\s*['\"]?([^'\"\s#]+)", (root / "manifest.yaml").read_text(encoding="utf-8"))
    if not match:
        raise PackageError("manifest.yaml has no top-level version")
    return match.group(1)


def declared_requirements(root: Path = ROOT) -> list[str]:
    """pyproject's base dependencies plus the plugin and LLM extras, as written there."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra in EXTRAS:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    return list(dict.fromkeys(lines))


def lock_pins(text: str) -> dict[str, str]:
    """``name -> version`` of a pip-compile style lock (``name==version`` lines, comments and markers allowed)."""
    from packaging.utils import canonicalize_name

    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)\s*(;.*)?", line)
        if not match:
            raise PackageError(f"{LOCK}: not an exact pin: {raw.strip()!r}")
        pins[canonicalize_name(match.group(1))] = match.group(3)
    return pins


def lock_problems(root: Path = ROOT) -> list[str]:
    """What is wrong between pyproject's declared requirements and the lock: a requirement with no pin, or a pin
    outside its range (markers evaluated for CPython 3.12 on Linux); empty when they agree."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    path = root / LOCK
    if not path.is_file():
        return [f"{LOCK} is missing (make plugin-lock)"]
    pins = lock_pins(path.read_text(encoding="utf-8"))
    problems = []
    for arch in ("x86_64", "aarch64"):
        env = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux",
               "platform_system": "Linux", "os_name": "posix", "platform_machine": arch,
               "implementation_name": "cpython", "platform_python_implementation": "CPython"}
        for line in declared_requirements(root):
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            pin = pins.get(canonicalize_name(req.name))
            if pin is None:
                problems.append(f"{req.name} ({line}) has no pin in {LOCK}")
            elif not req.specifier.contains(pin, prereleases=True):
                problems.append(f"{req.name}=={pin} in {LOCK} does not satisfy {line!r}")
    heavy = [name for name in pins if HEAVY.match(name)]
    if heavy:
        problems.append(f"the plugin must not require {heavy}: Wan renders go to the render service")
    return list(dict.fromkeys(problems))


def requirements(root: Path = ROOT) -> str:
    """The package's requirements.txt: the lock, once it is known to satisfy pyproject."""
    problems = lock_problems(root)
    if problems:
        raise PackageError("; ".join(problems) + " (run make plugin-lock)")
    header = ("# Exact pins: plugin/requirements.lock (make plugin-lock resolves pyproject's base + plugin + llm\n"
              "# dependencies for CPython 3.12 on Linux amd64 and arm64). The daemon installs them with uv.\n")
    return header + (root / LOCK).read_text(encoding="utf-8")


def required_dify_version(sdk_version: str) -> str:
    """The minimum Dify for the pinned SDK and for the structured-output reverse call, whichever is later."""
    from packaging.version import Version

    floor = Version(STRUCTURED_OUTPUT_DIFY)
    for sdk, dify in SDK_DIFY_TABLE:
        if Version(sdk) <= Version(sdk_version):
            floor = max(floor, Version(dify))
    return str(floor)


def collect(root: Path = ROOT) -> dict[str, bytes]:
    """Every file of the package: zip path -> bytes."""
    version = manifest_version(root)
    project_version = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    if version != project_version:
        raise PackageError(f"manifest.yaml version {version} differs from pyproject.toml's {project_version}")
    rules = IgnoreRules.for_root(root)
    files: dict[str, bytes] = {"manifest.yaml": (root / "manifest.yaml").read_bytes()}
    for package in PACKAGES:
        for dirpath, dirnames, filenames in os.walk(root / package):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            dirnames[:] = sorted(d for d in dirnames if not rules.ignored(f"{rel_dir}/{d}", is_dir=True))
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}"
                if rel.startswith("plugin/_assets/") or rel == LOCK or rules.ignored(rel):
                    continue
                files[rel] = (root / rel).read_bytes()
    assets = root / "plugin" / "_assets"
    for path in sorted(assets.iterdir()):
        if path.is_file() and not rules.ignored(f"plugin/_assets/{path.name}"):
            files[f"_assets/{path.name}"] = path.read_bytes()
    files["main.py"] = MAIN_PY.encode("utf-8")
    files["requirements.txt"] = requirements(root).encode("utf-8")
    for name in ("README.md", "PRIVACY.md"):
        if (root / name).is_file():
            files[name] = (root / name).read_bytes()
    _check(files)
    return files


def _manifest_field(manifest: str, pattern: str) -> str | None:
    match = re.search(pattern + r"""\s*['"]?([^'"\s#]+)""", manifest)
    return match.group(1) if match else None


def _check(files: dict[str, bytes]) -> None:
    from packaging.version import Version

    manifest = files["manifest.yaml"].decode("utf-8")
    icon = _manifest_field(manifest, r"(?m)^icon:")
    if not icon or f"_assets/{icon}" not in files:
        raise PackageError("the manifest's icon is not in _assets/")
    for label, value in (("version", _manifest_field(manifest, r"(?m)^version:")),
                         ("meta.version", _manifest_field(manifest, r"(?m)^meta:(?:\n[ \t]+.*)*?\n[ \t]+version:")),
                         ("meta.minimum_dify_version", _manifest_field(manifest, r"(?m)^[ \t]+minimum_dify_version:"))):
        if not value or not VERSION_RE.fullmatch(value):
            raise PackageError(f"manifest {label} {value!r} is not a daemon version (x.y.z)")
    sdk = lock_pins(files["requirements.txt"].decode("utf-8")).get("dify-plugin")
    if sdk is None:
        raise PackageError("requirements.txt does not pin dify-plugin")
    minimum = _manifest_field(manifest, r"(?m)^[ \t]+minimum_dify_version:")
    needed = required_dify_version(sdk)
    if Version(minimum) < Version(needed):
        raise PackageError(f"manifest meta.minimum_dify_version {minimum} is below {needed}, which structured output"
                           f" and dify-plugin {sdk} need")
    privacy = _manifest_field(manifest, r"(?m)^privacy:")
    if not privacy or not files.get(privacy, b"").strip():
        raise PackageError("the manifest's privacy file is missing or empty (the Marketplace requires one)")
    for ref in re.findall(r"(?m)^\s*(?:-\s+|source:\s+)(plugin/\S+\.(?:yaml|py))\s*$",
                          "\n".join(v.decode("utf-8", "replace") for k, v in files.items() if k.endswith(".yaml"))):
        if ref not in files:
            raise PackageError(f"{ref} is referenced by a YAML file but is not in the package")
    total = sum(len(v) for v in files.values())
    if total > MAX_BYTES:
        raise PackageError(f"the package holds {total / MAX_BYTES * 50:.1f} MiB; Dify accepts at most 50 MiB")


def _write_stage(stage: Path, files: dict[str, bytes]) -> None:
    """The unpacked package in ``stage``, replacing a previous one (never a folder that is not one)."""
    if stage.exists() and any(stage.iterdir()) and not (stage / "manifest.yaml").is_file():
        raise PackageError(f"{stage} exists and is not an unpacked plugin package; not replacing it")
    tmp = stage.with_name(stage.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    for name, data in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    shutil.rmtree(stage, ignore_errors=True)
    tmp.replace(stage)


def build(out_dir: Path, root: Path = ROOT, stage: Path | None = None, sign_key: Path | None = None,
          category: str | None = None) -> Path:
    """Write ``out_dir/briefreel-<version>.difypkg`` (and the stage, and the signed copy) and return its path."""
    files = collect(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"briefreel-{manifest_version(root)}.difypkg"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)
    if stage is not None:
        _write_stage(Path(stage), files)
    if sign_key is not None:
        from briefreel.plugin.sign import DEFAULT_CATEGORY, SignatureError, sign_file

        try:
            sign_file(target, Path(sign_key), category=category or DEFAULT_CATEGORY)
        except (SignatureError, OSError, ValueError) as exc:
            raise PackageError(f"signing with {sign_key}: {exc}") from exc
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m briefreel.plugin.package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", help="output folder (default: dist)")
    parser.add_argument("--stage", metavar="DIR", help="also write the unpacked package to DIR")
    parser.add_argument("--sign-key", metavar="KEY", help="also write NAME.signed.difypkg, signed with this private key")
    parser.add_argument("--category", choices=("langgenius", "partner", "community"),
                        help="authorized category of the signature (default: community)")
    args = parser.parse_args(argv)
    try:
        target = build(Path(args.out), stage=Path(args.stage) if args.stage else None,
                       sign_key=Path(args.sign_key) if args.sign_key else None, category=args.category)
    except PackageError as exc:
        print(f"plugin.package: error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(target) as zf:
        count, raw = len(zf.infolist()), sum(i.file_size for i in zf.infolist())
    print(f"{target}  ({count} files, {raw / 1e6:.1f} MB unpacked, {target.stat().st_size / 1e6:.2f} MB zipped)")
    if args.stage:
        print(f"{args.stage}/  (the same files unpacked: dify plugin package {args.stage})")
    if args.sign_key:
        from briefreel.plugin.sign import signed_name

        print(f"{signed_name(target)}  (signed; trust the matching public key in the plugin daemon)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
