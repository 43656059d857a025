"""A panel shot whose picture is the shot's ``image`` (a keyframe, or the user's own picture) instead of a drawing.

    stage = ImageStage(shot, board, 1280, 720, image=Path("out/spot/keyframes/S01.png"))
    stage.frame(0.5)          # the picture under the shot's camera move, labels and caption on top

Everything but the canvas is the panel renderer's own (``render.stage.Stage``): the camera path of the shot's
move, the overlay, the yuv420p painting. The canvas is the picture, scaled to cover every view of the move and
centre-cropped, so the camera travels over the picture and never off it: for a static shot or a push-in the first
frame is the picture itself; for a pan the picture spans the pan. There is no separate subject layer (parallax
moves slide the whole picture).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from briefreel.render.stage import Stage
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = ["ImageStage", "stage_for"]


class ImageStage(Stage):
    def __init__(self, shot: Shot, board: Storyboard, w: int, h: int, *, image, **kwargs):
        from briefreel.render.keyframes import load_image

        self.image_path = Path(image) if not isinstance(image, Image.Image) else None
        self._picture = image if isinstance(image, Image.Image) else load_image(image)
        super().__init__(shot, board, w, h, **kwargs)

    def _build_canvas(self, shot: Shot, board: Storyboard) -> None:
        from briefreel.render.keyframes import cover

        w, h = self.w, self.h
        xs, ys, zmax = [], [], 1.0
        for i in range(49):
            for v in self.path.views(i / 48):
                if v is None:
                    continue
                zmax = max(zmax, v.z)
                c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
                for px, py in ((-w / 2, -h / 2), (w / 2, -h / 2), (-w / 2, h / 2), (w / 2, h / 2)):
                    qx, qy = px / v.z, py / v.z
                    xs.append(v.cx + c * qx + s * qy)
                    ys.append(v.cy - s * qx + c * qy)
        m = 4.0
        self.minx, self.miny = min(xs + [-w / 2]) - m, min(ys + [-h / 2]) - m
        maxx, maxy = max(xs + [w / 2]) + m, max(ys + [h / 2]) + m
        self.k = k = min(self.MAX_SHARPNESS, math.sqrt(zmax))
        size = (math.ceil((maxx - self.minx) * k), math.ceil((maxy - self.miny) * k))
        size = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        self.canvas = cover(self._picture, *size)
        self.subject = None


def stage_for(shot: Shot, board: Storyboard, w: int, h: int, **kwargs) -> Stage:
    """The shot's stage: over its ``image`` when it has one (an absolute path, or relative to the current folder:
    ``render_board`` and the exports resolve them against shots.json's folder first), else the drawing."""
    from briefreel.render.keyframes import image_path

    path = image_path(shot)
    if path is None:
        return Stage(shot, board, w, h, **kwargs)
    return ImageStage(shot, board, w, h, image=path, **kwargs)
