"""Typed render errors."""

from __future__ import annotations


class RenderError(Exception):
    exit_code = 30
    code = "render_error"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "rendering failed"


class RendererUnavailable(RenderError):
    """The renderer asked for cannot run here (missing package, model folder, GPU...)."""

    exit_code = 31
    code = "renderer_unavailable"
