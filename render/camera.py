"""Camera moves: a shot's move as a function of time, for the panel renderer.

    path = camera_path(shot, 1280, 720, focus=(0.0, -40.0), seed=7, duration_s=3.0)
    view, subject_view = path.views(0.5)   # where the camera looks halfway through (and the subject layer's view)

A :class:`View` is the view centre, zoom, roll and motion blur. Moves with parallax (follow, arc, dolly zoom) give the
subject layer a path of its own. Every move eases in and out the way an operator accelerates and settles.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable

from briefreel.render.base import ANIMATIC_FPS
from briefreel.render.labels import value
from briefreel.storyboard.schema import Shot

__all__ = ["SPEED", "View", "CameraPath", "camera_path", "ease"]

SPEED = {"slow": 0.6, "medium": 1.0, "fast": 1.6, None: 1.0}


@dataclass(frozen=True)
class View:
    """Where the camera looks, in output pixels relative to the nominal frame's centre."""

    cx: float = 0.0
    cy: float = 0.0
    z: float = 1.0  # zoom: 1 = the nominal frame, 2 = twice as close
    rot: float = 0.0  # roll, degrees, counter-clockwise
    blur: float = 0.0  # horizontal motion blur length, output pixels


def ease(t: float) -> float:
    """Ease in and out (a real operator accelerates and settles)."""
    t = min(1.0, max(0.0, t))
    return 0.5 - 0.5 * math.cos(math.pi * t)


@dataclass
class CameraPath:
    """The move: ``view(t)`` for the background, ``subject(t)`` for the subject layer when it moves differently."""

    view: Callable[[float], View]
    subject: Callable[[float], View] | None = None  # None: subject is painted into the background
    still: bool = False  # True: every frame is the same picture

    def views(self, t: float) -> tuple[View, View | None]:
        return self.view(t), (self.subject(t) if self.subject else None)


def camera_path(shot: Shot, w: int, h: int, focus: tuple[float, float], seed: int, duration_s: float) -> CameraPath:
    """The shot's move as views over t in [0, 1]. ``focus`` is the subject's eye line (pushes aim at it)."""
    move = value(shot.movement)
    m = SPEED.get(shot.movement_speed, 1.0)
    dutch = 8.0 if value(shot.angle) == "dutch" else 0.0
    fx, fy = focus

    def zoom_about_focus(z: float, rot: float = dutch) -> View:
        # Keep the focus point where it is in frame while zooming.
        return View(fx * (1 - 1 / z), fy * (1 - 1 / z), z, rot)

    if move in ("push_in", "dolly_in", "zoom_in"):
        a = 0.22 * m
        return CameraPath(lambda t: zoom_about_focus(1 + a * ease(t)))
    if move in ("pull_out", "dolly_out", "zoom_out"):
        a = 0.22 * m
        return CameraPath(lambda t: zoom_about_focus(1 + a * (1 - ease(t))))
    if move in ("pan", "pan_right", "truck_right", "pan_left", "truck_left"):
        d = 0.28 * w * m * (-1 if move.endswith("left") else 1)
        return CameraPath(lambda t: View(-d / 2 + d * ease(t), 0.0, 1.0, dutch))
    if move in ("tilt", "tilt_up", "pedestal_up", "crane_up", "tilt_down", "pedestal_down", "crane_down"):
        down = move.endswith("down")
        d = 0.28 * h * m * (1 if down else -1)
        crane = move.startswith("crane")

        def vertical(t: float) -> View:
            e = ease(t)
            z = (1.0 + 0.1 * (e if down else 1 - e)) if crane else 1.0  # a crane rises and reveals
            return View(0.0, -d / 2 + d * e, z, dutch)

        return CameraPath(vertical)
    if move == "aerial":
        a = 0.15 * m
        return CameraPath(lambda t: View(0.0, 0.06 * h * (1 - 2 * ease(t)), 1 + a * ease(t), dutch))
    if move == "follow":
        # The subject keeps its place in frame; the world slides past behind it at a steady pace.
        d = 0.35 * w * m
        return CameraPath(
            lambda t: View(-d / 2 + d * t, 0.0, 1.0, dutch),
            lambda t: View(0.0, 0.0, 1.0, dutch),
        )
    if move == "arc":
        # Orbit: background and subject travel in opposite directions. The parallax is what reads as an arc
        # (a zoom on top would cost a full resample per frame for little).
        d = 0.32 * w * m
        return CameraPath(
            lambda t: View(-d / 2 + d * ease(t), 0.0, 1.0, dutch),
            lambda t: View(0.12 * w * m * (0.5 - ease(t)), 0.0, 1.0, dutch),
        )
    if move == "roll":
        r = 14.0 * m
        return CameraPath(lambda t: View(0.0, 0.0, 1.0, dutch + r * ease(t)))
    if move == "whip_pan":
        d = 1.1 * w * (1 if random.Random(seed).random() < 0.5 else -1)

        def ramp(t: float) -> float:  # hold, whip through the middle third, settle
            return ease((t - 0.3) / 0.4)

        frames = max(2.0, duration_s * ANIMATIC_FPS)

        def whip(t: float) -> View:
            v = abs(ramp(t + 0.5 / frames) - ramp(t - 0.5 / frames)) * abs(d)  # pixels per frame
            return View(d * ramp(t), 0.0, 1.0, dutch, blur=0.6 * v)  # from the framed subject to the next

        return CameraPath(whip)
    if move == "handheld":
        rng = random.Random(seed)
        ph = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
        amp = 0.006 * w * m

        def shake(t: float) -> View:
            s = t * duration_s
            dx = amp * (0.6 * math.sin(2 * math.pi * 0.7 * s + ph[0]) + 0.4 * math.sin(2 * math.pi * 1.9 * s + ph[1]))
            dy = amp * (0.6 * math.sin(2 * math.pi * 0.9 * s + ph[2]) + 0.4 * math.sin(2 * math.pi * 2.3 * s + ph[3]))
            rot = 0.5 * m * (0.7 * math.sin(2 * math.pi * 0.5 * s + ph[4]) + 0.3 * math.sin(2 * math.pi * 1.3 * s + ph[5]))
            return View(dx, dy, 1.03, dutch + rot)

        return CameraPath(shake)
    if move == "dolly_zoom":
        # Vertigo: the subject holds its size while the background stretches away behind it.
        a = 0.35 * m
        return CameraPath(
            lambda t: View(0.0, 0.0, 1 + a * (1 - ease(t)), dutch),
            lambda t: View(0.0, 0.0, 1.0, dutch),
        )
    return CameraPath(lambda t: View(0.0, 0.0, 1.0, dutch), still=True)  # static

