"""The briefreel tool provider. It declares no credentials (see briefreel.yaml): Dify would otherwise refuse every
tool, Brief to storyboard included, until the provider is authorised. The render service's URL and key are settings
of Render animatic and Animatic status, checked when those tools run (plugin/service.py)."""

from __future__ import annotations

from typing import Any

from dify_plugin import ToolProvider


class BriefreelProvider(ToolProvider):
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        """Nothing to check: the provider has no credentials, so Dify sends an empty dict (and any leftover keys
        from an older version that had them are ignored)."""
        return None
