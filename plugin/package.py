"""Build the Dify plugin package: ``python -m briefreel.plugin.package --out dist`` (what ``make plugin`` runs).

A ``.difypkg`` is a plain zip of the plugin folder (what ``dify plugin package`` writes). Ours holds:

    manifest.yaml  _assets/icon.svg  main.py  requirements.txt  README.md
    plugin/  parsers/  storyboard/  render/          (the code the tools run; not tests/, bench/, examples/)

``main.py`` is written here (``python -m main`` is the daemon's entry; the code lives in plugin/main.py), so is
``requirements.txt`` (pyproject's dependencies plus the plugin and LLM extras; never torch/diffusers: Wan renders go
to the render service). No pyproject.toml goes in: the daemon would prefer it over requirements.txt. Files are
filtered by ``.difyignore`` (else ``.gitignore``) with .gitignore semantics, and the package must stay under the
daemon's 50 MiB (counted uncompressed, as the CLI does). ``--stage DIR`` also writes the unpacked tree, e.g. for
remote debugging (``cd DIR && INSTALL_METHOD=remote ... python -m main``).
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("briefreel", "plugin", "parsers", "storyboard", "render")
EXTRAS = ("plugin", "llm")  # optional-dependency groups the plugin needs besides the base dependencies
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


def requirements(root: Path = ROOT) -> str:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra in EXTRAS:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    if not any(re.match(r"httpx\b", line) for line in lines):
        lines.append("httpx>=0.27")
    seen, unique = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            unique.append(line)
    heavy = [line for line in unique if re.match(r"(torch|diffusers|transformers|accelerate)\b", line)]
    if heavy:
        raise PackageError(f"the plugin must not require {heavy}: Wan renders go to the render service")
    header = "# Generated by plugin/package.py from pyproject.toml (base + plugin + llm); installed by the daemon.\n"
    return header + "\n".join(unique) + "\n"


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
                if rel.startswith("plugin/_assets/") or rules.ignored(rel):
                    continue
                files[rel] = (root / rel).read_bytes()
    assets = root / "plugin" / "_assets"
    for path in sorted(assets.iterdir()):
        if path.is_file() and not rules.ignored(f"plugin/_assets/{path.name}"):
            files[f"_assets/{path.name}"] = path.read_bytes()
    files["main.py"] = MAIN_PY.encode("utf-8")
    files["requirements.txt"] = requirements(root).encode("utf-8")
    if (root / "README.md").is_file():
        files["README.md"] = (root / "README.md").read_bytes()
    _check(files)
    return files


def _check(files: dict[str, bytes]) -> None:
    icon = re.search(r"(?m)^icon:\s*['\"]?([^'\"\s#]+)", files["manifest.yaml"].decode("utf-8"))
    if not icon or f"_assets/{icon.group(1)}" not in files:
        raise PackageError("the manifest's icon is not in _assets/")
    for ref in re.findall(r"(?m)^\s*(?:-\s+|source:\s+)(plugin/\S+\.(?:yaml|py))\s*$",
                          "\n".join(v.decode("utf-8", "replace") for k, v in files.items() if k.endswith(".yaml"))):
        if ref not in files:
            raise PackageError(f"{ref} is referenced by a YAML file but is not in the package")
    total = sum(len(v) for v in files.values())
    if total > MAX_BYTES:
        raise PackageError(f"the package holds {total / MAX_BYTES * 50:.1f} MiB; Dify accepts at most 50 MiB")


def build(out_dir: Path, root: Path = ROOT, stage: Path | None = None) -> Path:
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
        for name, data in files.items():
            path = stage / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m briefreel.plugin.package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", help="output folder (default: dist)")
    parser.add_argument("--stage", metavar="DIR", help="also write the unpacked package to DIR")
    args = parser.parse_args(argv)
    try:
        target = build(Path(args.out), stage=Path(args.stage) if args.stage else None)
    except PackageError as exc:
        print(f"plugin.package: error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(target) as zf:
        count, raw = len(zf.infolist()), sum(i.file_size for i in zf.infolist())
    print(f"{target}  ({count} files, {raw / 1e6:.1f} MB unpacked, {target.stat().st_size / 1e6:.2f} MB zipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
