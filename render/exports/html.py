"""``storyboard.html``: one self-contained page to preview the board, opened straight from disk.

Thumbnails are JPEG data URIs and the CSS and script are inline, so the page needs no network. The animatic plays
on the page from the ``animatic.mp4`` beside it; clicking a shot (or ↑/↓) seeks the video to that shot's first
frame, and while it plays the current shot is highlighted and its line shown under the picture. Shot times are
the animatic's frame-exact spans at 24 fps (``render.base.frame_spans``). ``storyboard.html#shot-S03`` opens the
page on shot S03.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from PIL import Image

from briefreel.render.exports import common as C
from briefreel.render.exports.common import atomic_path, timed_shots
from briefreel.storyboard.schema import Storyboard

THUMB_WIDTH = {"16:9": 320, "9:16": 180, "1:1": 240}

CSS = """
:root{--ink:#1c1f24;--muted:#6b7280;--rule:#e3e6ea;--bg:#f6f7f9;--accent:#e4572e;--line:#1f3b63;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "Board Sans",system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif;color:var(--ink);background:var(--bg)}
header{padding:28px 36px 18px;background:var(--card);border-bottom:3px solid var(--accent)}
h1{margin:0 0 4px;font-size:26px;letter-spacing:-.01em}
.sub{color:var(--muted);font-size:14px}
.sub b{color:var(--ink);font-weight:600}
.files{margin-top:10px;font-size:13px;display:flex;flex-wrap:wrap;row-gap:4px}
.files a{color:var(--line);margin-right:14px;text-decoration:none;border-bottom:1px solid #c9d3e3}
main{padding:24px 36px 48px;max-width:1500px}
.player{display:flex;gap:24px;align-items:flex-start;margin-bottom:26px;flex-wrap:wrap}
.screen{flex:0 1 auto;background:#000;border-radius:8px;overflow:hidden;box-shadow:0 2px 14px rgba(0,0,0,.18)}
video{display:block;max-width:100%}
.ar-16x9 .screen{width:min(720px,100%)}.ar-1x1 .screen{width:min(520px,100%)}
.ar-16x9 video,.ar-1x1 video{width:100%;height:auto}
.ar-9x16 video{height:min(72vh,640px);width:auto}
.now{flex:1 1 280px;min-width:260px;background:var(--card);border:1px solid var(--rule);border-radius:8px;padding:16px 18px}
.now .id{font-weight:700;font-size:20px}
.now .meta{color:var(--muted);font-size:13px;margin:2px 0 10px}
.now .desc{margin:0 0 10px}
.now .said{color:var(--line);font-size:16px}
.hint{color:var(--muted);font-size:12px;margin-top:12px}
.missing{background:#fff7ed;border:1px solid #fed7aa;color:#9a3412;border-radius:8px;padding:12px 16px;margin-bottom:22px}
table{width:100%;border-collapse:separate;border-spacing:0;background:var(--card);border:1px solid var(--rule);border-radius:8px;overflow:hidden}
th{position:sticky;top:0;background:#fafbfc;text-align:left;font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;padding:10px 12px;border-bottom:1px solid var(--rule);z-index:1}
td{padding:12px;border-bottom:1px solid var(--rule);vertical-align:top}
tr.shot:last-child td{border-bottom:0}
tr.scene-row td{background:#f0f2f5;font-size:12px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:#4b5563;padding:7px 12px}
tr.shot{cursor:pointer;transition:background .12s}
tr.shot:hover{background:#f3f5f8}
tr.shot:focus{outline:2px solid #9db3d6;outline-offset:-2px}
tr.shot.current{background:#fff1ec}
tr.shot.current td:first-child{box-shadow:inset 4px 0 0 var(--accent)}
td.thumb img{display:block;border-radius:4px;border:1px solid #cfd4da}
.ar-16x9 td.thumb img{width:200px}.ar-1x1 td.thumb img{width:150px}.ar-9x16 td.thumb img{width:96px}
td.id .sid{font-weight:700;font-size:16px}
td.id .tc,td.dur .tc{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums;white-space:nowrap}
td.cam{font-size:13px;white-space:nowrap}
td.cam span{display:block}
td.cam i{font-style:normal;color:var(--muted);font-size:11px;margin-right:6px}
td.dur{white-space:nowrap;font-variant-numeric:tabular-nums;font-weight:600}
td.said{color:var(--line)}
td.said .kind{display:inline-block;color:var(--accent);font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;margin-right:6px}
td.desc{min-width:220px}
td.said{min-width:200px;width:26%}
.table-wrap{overflow-x:auto;border-radius:8px}
@media (max-width:900px){header,main{padding-left:16px;padding-right:16px}td.cam,th.cam{display:none}
td.desc,td.said{min-width:0}.ar-16x9 td.thumb img{width:120px}.ar-1x1 td.thumb img{width:96px}.ar-9x16 td.thumb img{width:64px}
td{padding:10px 8px}}
@media print{.player,.hint,.files,.missing{display:none}body{background:#fff}tr.shot{break-inside:avoid}th{position:static}}
"""

SCRIPT = """
(function(){
  var fps = %(fps)d;
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.shot'));
  var video = document.getElementById('animatic');
  var now = document.getElementById('now');
  var current = -1;
  function show(i){
    if(i===current) return;
    if(current>=0) rows[current].classList.remove('current'), rows[current].removeAttribute('aria-current');
    current=i;
    if(i<0) return;
    var r=rows[i];
    r.classList.add('current'); r.setAttribute('aria-current','true');
    document.documentElement.setAttribute('data-current-shot', r.dataset.id);
    if(now){
      now.querySelector('.id').textContent=r.dataset.id;
      now.querySelector('.meta').textContent=r.dataset.meta;
      now.querySelector('.desc').textContent=r.dataset.desc;
      now.querySelector('.said').textContent=r.dataset.said;
    }
    if(video && !video.paused){
      var b=r.getBoundingClientRect();
      if(b.top<0||b.bottom>window.innerHeight) r.scrollIntoView({block:'nearest',behavior:'smooth'});
    }
  }
  function shotAt(t){
    var f=Math.floor(t*fps+1e-6);
    for(var i=0;i<rows.length;i++){ if(f<+rows[i].dataset.end) return i; }
    return rows.length-1;
  }
  function seek(i){
    i=Math.max(0,Math.min(rows.length-1,i));
    show(i);
    if(video){ video.currentTime=(+rows[i].dataset.start+0.5)/fps; }
  }
  rows.forEach(function(r,i){
    r.addEventListener('click',function(){ seek(i); });
    r.addEventListener('keydown',function(e){ if(e.key==='Enter'){ seek(i); e.preventDefault(); } });
  });
  document.addEventListener('keydown',function(e){
    if(e.target && /INPUT|TEXTAREA|VIDEO/.test(e.target.tagName)) return;
    if(e.key==='ArrowDown'||e.key==='j'){ seek(current+1); e.preventDefault(); }
    else if(e.key==='ArrowUp'||e.key==='k'){ seek(current-1); e.preventDefault(); }
    else if(e.key===' ' && video){ video.paused?video.play():video.pause(); e.preventDefault(); }
  });
  if(video){
    var tick=function(){ show(shotAt(video.currentTime)); if(!video.paused) requestAnimationFrame(tick); };
    video.addEventListener('timeupdate',function(){ show(shotAt(video.currentTime)); });
    video.addEventListener('seeked',function(){
      show(shotAt(video.currentTime));
      document.documentElement.setAttribute('data-video-time', String(video.currentTime));
    });
    video.addEventListener('play',function(){ requestAnimationFrame(tick); });
    video.addEventListener('loadedmetadata',function(){
      document.documentElement.setAttribute('data-video-duration', String(video.duration));
    });
    video.addEventListener('error',function(){
      document.documentElement.setAttribute('data-video-error', String(video.error && video.error.code));
    });
  }
  // #shot-S03 in the address opens the page on that shot (links to one shot can be shared).
  var fromHash=function(){
    var id=decodeURIComponent((location.hash||'').replace(/^#shot-/,''));
    for(var i=0;i<rows.length;i++){ if(rows[i].dataset.id===id){ seek(i); window.scrollTo(0,0); return true; } }
    return false;
  };
  window.addEventListener('hashchange',fromHash);
  if(!fromHash() && video) show(0);
})();
"""


def _data_uri(img: Image.Image, width: int) -> str:
    img = img.convert("RGB")
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _font_face(board: Storyboard) -> str:
    """The page's own font (Noto Sans SC cut to the characters it shows), so Chinese renders on any machine."""
    from briefreel.render.exports.pdffont import covering, subset_bytes
    from briefreel.render.exports.common import all_text

    data = base64.b64encode(subset_bytes(covering(all_text(board)), truetype=False)).decode("ascii")
    return f'@font-face{{font-family:"Board Sans";src:url(data:font/otf;base64,{data}) format("opentype")}}'


def page(board: Storyboard, stills: dict[str, Image.Image], animatic: str | None = None,
         links: list[str] | None = None, poster: Image.Image | None = None) -> str:
    """The page as a string. ``animatic``: the video's relative URL (None when there is no animatic yet);
    ``poster``: the picture shown before it plays (default: the first shot's still)."""
    e = html.escape
    L = lambda key: e(C.label(board, key))  # noqa: E731
    timed = timed_shots(board)
    fps = timed[0].fps
    ar = board.aspect_ratio.replace(":", "x")
    name = C.title(board)
    sub = [f"{L('storyboard')}", f"<b>{len(timed)}</b> {L('shots')}",
           f"{L('total')} <b>{e(C.clock(board.duration_s))}</b>", e(board.aspect_ratio), f"{fps} fps"]
    if board.style:
        sub.append(e(board.style))
    rows = []
    headings = {sc.number: sc.heading for sc in board.scenes}
    several = len({t.shot.scene for t in timed}) > 1 or any(headings.values())
    previous = None
    for t in timed:
        s = t.shot
        if several and s.scene != previous:
            heading = headings.get(s.scene, "")
            rows.append(f'<tr class="scene-row"><td colspan="6">{L("scene")} {s.scene}'
                        f'{" · " + e(heading) if heading else ""}</td></tr>')
        previous = s.scene
        cam = [(C.label(board, "size"), f"{s.size.value} · {C.size_name(board, s)}"),
               (C.label(board, "angle"), C.angle_name(board, s)),
               (C.label(board, "movement"), C.move_name(board, s))]
        meta = " · ".join([f"{C.label(board, 'scene')} {s.scene}", f"{s.size.value} {C.size_name(board, s)}",
                           C.angle_name(board, s), C.move_name(board, s), f"{s.duration_s:g} s",
                           C.timecode(t.start, fps)])
        said = s.dialogue.strip()
        colon = "：" if board.language == "zh" else ": "
        said_text = f"{C.line_kind(board, s)}{colon}{said}" if said else ""
        said_html = (f'<span class="kind">{e(C.line_kind(board, s))}</span>{e(said)}' if said else "")
        if s.sfx.strip():
            said_html += f'<div><span class="kind">{L("sfx")}</span>{e(s.sfx.strip())}</div>'
        if s.on_screen_text.strip() and s.on_screen_text.strip() != said:
            said_html += (f'<div><span class="kind">{L("on_screen_text")}</span>{e(s.on_screen_text.strip())}</div>')
        rows.append(
            f'<tr class="shot" id="row-{e(s.id)}" tabindex="0" data-id="{e(s.id)}" data-start="{t.start}" '
            f'data-end="{t.end}" data-start-s="{t.start_s:.4f}" data-meta="{e(meta)}" data-desc="{e(s.description)}" '
            f'data-said="{e(said_text)}">'
            f'<td class="thumb"><img alt="{e(s.id)}" src="{_data_uri(stills[s.id], THUMB_WIDTH[board.aspect_ratio])}"></td>'
            f'<td class="id"><div class="sid">{e(s.id)}</div><div class="tc">{L("scene")} {s.scene}</div>'
            f'<div class="tc">{C.timecode(t.start, fps)}</div></td>'
            f'<td class="cam">{"".join(f"<span><i>{e(k)}</i>{e(v)}</span>" for k, v in cam)}</td>'
            f'<td class="dur">{s.duration_s:g} s<div class="tc">{t.frames} f</div></td>'
            f'<td class="desc">{e(s.description)}</td>'
            f'<td class="said">{said_html}</td></tr>'
        )
    if animatic:
        player = (
            f'<section class="player"><div class="screen"><video id="animatic" controls preload="metadata" '
            f'playsinline poster="{_data_uri(poster or stills[timed[0].shot.id], 720)}" src="{e(animatic)}"></video></div>'
            f'<div class="now" id="now" aria-live="polite"><div class="id"></div><div class="meta"></div>'
            f'<p class="desc"></p><div class="said"></div><div class="hint">{L("play_hint")}</div></div></section>'
        )
    else:
        player = f'<p class="missing">{L("no_animatic")}</p>'
    files = ""
    if links:
        files = '<div class="files">' + "".join(f'<a href="{e(x)}">{e(x)}</a>' for x in links) + "</div>"
    head = (f'<th></th><th>{L("shot")}</th><th class="cam">{L("size")} / {L("angle")} / {L("movement")}</th>'
            f'<th>{L("duration")}</th><th>{L("description")}</th><th>{L("dialogue")}</th>')
    spans = json.dumps([{"id": t.shot.id, "start": t.start, "end": t.end} for t in timed]).replace("</", "<\\/")
    lang_attr = "zh-CN" if board.language == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="generator" content="briefreel">'
        f'<title>{e(name)} · {L("storyboard")}</title><style>{_font_face(board)}{CSS}</style></head>'
        f'<body class="ar-{ar}"><header><h1>{e(name)}</h1><div class="sub">{" · ".join(sub)}</div>{files}</header>'
        f'<main>{player}<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div></main>'
        f'<script type="application/json" id="shots">{spans}</script><script>{SCRIPT % {"fps": fps}}</script></body></html>\n'
    )


def write_html(board: Storyboard, path: Path, stills: dict[str, Image.Image], animatic: str | None = None,
               links: list[str] | None = None, poster: Image.Image | None = None) -> Path:
    text = page(board, stills, animatic, links, poster)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
