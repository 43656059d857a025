"""The CPU panel renderer: a drawn storyboard frame per shot, animated with the shot's camera move.

The parts, each in its own module, in the order a frame is made:

1. ``render.labels``: shot size, angle and move names, and the caption text, in the board's language.
2. ``render.camera``: ``camera_path``, the shot's move as a function of time: view centre, zoom, roll and motion blur
   (and, for moves with parallax, a second path for the subject layer).
3. ``storyboard.cast`` (who is in the shot), ``render.panel_layout`` (where: set, figures, product by shot size) and
   ``render.panel_draw`` (drawing them, and the move's storyboard notation).
4. ``render.overlay``: the fixed labels (shot id, size, angle, move, duration, description) and the caption.
5. ``render.stage``: ``Stage.frame(t)``, one video frame: a sub-pixel resample of the canvas, the subject layer on
   top when there is parallax, the overlay last.

This module puts them together: ``draw_panel``, the still storyboard panel (first frame, labels, red move arrows and
the end frame), and ``PanelRenderer``, the ``render.base.Renderer`` that pipes the frames into the H.264 encoder.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from PIL import Image, ImageDraw

from briefreel.render.base import Clip, RenderSettings
from briefreel.render.errors import RenderCancelled
from briefreel.render.labels import value
from briefreel.render.panel_draw import frame_marks, move_marks
from briefreel.render.panel_layout import place_and_light
from briefreel.render.pictograms import product_kind
from briefreel.render.seeds import shot_seed
from briefreel.render.stage import Stage
from briefreel.render import image_stage as _image_stage  # noqa: F401  (in DRAWING_MODULES)
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = ["PanelRenderer", "draw_panel", "Stage", "DRAWING_MODULES"]

# Every module whose code decides a panel's pixels: their source is part of the renderer's version.
DRAWING_MODULES = ("briefreel.render.panel", "briefreel.render.stage", "briefreel.render.panel_draw",
                   "briefreel.render.panel_layout", "briefreel.render.camera", "briefreel.render.overlay",
                   "briefreel.render.labels", "briefreel.render.fonts", "briefreel.render.seeds",
                   "briefreel.render.pictograms", "briefreel.render.image_stage",
                   "briefreel.storyboard.cast", "briefreel.text")


def draw_panel(shot: Shot, board: Storyboard, width: int, height: int, *, clean: bool = False) -> Image.Image:
    """The storyboard panel for ``shot``: the drawn frame, the move in red, labels and the caption (RGB).

    ``clean``: the picture and the move only, no label chip and no caption (the sheet and the page print their
    own text beside it; burned-in labels belong to the animatic)."""
    stage = _stage(shot, board, width, height, cleaned=clean, captions=not clean, desc_lines=0 if clean else 4,
                   labels=not clean)
    img = stage.picture(0.0).convert("RGBA")
    marks = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(marks)
    frame_marks(d, width, height)
    move_marks(d, stage, shot)
    img = Image.alpha_composite(img, marks)
    img = Image.alpha_composite(img, stage.overlay)
    ImageDraw.Draw(img).rectangle((0, 0, width - 1, height - 1), outline=(30, 30, 34), width=max(1, width // 640))
    return img.convert("RGB")


def is_scan(shot: Shot, board: Storyboard) -> bool:
    """Is the shot's picture a drawn storyboard's scanned panel, as ``storyboard/drawn.py`` made it? Its
    ``board.source["scans"]`` records each scan's digest; a keyframe or a user's picture put in its place (or any
    picture on another board) is not one."""
    scans = (board.source or {}).get("scans") or {}
    if (board.source or {}).get("format") != "drawn" or shot.id not in scans:
        return False
    from briefreel.storyboard.keyframes import digest

    return digest(shot, board) == scans[shot.id]


def _stage(shot: Shot, board: Storyboard, w: int, h: int, *, cleaned: bool = False, **kwargs) -> Stage:
    """The shot's drawing, or, when the shot has its own picture (``Shot.image``: a drawn storyboard's panel, a
    keyframe), that picture under the camera move; ``cleaned`` (sheet, page): a drawn storyboard's scans with the
    paper tone removed and the contrast up."""
    if getattr(shot, "image", None):
        from briefreel.storyboard.keyframes import load_image

        picture = load_image(shot, board)
        if picture is not None:
            from briefreel.render.image_stage import ImageStage

            if cleaned and is_scan(shot, board):  # scans only, never a keyframe or a photo
                from briefreel.render.exports.clean import clean_drawing

                picture = clean_drawing(picture)
            return ImageStage(shot, board, w, h, image=picture, **kwargs)
    return Stage(shot, board, w, h, **kwargs)


# -- the renderer ------------------------------------------------------------------------------------------------------

def _image_digest(shot: Shot, board: Storyboard) -> str:
    if not getattr(shot, "image", None):
        return ""
    from briefreel.storyboard.keyframes import digest

    return digest(shot, board)


def _source_digest() -> str:
    """A digest of every module that draws panel pixels."""
    import hashlib
    import sys

    h = hashlib.sha256()
    for name in DRAWING_MODULES:
        h.update(Path(sys.modules[name].__file__).read_bytes())
    return h.hexdigest()[:10]


class PanelRenderer:
    """CPU renderer: drawn panels with the camera move simulated; clips come out conformed and captioned."""

    name = "panel"
    # The drawing code itself is part of the version: any change to it (an upgrade, a local edit) invalidates
    # cached panel clips, so the cache never serves pixels this code would not draw.
    version = "2+" + _source_digest()
    # Asked between frames (at most every STOP_CHECK_S): True stops the shot with RenderCancelled and no clip.
    # render_board sets it from its own should_stop, so a cancel does not wait for a long shot to finish.
    should_stop: Callable[[], bool] | None = None
    STOP_CHECK_S = 0.1

    def __init__(self, seed: int | None = None, **_ignored: Any):
        self.base_seed = 0 if seed is None else int(seed)

    def seed_for(self, shot: Shot) -> int:
        return shot_seed(shot, self.base_seed)

    def cache_key(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        index = next((i for i, s in enumerate(board.shots) if s.id == shot.id), 0)
        kinds = {b.id: b.kind for b in board.bible}
        heading = next((sc.heading for sc in board.scenes if sc.number == shot.scene), "")
        return {
            "renderer": self.name,
            "version": self.version,
            "shot": shot.model_dump(mode="json", exclude={"prompt", "negative_prompt", "source_page", "transition"}),
            "language": board.language,
            "bible_kinds": {c: kinds.get(c) for c in shot.characters},
            # names matter too: a character or product named in the description changes the subject drawn
            "bible_names": sorted(f"{e.kind}:{e.name}" for e in board.bible if e.kind in ("character", "product")),
            "scene_heading": heading,
            # place and light carry over from the shots before it in the scene: they are part of the picture
            "place_light": place_and_light(board, index),
            "product_kind": product_kind(board),
            "side": index % 2,  # the subject alternates thirds shot to shot
            "seed": self.seed_for(shot),
            "size": [settings.width, settings.height],
            "fps": settings.fps,
            "frames": frames,
            "image": _image_digest(shot, board),
        }

    def render_shot(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
                    out_path: Path) -> Clip:
        from briefreel.render.ffmpeg import VideoWriter

        stage = _stage(shot, board, settings.width, settings.height, seed=self.seed_for(shot))
        should_stop, next_check = self.should_stop, 0.0
        with VideoWriter(out_path, settings.width, settings.height, settings.fps) as writer:  # aborts on a raise
            for i, data in enumerate(stage.frame_bytes(frames)):
                if should_stop is not None and time.monotonic() >= next_check:
                    if should_stop():
                        raise RenderCancelled(f"shot {shot.id} cancelled at frame {i} of {frames}")
                    next_check = time.monotonic() + self.STOP_CHECK_S
                writer.write_bytes(data)
        return Clip(path=Path(out_path), frames=frames, fps=settings.fps, width=settings.width,
                    height=settings.height, seed=stage.seed, conformed=True,
                    info={"movement": value(shot.movement), "drew": stage.layout.record(),
                          # it animated the shot's picture (a keyframe, a scan, a photo), not a drawing
                          "image_conditioned": isinstance(stage, _image_stage.ImageStage)})
