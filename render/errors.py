"""Typed render errors."""

from __future__ import annotations

from briefreel.errors import BriefreelError


class RenderError(BriefreelError):
    exit_code = 30
    code = "render_error"
    status = 500
    default_message = "rendering failed"


class RendererUnavailable(RenderError):
    """The renderer asked for cannot run here (missing package, model folder, GPU...)."""

    exit_code = 31
    code = "renderer_unavailable"


class RenderCancelled(RenderError):
    """``render_board(should_stop=...)`` asked to stop between shots. No ``animatic.mp4`` was written; the shots
    finished before the stop are in the cache and are reused by the next render."""

    exit_code = 32
    code = "render_cancelled"
