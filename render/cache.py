"""The shot cache: one finished clip per key, ``<key>.mp4``, plus ``<key>.json`` describing it.

The key (``render.base.stable_hash``) covers everything that affects a clip's pixels: the renderer's own
``cache_key`` (prompt, model, seed, size, frames, steps...) and the conform, caption and encoder settings. So an
unchanged shot is reused and an edited one is rendered again, whatever else changed in the board.

Location: ``cache_dir`` argument, else ``$BRIEFREEL_CACHE_DIR``, else ``~/.cache/briefreel/clips``. Entries are
written atomically (temporary name, then rename), so a crash never leaves a half clip under a key; delete the
folder at any time to clear it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    env = os.environ.get("BRIEFREEL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path("~/.cache/briefreel/clips").expanduser()


def place(src: Path, dst: Path) -> Path:
    """Put a copy of ``src`` at ``dst`` atomically: a hard link when both are on one file system, else a copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and os.path.samefile(src, dst):
        return dst  # already there (renaming a link onto itself would do nothing and leave the link behind)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    return dst


class ClipCache:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root).expanduser() if root else default_cache_dir()

    def path(self, key: str, suffix: str = ".mp4") -> Path:
        return self.root / f"{key}{suffix}"

    def get(self, key: str, suffix: str = ".mp4") -> tuple[Path, dict[str, Any]] | None:
        """The cached clip and its metadata, or None (a clip without readable metadata counts as missing)."""
        clip, meta = self.path(key, suffix), self.path(key, suffix + ".json")
        if not (clip.is_file() and meta.is_file()) or clip.stat().st_size == 0:
            return None
        try:
            return clip, json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, src: str | Path, meta: dict[str, Any], suffix: str = ".mp4") -> Path:
        """Store ``src`` under ``key`` (metadata last, so a reader never sees metadata without its clip)."""
        self.root.mkdir(parents=True, exist_ok=True)
        clip = place(Path(src), self.path(key, suffix))
        meta_path = self.path(key, suffix + ".json")
        tmp = meta_path.with_name(f".{meta_path.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, meta_path)
        return clip
