"""Typed storyboard errors."""

from __future__ import annotations

from briefreel.errors import BriefreelError


class StoryboardError(BriefreelError):
    """The brief held nothing that could become shots, or a shots.json is invalid."""

    exit_code = 20
    code = "storyboard_error"
    status = 422
    default_message = "the storyboard could not be built"


class InvalidShots(StoryboardError):
    exit_code = 21
    code = "invalid_shots"
