"""A shot's own picture (``Shot.image``): where it lives, reading it, writing it next to shots.json.

A just-planned board has no folder: the drawn-storyboard planner (``storyboard/drawn.py``) gives each shot its
panel as a ``data:image/png;base64,...`` URI, so the board is whole on its own (stdout, the service's JSON, the
plugin). ``Storyboard.save(path)`` calls :func:`externalise`: each data URI becomes ``keyframes/<shot>.png`` beside
shots.json and the field the relative path; a loaded board saved into another folder (``briefreel render`` into a
new ``--out``) takes its keyframes along.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from pathlib import Path

PREFIX = "data:image/png;base64,"
FOLDER = "keyframes"


def data_uri(png: bytes) -> str:
    return PREFIX + base64.b64encode(png).decode("ascii")


def image_bytes(shot, board=None) -> bytes | None:
    """The picture of ``shot`` as file bytes, or None when it has none or the file is missing."""
    ref = shot.image
    if not ref:
        return None
    if ref.startswith("data:"):
        try:
            return base64.b64decode(ref.split(",", 1)[1])
        except (IndexError, ValueError):
            return None
    path = Path(ref)
    if not path.is_absolute():
        folder = getattr(board, "_folder", None) if board is not None else None
        path = (folder or Path.cwd()) / path
    try:
        return path.read_bytes()
    except OSError:
        return None


def load_image(shot, board=None):
    """The picture of ``shot`` as an RGB PIL image, or None."""
    import io

    from PIL import Image

    data = image_bytes(shot, board)
    if not data:
        return None
    try:
        return Image.open(io.BytesIO(data)).convert("RGB")
    except Exception:  # noqa: BLE001: a broken picture is drawn as if there were none
        return None


def digest(shot, board=None) -> str:
    """A short digest of the picture's bytes (render caches key on it: a redrawn keyframe renders again)."""
    data = image_bytes(shot, board)
    return hashlib.sha256(data).hexdigest()[:16] if data else ""


def externalise(board, folder: str | Path) -> None:
    """Write every data-URI picture of ``board`` to ``folder/keyframes/`` and store the relative path; copy the
    keyframes of a board loaded from another folder. The board's folder becomes ``folder``."""
    from briefreel.storyboard.ids import clip_stem

    folder = Path(folder).resolve()
    source = getattr(board, "_folder", None)
    for shot in board.shots:
        ref = shot.image
        if not ref:
            continue
        if ref.startswith("data:"):
            data = image_bytes(shot)
            if data is None:
                continue
            rel = f"{FOLDER}/{clip_stem(shot.id)}.png"
            (folder / FOLDER).mkdir(parents=True, exist_ok=True)
            tmp = folder / (rel + ".part")
            tmp.write_bytes(data)
            tmp.replace(folder / rel)
            shot.image = rel
        elif not Path(ref).is_absolute() and source is not None and Path(source).resolve() != folder:
            src, dst = Path(source) / ref, folder / ref
            if src.is_file() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    board._folder = folder
