"""Run one of the plugin's tools on this machine with the SDK's own classes, no Dify needed.

    echo '{"tool": "brief_to_storyboard", "files": {"brief": "examples/brief_en.pdf"},
           "parameters": {"password": "reel-2026"}, "out": "out/local"}' | python -m briefreel.plugin.local_run

The job comes on stdin (so a password never shows in ``ps``): ``tool``, ``parameters``, ``credentials`` (the
provider's), ``files`` (parameter -> local path; each is served from a loopback HTTP server and handed to the tool
as Dify hands files, a signed URL), ``out`` (where returned files are written). ``{"validate": {...}}`` (or a list of them) checks
provider credentials instead. The tool is built as the SDK builds it (``Tool(runtime=ToolRuntime(...),
session=Session.empty_session())``) and invoked through ``Tool.invoke``; every message it returns is printed as
one JSON line (files as ``{"type": "blob", "path": ..., "meta": ...}``). Reverse invocation (the LLM planner's
model) is not available here: run it inside Dify.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOOLS = ("brief_to_storyboard", "render_animatic", "animatic_status")


def serve_files(paths: dict[str, str]) -> tuple[dict[str, dict], ThreadingHTTPServer]:
    """Serve local files on 127.0.0.1 under signed-looking URLs, as Dify's /files/<id>/file-preview does."""
    routes = {f"/files/{uuid.uuid4()}/file-preview": Path(p) for p in paths.values()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            path = routes.get(self.path.split("?", 1)[0])
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    params = {}
    for (name, local), route in zip(paths.items(), routes):
        p = Path(local)
        params[name] = {
            "dify_model_identity": "__dify__file__", "url": f"{base}{route}?timestamp=0&nonce=0&sign=local",
            "mime_type": "application/pdf", "filename": p.name, "extension": p.suffix, "size": p.stat().st_size,
            "type": "document",
        }
    return params, server


def tool_class(name: str):
    from dify_plugin import Tool

    if name not in TOOLS:
        raise SystemExit(f"unknown tool {name!r}; one of {', '.join(TOOLS)}")
    module = importlib.import_module(f"briefreel.plugin.tools.{name}")
    (cls,) = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Tool) and c is not Tool]
    return cls


def main() -> int:
    spec = json.loads(sys.stdin.read() or "{}")
    from dify_plugin.core.runtime import Session
    from dify_plugin.entities.tool import ToolInvokeMessage, ToolRuntime

    if "validate" in spec:
        from dify_plugin.errors.tool import ToolProviderCredentialValidationError

        from briefreel.plugin.provider.briefreel import BriefreelProvider

        batch = spec["validate"] if isinstance(spec["validate"], list) else [spec["validate"]]
        for credentials in batch:
            try:
                BriefreelProvider().validate_credentials(credentials)
                print(json.dumps({"valid": True}), flush=True)
            except ToolProviderCredentialValidationError as exc:
                print(json.dumps({"valid": False, "error": str(exc)}), flush=True)
        return 0

    out = Path(spec.get("out") or "out/local")
    out.mkdir(parents=True, exist_ok=True)
    params = dict(spec.get("parameters") or {})
    server = None
    if spec.get("files"):
        served, server = serve_files(spec["files"])
        params.update(served)
    runtime = ToolRuntime(credentials=spec.get("credentials") or {}, user_id="local", session_id=None)
    tool = tool_class(spec["tool"])(runtime=runtime, session=Session.empty_session())
    try:
        for message in tool.invoke(params):
            if isinstance(message.message, ToolInvokeMessage.BlobMessage):
                meta = dict(message.meta or {})
                target = out / Path(meta.get("filename") or f"{uuid.uuid4().hex}.bin").name
                target.write_bytes(message.message.blob)
                line = {"type": "blob", "path": str(target), "bytes": len(message.message.blob), "meta": meta}
            else:
                line = message.model_dump(mode="json")
            print(json.dumps(line, ensure_ascii=False), flush=True)
    finally:
        if server is not None:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
