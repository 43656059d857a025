"""Keyframes: one still per shot, the picture the client approves and the clip then starts from.

    briefreel keyframes out/spot/shots.json --out out/spot                       # drawn panels (CPU)
    briefreel keyframes out/spot/shots.json --out out/spot --model /models/Wan2.2-T2V-A14B-Diffusers

Each shot's still is written to ``DIR/keyframes/<shot id>.png`` and recorded on the shot as ``image``: a path
relative to the shots.json it is written into (``DIR/shots.json``). The storyboard sheet and page show that picture
as the shot's panel; the panel renderer moves its camera over it; a Wan model that takes an image (Wan2.2-I2V-A14B,
Wan2.2-TI2V-5B) starts the clip from it (``render/wan_i2v.py``). A user may point ``image`` at a picture of their
own (a photo, a drawing, a product shot): it is never overwritten.

Where a still comes from:

* the panel renderer (no ``--model``): the clean drawn picture of the shot (no labels, no move arrows);
* a Wan text-to-video model: one generation of a single frame (``num_frames=1``: one latent frame; Wan is trained
  on images as one-frame videos). :func:`wan_still` can also take the first frame of a short ``4k+1`` generation;
  ``bench/wan_seam.py --stills`` and ``bench/wan_gpu_i2v.py`` measure which is cheaper (the single frame).

Consistency (one look for the bible's products and characters): Wan's text-to-video and image-to-video pipelines
take no reference picture of a subject (only a first, and for FLF2V a last, frame), so a reference still cannot
condition a shot that does not start on it. What holds instead: the bible's description is pasted verbatim into
the prompt of every shot that names the entry (the planners do this), and every shot naming the same bible entries
gets the same keyframe seed (:func:`keyframe_seed`), so the same noise meets the same words. Shots that start from
a keyframe keep that keyframe's look for their whole length.

Paths follow the field's owner, ``storyboard/keyframes.py``: a relative ``image`` is relative to the folder
``Storyboard.load``/``save`` record for the board, a ``data:`` URI is a picture not saved yet, and ``save`` into
another folder takes relative pictures along. :func:`picture_digest` (that module's digest) goes into the cache
keys, so replacing a keyframe renders that shot again and nothing else; :func:`shot_picture` reads it at a size.
:func:`image_path`, :func:`absolute_images` and :func:`rebase_images` are for callers that move boards by hand.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from briefreel.render.base import FRAME_SIZES, RenderSettings
from briefreel.render.seeds import derive_seed, shot_seed
from briefreel.storyboard.errors import InvalidShots
from briefreel.storyboard.schema import Shot, Storyboard, clip_stem

__all__ = ["KEYFRAME_DIR", "image_of", "image_path", "image_digest", "absolute_images", "rebase_images",
           "load_image", "cover", "keyframe_seed", "drawn_still", "wan_still", "make_keyframes", "KeyframeReport", "picture_digest", "shot_picture", "KeyframeError", "register_cli"]

KEYFRAME_DIR = "keyframes"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


class KeyframeError(InvalidShots):
    """A shot's image cannot be used (missing file, not a picture): an invalid shots.json (exit 21, HTTP 422)."""


# -- paths and hashes ---------------------------------------------------------------------------------------------

def image_of(shot: Shot) -> str | None:
    """The shot's ``image`` as written in shots.json (None when unset or empty)."""
    value = getattr(shot, "image", None)
    return str(value).strip() or None if value is not None else None


def image_path(shot: Shot, base_dir=None) -> Path | None:
    """The shot's picture as a path: absolute as given, else relative to ``base_dir`` (the folder of shots.json, or
    a loaded :class:`Storyboard`, whose folder ``Storyboard.load``/``save`` record; the current folder when None).
    None without a picture, and for a ``data:`` URI (a board not saved yet: ``storyboard/keyframes.py``)."""
    text = image_of(shot)
    if text is None or text.startswith("data:"):
        return None
    if isinstance(base_dir, Storyboard):
        base_dir = getattr(base_dir, "_folder", None)
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path(base_dir or ".") / path
    return path.resolve()


_DIGESTS: dict[tuple[str, int, int], str] = {}


def image_digest(path: str | os.PathLike) -> str:
    """SHA-256 of the picture file's bytes (memoised by path, size and mtime). A missing file is a KeyframeError."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        raise KeyframeError(f"no picture at {path}") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _DIGESTS[key]


def _with_images(board: Storyboard, new_value) -> Storyboard:
    shots = []
    changed = False
    for shot in board.shots:
        text = image_of(shot)
        value = new_value(shot) if text is not None else None
        if text is not None and value != getattr(shot, "image", None):
            shot = shot.model_copy(update={"image": value})
            changed = True
        shots.append(shot)
    return board.model_copy(update={"shots": shots}) if changed else board


def absolute_images(board: Storyboard, base_dir: str | os.PathLike) -> Storyboard:
    """A copy of ``board`` whose shot images are absolute paths (relative ones resolved against ``base_dir``)."""
    return _with_images(board, lambda s: str(image_path(s, base_dir)))


def rebase_images(board: Storyboard, from_dir: str | os.PathLike, to_dir: str | os.PathLike) -> Storyboard:
    """A copy of ``board`` for a shots.json written in ``to_dir`` when it was read from ``from_dir``: relative
    image paths are rewritten relative to ``to_dir`` (absolute ones stay as they are)."""
    to_dir = Path(to_dir).resolve()

    def rebase(shot: Shot) -> str:
        text = image_of(shot)
        if Path(text).expanduser().is_absolute():
            return text
        return Path(os.path.relpath(image_path(shot, from_dir), to_dir)).as_posix()

    return _with_images(board, rebase)


def picture_digest(shot: Shot, board: Storyboard) -> str | None:
    """The digest of the shot's picture (``storyboard.keyframes.digest``: the one every renderer keys on; a data URI
    too), None without a picture; KeyframeError when ``image`` names a file that is not there."""
    from briefreel.storyboard.keyframes import digest

    if image_of(shot) is None:
        return None
    value = digest(shot, board)
    if not value:
        raise KeyframeError(f"shot {shot.id}: no picture at {image_of(shot)} (image is relative to shots.json)")
    return value


def shot_picture(shot: Shot, board: Storyboard, width: int, height: int):
    """The shot's own picture covering ``width`` x ``height``, or None without one."""
    from briefreel.storyboard.keyframes import load_image as load_shot_image

    if image_of(shot) is None:
        return None
    img = load_shot_image(shot, board)
    if img is None:
        raise KeyframeError(f"shot {shot.id}: {image_of(shot)} is not a picture that can be read")
    return cover(img, width, height)


# -- pictures -----------------------------------------------------------------------------------------------------

def load_image(path: str | os.PathLike):
    """The picture at ``path`` as RGB (PIL); KeyframeError when it is missing or not a picture."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except FileNotFoundError:
        raise KeyframeError(f"no picture at {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise KeyframeError(f"{path} is not a picture ({type(exc).__name__})") from None


def cover(img, width: int, height: int):
    """``img`` scaled to cover ``width`` x ``height`` and centre-cropped (no letterbox), as the animatic does."""
    from PIL import Image

    w, h = img.size
    scale = max(width / w, height / h)
    sw, sh = max(width, round(w * scale)), max(height, round(h * scale))
    img = img.resize((sw, sh), Image.LANCZOS) if (sw, sh) != (w, h) else img
    x0, y0 = (sw - width) // 2, (sh - height) // 2
    return img.crop((x0, y0, x0 + width, y0 + height))


def keyframe_seed(shot: Shot, board: Storyboard, base_seed: int = 0) -> int:
    """The seed of a shot's keyframe: its own ``seed`` when set; else one seed per set of bible entries the shot
    names (characters and products), so every shot showing the same product or people starts from the same
    noise; else the shot's render seed (:func:`render.seeds.shot_seed`)."""
    if shot.seed is not None:
        return int(shot.seed)
    kinds = {b.id: b.kind for b in board.bible}
    named = sorted(c for c in shot.characters if kinds.get(c) in ("character", "product"))
    if named:
        return derive_seed(base_seed, "bible:" + "+".join(named))
    return shot_seed(shot, base_seed)


def drawn_still(shot: Shot, board: Storyboard, width: int, height: int):
    """The panel renderer's clean picture of the shot's first frame (no labels, caption or move arrows)."""
    from briefreel.render.stage import Stage

    stage = Stage(shot, board, width, height, captions=False, desc_lines=0, labels=False)
    return stage.picture(0.0).convert("RGB")


def wan_still(renderer, shot: Shot, board: Storyboard, settings: RenderSettings, *, frames: int = 1,
              seed: int | None = None) -> tuple[Any, dict[str, Any]]:
    """A keyframe from a Wan text-to-video ``renderer`` (``render.wan.WanRenderer``): a generation of ``frames``
    native frames (1: a single still; ``4k+1``: a short clip whose first frame is kept), at the model's size for
    the board's aspect ratio. Returns (RGB picture, timings)."""
    from PIL import Image
    import numpy as np

    gen = renderer.generation(shot, board, settings, 1)
    seed = gen["seed"] if seed is None else int(seed)
    gen = {**gen, "segments": [int(frames)], "segment_seeds": [seed], "seed": seed}
    chunks, timings = renderer.generate(gen, label=f"keyframe {shot.id}")
    first = np.asarray(chunks[0][0])
    picture = Image.fromarray((np.clip(first, 0.0, 1.0) * 255.0 + 0.5).astype("uint8"))
    return picture, {**timings, "frames": int(frames), "seed": seed, "width": gen["width"], "height": gen["height"]}


# -- the command --------------------------------------------------------------------------------------------------

class KeyframeReport(dict):
    """What :func:`make_keyframes` did: ``made`` / ``kept`` shot ids, ``board`` (the updated board), ``shots_json``,
    ``seconds`` per made still and the source (``panel`` or the model)."""


def _own_keyframe(shot: Shot, base_dir: Path) -> bool:
    """Is the shot's image one of ours (``keyframes/<id>.png`` beside shots.json), not a user's picture?"""
    path = image_path(shot, base_dir)
    return path is not None and path == (base_dir / KEYFRAME_DIR / f"{clip_stem(shot.id)}.png").resolve()


def make_keyframes(board: Storyboard, out_dir: str | os.PathLike, *, shots_dir: str | os.PathLike | None = None,
                   renderer: str = "panel", renderer_options: dict[str, Any] | None = None, force: bool = False,
                   on_shot=None) -> KeyframeReport:
    """A keyframe for every shot of ``board``, written to ``out_dir/keyframes/<id>.png``; the board, with each
    shot's ``image`` set (relative to ``out_dir``), is saved as ``out_dir/shots.json``.

    ``shots_dir`` is the folder the board was read from (its relative image paths are kept working). A shot that
    already has a picture (a user's own, or a keyframe made before) keeps it; ``force`` makes our own keyframes
    again (a user's picture is never replaced). ``renderer`` "panel" draws them; "wan" generates them with
    ``renderer_options`` (``model``, ``seed``, ``steps``...; a text-to-video model, or TI2V-5B).
    ``on_shot(shot_id, status, seconds)`` reports each shot ("made" or "kept").
    """
    from briefreel.storyboard.keyframes import image_bytes

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if shots_dir is not None:
        board._folder = Path(shots_dir).resolve()
    elif getattr(board, "_folder", None) is None:
        board._folder = out.resolve()
    options = dict(renderer_options or {})
    base_seed = int(options.get("seed") or 0)
    settings = RenderSettings.for_board(board)
    folder = out / KEYFRAME_DIR
    folder.mkdir(exist_ok=True)
    wan = None
    if renderer == "wan":
        from briefreel.render.wan_i2v import keyframe_renderer

        wan = keyframe_renderer(options)
    elif renderer != "panel":
        raise KeyframeError(f"keyframes come from the panel renderer or wan, not {renderer!r}")
    report = KeyframeReport(made=[], kept=[], seconds={}, source="panel" if wan is None else wan.spec.source)
    shots = []
    for shot in board.shots:
        mine = _own_keyframe(shot, Path(board._folder))
        if image_bytes(shot, board) is not None and (not mine or not force):
            report["kept"].append(shot.id)
            shots.append(shot)
            if on_shot:
                on_shot(shot.id, "kept", 0.0)
            continue
        t0 = time.perf_counter()
        if wan is None:
            w, h = FRAME_SIZES[board.aspect_ratio]
            picture = drawn_still(shot, board, w, h)
        else:
            picture, _ = wan_still(wan, shot, board, settings, seed=keyframe_seed(shot, board, base_seed))
        target = folder / f"{clip_stem(shot.id)}.png"
        tmp = target.with_name(f".{target.name}.part")
        picture.save(tmp, format="PNG")
        os.replace(tmp, target)
        seconds = round(time.perf_counter() - t0, 3)
        report["made"].append(shot.id)
        report["seconds"][shot.id] = seconds
        shots.append(shot.model_copy(update={"image": f"{KEYFRAME_DIR}/{target.name}"}))
        if on_shot:
            on_shot(shot.id, "made", seconds)
    folder_of = board._folder
    board = board.model_copy(update={"shots": shots})
    board._folder = folder_of  # Storyboard.save copies relative pictures from there (storyboard/keyframes.py)
    report["board"] = board
    report["shots_json"] = board.save(out / "shots.json")
    return report


# -- CLI: briefreel keyframes SHOTS.json --out DIR [--model ...] ----------------------------------------------------

def cmd_keyframes(args) -> int:
    import sys

    from pydantic import ValidationError

    from briefreel.cli import STATUS, render_options

    if getattr(args, "opt_model", None) and not getattr(args, "opt_renderer", None):
        args.opt_renderer = "wan"  # --model alone means Wan stills
    options = render_options(args)
    from briefreel.cli import UsageError

    shots = Path(args.shots)
    if not shots.is_file():
        raise UsageError(f"no such file: {args.shots}" if not shots.exists() else f"{args.shots} is a folder, not a file")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: a file of that name exists; give a folder")
    if options.renderer == "wan" and not options.model:
        raise UsageError("keyframes with --renderer wan need --model PATH_OR_HUB_ID (a text-to-video Wan model)")
    try:
        board = Storyboard.load(shots)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc).splitlines()[0]
        raise InvalidShots(f"{args.shots} is not a valid shots.json: {first}") from None

    def on_shot(shot_id: str, status: str, seconds: float) -> None:
        STATUS.show(f"keyframe {shot_id} {status}" + (f" ({seconds:.1f} s)" if status == "made" else ""),
                    final=True)

    try:
        report = make_keyframes(board, out, shots_dir=shots.parent, renderer=options.renderer,
                                renderer_options=options.renderer_kwargs(), force=args.force, on_shot=on_shot)
    finally:
        STATUS.end()
    print(f"{out / KEYFRAME_DIR}  (made {len(report['made'])}, kept {len(report['kept'])}; "
          f"{report['shots_json']} records each shot's image)", file=sys.stderr)
    return 0


def register_cli(subparsers) -> None:
    from briefreel.cli import add_render_options

    p = subparsers.add_parser(
        "keyframes", help="one still per shot (drawn, or Wan with --model): DIR/keyframes/<id>.png, "
                          "recorded as each shot's image in DIR/shots.json")
    p.add_argument("shots", metavar="SHOTS.json")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (keyframes/ and shots.json)")
    p.add_argument("--force", action="store_true",
                   help="make our own keyframes again (a picture of your own is never replaced)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    add_render_options(p)
    p.set_defaults(func=cmd_keyframes)
