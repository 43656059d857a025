"""Storyboard exports: what a producer sends the client and hands the editor, written beside the animatic.

    from briefreel.render.exports import write_exports
    write_exports(board, out_dir, clips={"S01": Path("out/clips/S01.mp4"), ...}, animatic=out_dir / "animatic.mp4")

writes, in ``out_dir``:

- ``storyboard.pdf``   print-ready sheet (``sheet.py``)
- ``storyboard.html``  self-contained preview page with the animatic (``html.py``)
- ``timeline.otio``, ``timeline.xml`` (FCP7), ``timeline.edl`` (CMX 3600) for editors (``timeline.py``)
- ``captions.srt``     dialogue and VO timed to the shots (``captions.py``)
- ``shots.csv``        the shot list for a spreadsheet (``shotlist.py``)

Stills come from the middle frame of each shot's clip when ``clips`` are given, else from the drawn panel
(``render.panel.draw_panel``), so a shots.json alone is enough. All files are made in a staging folder and moved
into place only when every one succeeded: a failure raises :class:`ExportError` naming each export that broke,
and leaves the folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from briefreel.render.base import FRAME_SIZES
from briefreel.render.exports.common import ExportError
from briefreel.storyboard.schema import Storyboard

__all__ = ["write_exports", "ExportError", "EXPORT_FILES"]

EXPORT_FILES = (
    "storyboard.pdf", "storyboard.html", "timeline.otio", "timeline.xml", "timeline.edl", "captions.srt", "shots.csv",
)


def make_stills(board: Storyboard, clips: dict[str, Path], drawn: bool = False):
    """Every shot's still for the sheet and the page (from its clip, else the drawn panel; the clean drawn panel
    when ``drawn``: the clips are the panel renderer's, with labels burned in), in threads: (stills by shot id
    with the move drawn on, each clip's info for shots that have one, the same stills without move marks)."""
    from briefreel.render.exports.sheet import STILL_WIDTH
    from briefreel.render.exports.thumbs import still

    width = STILL_WIDTH[board.aspect_ratio]

    def one(shot):
        return shot.id, still(shot, board, clips.get(shot.id), width, drawn=drawn)

    workers = max(1, min(4, os.cpu_count() or 1, len(board.shots)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(pool.map(one, board.shots))
    stills = {k: v[0] for k, v in results.items()}
    infos = {k: v[1] for k, v in results.items() if v[1] is not None}
    plain = {k: v[2] for k, v in results.items()}
    return stills, infos, plain


def panel_clips(out_dir: Path) -> bool:
    """Were the clips in ``out_dir`` drawn by the panel renderer (its render.json says so)?"""
    import json

    try:
        return json.loads((Path(out_dir) / "render.json").read_text(encoding="utf-8")).get("renderer") == "panel"
    except (OSError, ValueError, AttributeError):
        return False


def _warm_font(board: Storyboard) -> None:
    from briefreel.render.exports.pdffont import covering, subset_bytes
    from briefreel.render.exports.common import all_text

    try:
        subset_bytes(covering(all_text(board)), truetype=False)
    except Exception:  # noqa: BLE001 - the sheet and page report font errors themselves
        pass


def _href(target: Path, out_dir: Path) -> str:
    import urllib.parse

    try:
        rel = Path(os.path.relpath(Path(target).resolve(), Path(out_dir).resolve()))
        if not rel.parts or rel.parts[0] != "..":
            return urllib.parse.quote(rel.as_posix())
    except ValueError:
        pass
    return Path(target).resolve().as_uri()


def write_exports(
    board: Storyboard,
    out_dir: str | Path,
    clips: dict[str, str | Path] | None = None,
    animatic: str | Path | None = None,
    *,
    page: str = "A4",
) -> list[Path]:
    """Write every storyboard export for ``board`` into ``out_dir``; returns their paths (see the module doc).

    ``clips`` maps shot ids to rendered clip files (missing ids use the drawn panel); ``animatic`` is the joined
    MP4 the HTML page plays (None: the page says it is not rendered yet). ``page``: "A4" or "Letter".
    """
    from briefreel.render.exports.captions import write_captions
    from briefreel.render.exports.html import write_html
    from briefreel.render.exports.sheet import PAGES, write_sheet
    from briefreel.render.exports.shotlist import write_shotlist
    from briefreel.render.exports.timeline import write_timelines

    if page not in PAGES:
        raise ExportError(f"unknown page size {page!r} (use one of: {', '.join(PAGES)})")
    if board.aspect_ratio not in FRAME_SIZES:
        raise ExportError(f"unsupported aspect ratio {board.aspect_ratio!r}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob(".exports-*"):  # left by a run that was killed (older than an hour)
            if old.is_dir() and time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".exports-", dir=out_dir))
    except OSError as exc:
        raise ExportError(f"cannot write storyboard exports into {out_dir}: {exc.strerror or exc}") from None
    clips = {str(k): Path(v) for k, v in (clips or {}).items()}
    anim = Path(animatic) if animatic is not None and Path(animatic).is_file() else None

    failures: list[str] = []
    try:
        # Cut the font for the sheet and the page while ffmpeg decodes the stills (it runs outside the GIL).
        font_job = ThreadPoolExecutor(max_workers=1)
        font_job.submit(_warm_font, board)
        font_job.shutdown(wait=False)
        try:
            stills, infos, plain = make_stills(board, clips, drawn=panel_clips(out_dir))
        except Exception as exc:  # noqa: BLE001 - reported below with the exports that need stills
            stills, infos, plain = None, {}, {}
            failures.append(f"stills for storyboard.pdf/storyboard.html ({type(exc).__name__}: {exc})")

        links = [name for name in EXPORT_FILES if name != "storyboard.html"]
        jobs = [
            ("storyboard.pdf", lambda: write_sheet(board, staging / "storyboard.pdf", stills, page=page)),
            ("storyboard.html", lambda: write_html(board, staging / "storyboard.html", stills,
                                                   _href(anim, out_dir) if anim else None, links,
                                                   poster=plain.get(board.shots[0].id))),
            ("timeline.otio/.xml/.edl", lambda: write_timelines(board, out_dir, staging, clips, infos)),
            ("captions.srt", lambda: write_captions(board, staging / "captions.srt")),
            ("shots.csv", lambda: write_shotlist(board, staging / "shots.csv")),
        ]
        for name, job in jobs:
            if stills is None and name.startswith("storyboard."):
                continue
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - every failure is collected and raised as one ExportError
                where = traceback.extract_tb(exc.__traceback__)[-1]
                failures.append(f"{name} ({type(exc).__name__}: {exc} at {Path(where.filename).name}:{where.lineno})")
        for name in EXPORT_FILES:  # a folder in the way would stop the moves half-way: check them all first
            if (out_dir / name).is_dir():
                failures.append(f"{name} (a folder of that name is in the way in {out_dir})")
        if failures:
            raise ExportError("storyboard exports not written: " + "; ".join(failures))
        written = []
        for name in EXPORT_FILES:
            target = out_dir / name
            os.replace(staging / name, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
