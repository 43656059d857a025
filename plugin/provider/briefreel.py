"""The briefreel tool provider: checks the render-service credentials when a user saves them."""

from __future__ import annotations

from typing import Any

from dify_plugin import ToolProvider
from dify_plugin.errors.tool import ToolProviderCredentialValidationError

from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.service import RenderService


class BriefreelProvider(ToolProvider):
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        """Empty credentials are fine (Brief to storyboard needs none); a URL must answer and accept the key."""
        if not (credentials.get("render_service_url") or "").strip():
            if (credentials.get("render_service_api_key") or "").strip():
                raise ToolProviderCredentialValidationError("An API key was given without the render service URL.")
            return
        try:
            RenderService.from_credentials(credentials).check()
        except ToolUserError as exc:
            raise ToolProviderCredentialValidationError(exc.message) from None
