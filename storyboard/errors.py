"""Typed storyboard errors."""

from __future__ import annotations


class StoryboardError(Exception):
    """The brief held nothing that could become shots, or a shots.json is invalid."""

    exit_code = 20
    code = "storyboard_error"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "the storyboard could not be built"


class InvalidShots(StoryboardError):
    exit_code = 21
    code = "invalid_shots"
