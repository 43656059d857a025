"""``variants.html``: every variant's animatic side by side, played together, opened straight from disk.

One card per variant (its values as the caption, links to its folder's storyboard and render.json); "Play all"
starts every video from the top at once, "Pause" stops them, and each video keeps its own controls. When a
video's metadata has loaded the page counts it in ``<body data-loaded>`` (a headless check reads it).
"""

from __future__ import annotations

import html
import json
import urllib.parse
from pathlib import Path
from typing import Any

CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1c1f24;background:#f6f7f9}
header{padding:22px 32px 14px;background:#fff;border-bottom:3px solid #e4572e}
h1{margin:0 0 4px;font-size:24px}
.sub{color:#6b7280;font-size:14px}
button{font:inherit;margin:10px 8px 0 0;padding:6px 14px;border-radius:6px;border:1px solid #c9d3e3;background:#fff;cursor:pointer}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:20px;padding:22px 32px 40px}
figure{margin:0;background:#fff;border:1px solid #e3e6ea;border-radius:8px;overflow:hidden}
video{display:block;width:100%;background:#000}
figcaption{padding:10px 12px;font-size:14px}
figcaption .values{font-weight:600}
figcaption .meta{color:#6b7280;font-size:12px}
figcaption a{color:#1f3b63;margin-right:10px;font-size:12px}
"""

SCRIPT = """
const vids=[...document.querySelectorAll('video')];
let loaded=0;
vids.forEach(v=>v.addEventListener('loadedmetadata',()=>{loaded++;document.body.dataset.loaded=loaded;}));
document.getElementById('play').onclick=()=>{vids.forEach(v=>{v.currentTime=0;v.play();});};
document.getElementById('pause').onclick=()=>{vids.forEach(v=>v.pause());};
"""


def _href(rel: str) -> str:
    return urllib.parse.quote(rel)


def render_variants_html(index: dict[str, Any]) -> str:
    e = html.escape
    title = index.get("title") or "Variants"
    names = ", ".join(f"{{{{{n}}}}}" for n in index.get("placeholders", {}))
    cards = []
    for v in index["variants"]:
        values = " · ".join(f"{k}: {val}" for k, val in v["values"].items())
        cards.append(
            f'<figure id="{e(v["slug"])}" data-slug="{e(v["slug"])}">'
            f'<video src="{e(_href(v["animatic"]))}" controls preload="metadata" playsinline></video>'
            f'<figcaption><div class="values">{e(values)}</div>'
            f'<div class="meta">{len(v["rendered"])} shots rendered, {len(v["reused"])} reused · '
            f'{v["duration_s"]:.1f} s</div>'
            f'<a href="{e(_href(v["dir"] + "/storyboard.html"))}">storyboard</a>'
            f'<a href="{e(_href(v["render_json"]))}">render.json</a>'
            f'<a href="{e(_href(v["shots_json"]))}">shots.json</a></figcaption></figure>')
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(title)} · variants</title>'
        f'<style>{CSS}</style></head><body data-loaded="0" data-variants="{len(index["variants"])}">'
        f'<header><h1>{e(title)}</h1><div class="sub">{len(index["variants"])} variants of {e(names)} · '
        f'{index["shots"]} shots, {index["renders"]} shot renders in all</div>'
        '<button id="play">Play all</button><button id="pause">Pause</button></header>'
        f'<main>{"".join(cards)}</main>'
        f'<script type="application/json" id="index">{json.dumps(index, ensure_ascii=False).replace("</", "<\\/")}'
        f'</script><script>{SCRIPT}</script></body></html>\n')


def write_variants_html(index: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(render_variants_html(index), encoding="utf-8")
    tmp.replace(path)
    return path
