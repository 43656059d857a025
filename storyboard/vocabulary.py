"""Camera vocabulary, English and Chinese, as data: words → schema enums, speeds, and display labels.

    >>> parse_camera("Slow push in, low angle", "en")
    Camera(size=None, angle=<Angle.low: 'low'>, movement=<Movement.push_in: 'push_in'>, speed='slow', ...)
    >>> parse_camera("近景 仰拍 缓慢推进", "zh").size
    <ShotSize.MCU: 'MCU'>

Two matching modes. ``mode="cell"`` is for text known to be a camera field (a 景别 or Movement column, the
first fields of a numbered shot line): bare words such as 推, 摇, "wide" or "medium" count. ``mode="prose"`` is
for running text, where only unambiguous phrases count (手持拍摄 is a camera move, 手持咖啡 is holding a coffee;
"wide shot" is a size, "a wide smile" is not). Each term is one row in the tables below; matching is longest
term first over a plain scan (no regular expressions), so 大特写 wins over 特写 and 中近景 over 近景.

Chinese shot sizes follow the ladder most Chinese 分镜 tables use (research notes §3.3): 大特写 ECU, 特写 CU,
近景 MCU, 中景/中近景/半身景 MS, 中全景/小全景 MLS, 全景 FS, 远景 LS, 大远景/大全景 EWS. Chinese 推/拉 are push_in /
pull_out (they do not say whether the camera travels or zooms); 摇 alone is a pan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.storyboard.schema import Angle, Movement, ShotSize

CELL, PROSE, CAM = "cell", "prose", "cam"
# PROSE terms match anywhere; CELL terms only in camera fields; CAM terms in camera fields, and in prose only
# when the camera is the subject nearby ("the camera slowly pans", "镜头缓缓推").

# -- terms ------------------------------------------------------------------------------------------------------------
# (term, value, where) — value None marks a blocker: a longer word that must not be read as a camera term.

SIZE_TERMS: list[tuple[str, ShotSize | None, str]] = [
    # English
    ("extreme close-up", ShotSize.ECU, PROSE), ("extreme close up", ShotSize.ECU, PROSE),
    ("extreme closeup", ShotSize.ECU, PROSE), ("big close-up", ShotSize.ECU, PROSE), ("macro shot", ShotSize.ECU, PROSE),
    ("medium close-up", ShotSize.MCU, PROSE), ("medium close up", ShotSize.MCU, PROSE),
    ("medium closeup", ShotSize.MCU, PROSE), ("mid close-up", ShotSize.MCU, PROSE), ("chest-up", ShotSize.MCU, PROSE),
    ("close-up", ShotSize.CU, PROSE), ("close up", ShotSize.CU, PROSE), ("closeup", ShotSize.CU, PROSE),
    ("close shot", ShotSize.CU, PROSE), ("tight shot", ShotSize.CU, PROSE), ("close on", ShotSize.CU, PROSE),
    ("medium long shot", ShotSize.MLS, PROSE), ("medium wide shot", ShotSize.MLS, PROSE),
    ("medium wide", ShotSize.MLS, PROSE), ("medium full shot", ShotSize.MLS, PROSE), ("cowboy shot", ShotSize.MLS, PROSE),
    ("knee shot", ShotSize.MLS, PROSE),
    ("medium shot", ShotSize.MS, PROSE), ("mid shot", ShotSize.MS, PROSE), ("mid-shot", ShotSize.MS, PROSE),
    ("waist shot", ShotSize.MS, PROSE), ("waist-up", ShotSize.MS, PROSE), ("two shot", ShotSize.MS, PROSE),
    ("two-shot", ShotSize.MS, PROSE),
    ("full shot", ShotSize.FS, PROSE), ("full-length shot", ShotSize.FS, PROSE), ("full body shot", ShotSize.FS, PROSE),
    ("full-body shot", ShotSize.FS, PROSE),
    ("extreme wide shot", ShotSize.EWS, PROSE), ("extreme wide", ShotSize.EWS, PROSE),
    ("extreme long shot", ShotSize.EWS, PROSE), ("establishing shot", ShotSize.EWS, PROSE),
    ("very wide shot", ShotSize.EWS, PROSE), ("super wide", ShotSize.EWS, PROSE),
    ("wide shot", ShotSize.LS, PROSE), ("long shot", ShotSize.LS, PROSE), ("wide angle shot", ShotSize.LS, PROSE),
    ("wide-angle shot", ShotSize.LS, PROSE), ("wide on", ShotSize.LS, PROSE), ("a wide of", ShotSize.LS, PROSE),
    ("a wide,", ShotSize.LS, PROSE), ("a wide:", ShotSize.LS, PROSE), ("a wide as", ShotSize.LS, PROSE),
    ("a wide.", ShotSize.LS, PROSE), ("a wide from", ShotSize.LS, PROSE), ("a wide where", ShotSize.LS, PROSE), ("wide establishing", ShotSize.EWS, PROSE),
    ("over-the-shoulder", ShotSize.OTS, PROSE), ("over the shoulder", ShotSize.OTS, PROSE),
    ("point of view", ShotSize.POV, PROSE), ("point-of-view", ShotSize.POV, PROSE), ("pov shot", ShotSize.POV, PROSE),
    ("what she sees", ShotSize.POV, PROSE), ("what he sees", ShotSize.POV, PROSE), ("what they see", ShotSize.POV, PROSE),
    ("through her eyes", ShotSize.POV, PROSE), ("through his eyes", ShotSize.POV, PROSE),
    ("insert shot", ShotSize.INSERT, PROSE), ("cutaway", ShotSize.INSERT, PROSE), ("pack shot", ShotSize.CU, PROSE),
    ("packshot", ShotSize.CU, PROSE), ("detail shot", ShotSize.INSERT, PROSE),
    ("end card", ShotSize.INSERT, CELL), ("endcard", ShotSize.INSERT, CELL), ("end frame", ShotSize.INSERT, CELL),
    ("end slate", ShotSize.INSERT, CELL), ("title card", ShotSize.INSERT, CELL), ("logo card", ShotSize.INSERT, CELL),
    ("落版", ShotSize.INSERT, CELL), ("标版", ShotSize.INSERT, CELL), ("定版", ShotSize.INSERT, CELL),
    ("字幕卡", ShotSize.INSERT, CELL), ("插入", ShotSize.INSERT, CELL),
    # bare words: only in a size field
    ("extreme close", ShotSize.ECU, CELL), ("close", ShotSize.CU, CELL), ("medium", ShotSize.MS, CELL),
    ("mid", ShotSize.MS, CELL), ("wide", ShotSize.LS, CELL), ("long", ShotSize.LS, CELL), ("full", ShotSize.FS, CELL),
    ("establishing", ShotSize.EWS, CELL), ("insert", ShotSize.INSERT, CELL), ("detail", ShotSize.INSERT, CELL),
    ("macro", ShotSize.ECU, CELL), ("cowboy", ShotSize.MLS, CELL), ("two", ShotSize.MS, CELL),
    # Chinese
    ("大特写", ShotSize.ECU, PROSE), ("极特写", ShotSize.ECU, PROSE), ("超特写", ShotSize.ECU, PROSE),
    ("微距", ShotSize.ECU, PROSE), ("大特", ShotSize.ECU, CELL),
    ("特写", ShotSize.CU, PROSE), ("面部特写", ShotSize.CU, PROSE),
    ("中近景", ShotSize.MS, PROSE), ("半身景", ShotSize.MS, PROSE), ("半身", ShotSize.MS, CELL),
    ("近景", ShotSize.MCU, PROSE), ("近", ShotSize.MCU, CELL),
    ("中全景", ShotSize.MLS, PROSE), ("小全景", ShotSize.MLS, PROSE), ("小全", ShotSize.MLS, CELL),
    ("中景", ShotSize.MS, PROSE), ("中", ShotSize.MS, CELL),
    ("大全景", ShotSize.EWS, PROSE), ("全景", ShotSize.FS, PROSE), ("全身", ShotSize.FS, CELL), ("全", ShotSize.FS, CELL),
    ("大远景", ShotSize.EWS, PROSE), ("极远景", ShotSize.EWS, PROSE), ("超远景", ShotSize.EWS, PROSE),
    ("远景", ShotSize.LS, PROSE), ("远", ShotSize.LS, CELL),
    ("过肩镜头", ShotSize.OTS, PROSE), ("过肩", ShotSize.OTS, PROSE),
    ("主观镜头", ShotSize.POV, PROSE), ("主观视角", ShotSize.POV, PROSE), ("第一人称视角", ShotSize.POV, PROSE),
    ("第一视角", ShotSize.POV, PROSE),
    ("插入镜头", ShotSize.INSERT, PROSE), ("空镜头", ShotSize.INSERT, PROSE), ("空镜", ShotSize.INSERT, PROSE),
    ("产品特写", ShotSize.CU, PROSE), ("细节特写", ShotSize.ECU, PROSE), ("定帧", None, PROSE),
]

# Abbreviations count only in capitals, as whole words ("CU", "MS"; "ms" may be milliseconds).
SIZE_ABBREVIATIONS: dict[str, ShotSize] = {
    "EWS": ShotSize.EWS, "ELS": ShotSize.EWS, "XWS": ShotSize.EWS, "XLS": ShotSize.EWS, "VWS": ShotSize.EWS,
    "LS": ShotSize.LS, "WS": ShotSize.LS, "WIDE": ShotSize.LS,
    "FS": ShotSize.FS, "MLS": ShotSize.MLS, "MWS": ShotSize.MLS, "MFS": ShotSize.MLS,
    "MS": ShotSize.MS, "MED": ShotSize.MS, "MCU": ShotSize.MCU, "CU": ShotSize.CU, "ECU": ShotSize.ECU,
    "XCU": ShotSize.ECU, "BCU": ShotSize.ECU, "OTS": ShotSize.OTS, "OS": ShotSize.OTS, "POV": ShotSize.POV,
    "INSERT": ShotSize.INSERT, "INS": ShotSize.INSERT,
}

ANGLE_TERMS: list[tuple[str, Angle | None, str]] = [
    ("low angle", Angle.low, PROSE), ("low-angle", Angle.low, PROSE), ("from below", Angle.low, PROSE),
    ("looking up at", Angle.low, PROSE),
    ("high angle", Angle.high, PROSE), ("high-angle", Angle.high, PROSE), ("from above", Angle.high, PROSE),
    ("looking down on", Angle.high, PROSE), ("looking down at", Angle.high, PROSE),
    ("eye level", Angle.eye_level, PROSE), ("eye-level", Angle.eye_level, PROSE),
    ("bird's-eye", Angle.overhead, PROSE), ("bird's eye", Angle.overhead, PROSE), ("birds-eye", Angle.overhead, PROSE),
    ("birds eye", Angle.overhead, PROSE), ("overhead", Angle.overhead, PROSE), ("top-down", Angle.overhead, PROSE),
    ("top down", Angle.overhead, PROSE), ("top shot", Angle.overhead, PROSE), ("god's eye", Angle.overhead, PROSE),
    ("worm's-eye", Angle.worms_eye, PROSE), ("worm's eye", Angle.worms_eye, PROSE),
    ("worms-eye", Angle.worms_eye, PROSE), ("worms eye", Angle.worms_eye, PROSE),
    ("dutch angle", Angle.dutch, PROSE), ("dutch tilt", Angle.dutch, PROSE), ("canted", Angle.dutch, PROSE),
    ("dutch", Angle.dutch, PROSE),
    ("low", Angle.low, CELL), ("high", Angle.high, CELL), ("eye", Angle.eye_level, CELL),
    # Chinese
    ("极度仰拍", Angle.worms_eye, PROSE), ("极低角度", Angle.worms_eye, PROSE), ("虫视", Angle.worms_eye, PROSE),
    ("仰拍", Angle.low, PROSE), ("仰视", Angle.low, PROSE), ("仰角", Angle.low, PROSE), ("低角度", Angle.low, PROSE),
    ("低机位", Angle.low, PROSE), ("仰", Angle.low, CELL),
    ("垂直俯拍", Angle.overhead, PROSE), ("正俯拍", Angle.overhead, PROSE), ("俯视90", Angle.overhead, PROSE),
    ("鸟瞰", Angle.overhead, PROSE), ("顶拍", Angle.overhead, PROSE), ("顶视", Angle.overhead, PROSE),
    ("上帝视角", Angle.overhead, PROSE),
    ("俯拍", Angle.high, PROSE), ("俯视", Angle.high, PROSE), ("俯角", Angle.high, PROSE), ("高角度", Angle.high, PROSE),
    ("高机位", Angle.high, PROSE), ("俯", Angle.high, CELL),
    ("平视", Angle.eye_level, PROSE), ("平拍", Angle.eye_level, PROSE), ("平角", Angle.eye_level, PROSE),
    ("荷兰角", Angle.dutch, PROSE), ("斜角", Angle.dutch, PROSE), ("倾斜构图", Angle.dutch, PROSE),
    ("倾斜角度", Angle.dutch, PROSE), ("倾斜镜头", Angle.dutch, PROSE), ("倾斜", Angle.dutch, CELL),
]

_M = Movement
MOVE_TERMS: list[tuple[str, Movement | None, str]] = [
    # English: push / pull / dolly / zoom
    ("push in", _M.push_in, PROSE), ("push-in", _M.push_in, PROSE), ("pushes in", _M.push_in, PROSE),
    ("pushing in", _M.push_in, PROSE), ("push on", _M.push_in, PROSE), ("pushes toward", _M.push_in, PROSE),
    ("pushes towards", _M.push_in, PROSE), ("push towards", _M.push_in, PROSE), ("push toward", _M.push_in, PROSE),
    ("creep in", _M.push_in, PROSE), ("creeps in", _M.push_in, PROSE), ("moves in", _M.push_in, PROSE),
    ("move in", _M.push_in, PROSE), ("push", _M.push_in, CELL),
    ("pull out", _M.pull_out, PROSE), ("pull back", _M.pull_out, PROSE), ("pulls back", _M.pull_out, PROSE),
    ("pulls out", _M.pull_out, PROSE), ("pull-back", _M.pull_out, PROSE), ("pulling back", _M.pull_out, PROSE),
    ("pulling out", _M.pull_out, PROSE), ("pullback", _M.pull_out, PROSE), ("moves out", _M.pull_out, PROSE),
    ("pull", _M.pull_out, CELL),
    ("dolly in", _M.dolly_in, PROSE), ("dollies in", _M.dolly_in, PROSE), ("dolly forward", _M.dolly_in, PROSE),
    ("dollies forward", _M.dolly_in, PROSE), ("dolly-in", _M.dolly_in, PROSE), ("track in", _M.dolly_in, PROSE),
    ("tracks in", _M.dolly_in, PROSE), ("dolly toward", _M.dolly_in, PROSE), ("dolly towards", _M.dolly_in, PROSE),
    ("drift toward", _M.dolly_in, CAM), ("drift towards", _M.dolly_in, CAM), ("drift slowly toward", _M.dolly_in, CAM),
    ("drift slowly towards", _M.dolly_in, CAM), ("drifts toward", _M.dolly_in, CAM), ("drifts towards", _M.dolly_in, CAM),
    ("dolly out", _M.dolly_out, PROSE), ("dollies out", _M.dolly_out, PROSE), ("dolly back", _M.dolly_out, PROSE),
    ("dollies back", _M.dolly_out, PROSE), ("dolly-out", _M.dolly_out, PROSE), ("track out", _M.dolly_out, PROSE),
    ("track back", _M.dolly_out, PROSE), ("tracks back", _M.dolly_out, PROSE),
    ("dolly zoom", _M.dolly_zoom, PROSE), ("vertigo effect", _M.dolly_zoom, PROSE), ("vertigo shot", _M.dolly_zoom, PROSE),
    ("zolly", _M.dolly_zoom, PROSE), ("contra-zoom", _M.dolly_zoom, PROSE), ("vertigo", _M.dolly_zoom, CELL),
    # A rack focus moves the focus, not the camera: the frame is locked off (research §3.1).
    ("rack focus", _M.static, PROSE), ("focus pull", _M.static, PROSE), ("pull focus", _M.static, PROSE),
    ("racks focus", _M.static, PROSE), ("焦点转移", _M.static, PROSE), ("变焦点", _M.static, PROSE),
    ("zoom in", _M.zoom_in, PROSE), ("zooms in", _M.zoom_in, PROSE), ("zooming in", _M.zoom_in, PROSE),
    ("crash zoom", _M.zoom_in, PROSE), ("snap zoom", _M.zoom_in, PROSE), ("zoom-in", _M.zoom_in, PROSE),
    ("zoom out", _M.zoom_out, PROSE), ("zooms out", _M.zoom_out, PROSE), ("zooming out", _M.zoom_out, PROSE),
    ("zoom-out", _M.zoom_out, PROSE), ("zoom", _M.zoom_in, CAM), ("dolly", _M.dolly_in, CELL),
    # pan / tilt / whip
    ("whip pan", _M.whip_pan, PROSE), ("whip-pan", _M.whip_pan, PROSE), ("whip pans", _M.whip_pan, PROSE),
    ("swish pan", _M.whip_pan, PROSE), ("whip", _M.whip_pan, CELL),
    ("pan left", _M.pan_left, PROSE), ("pans left", _M.pan_left, PROSE), ("panning left", _M.pan_left, PROSE),
    ("pan right", _M.pan_right, PROSE), ("pans right", _M.pan_right, PROSE), ("panning right", _M.pan_right, PROSE),
    ("pan up", _M.tilt_up, PROSE), ("pans up", _M.tilt_up, PROSE), ("pan down", _M.tilt_down, PROSE),
    ("pans down", _M.tilt_down, PROSE),
    ("frying pan", None, PROSE), ("b-roll", None, PROSE), ("b roll", None, PROSE), ("pots and pans", None, PROSE), ("saucepan", None, PROSE),
    ("pans", _M.pan, CAM), ("panning", _M.pan, CAM), ("pan across", _M.pan, PROSE), ("pan", _M.pan, CAM),
    ("tilt up", _M.tilt_up, PROSE), ("tilts up", _M.tilt_up, PROSE), ("tilting up", _M.tilt_up, PROSE),
    ("tilt down", _M.tilt_down, PROSE), ("tilts down", _M.tilt_down, PROSE), ("tilting down", _M.tilt_down, PROSE),
    ("tilts", _M.tilt, CAM), ("tilt", _M.tilt, CAM),
    # truck / track / follow
    ("truck left", _M.truck_left, PROSE), ("trucks left", _M.truck_left, PROSE), ("crab left", _M.truck_left, PROSE),
    ("crabs left", _M.truck_left, PROSE), ("track left", _M.truck_left, PROSE), ("tracks left", _M.truck_left, PROSE),
    ("slide left", _M.truck_left, PROSE), ("slides left", _M.truck_left, PROSE),
    ("truck right", _M.truck_right, PROSE), ("trucks right", _M.truck_right, PROSE), ("crab right", _M.truck_right, PROSE),
    ("crabs right", _M.truck_right, PROSE), ("track right", _M.truck_right, PROSE),
    ("tracks right", _M.truck_right, PROSE), ("slide right", _M.truck_right, PROSE),
    ("slides right", _M.truck_right, PROSE), ("lateral tracking", _M.truck_right, PROSE),
    ("lateral move", _M.truck_right, PROSE), ("trucking", _M.truck_right, CAM), ("trucks", _M.truck_right, CAM),
    ("truck", _M.truck_right, CAM), ("crab", _M.truck_right, CELL), ("slider", _M.truck_right, PROSE),
    ("tracking shot", _M.follow, PROSE), ("tracking", _M.follow, CAM), ("tracks with", _M.follow, PROSE),
    ("tracks alongside", _M.follow, PROSE), ("follow shot", _M.follow, PROSE), ("follows", _M.follow, CAM),
    ("following", _M.follow, CELL), ("follow", _M.follow, CAM), ("leads", _M.follow, CELL), ("lead", _M.follow, CELL),
    ("steadicam", _M.follow, PROSE), ("gimbal", _M.follow, PROSE), ("track", _M.follow, CELL),
    # vertical
    ("crane up", _M.crane_up, PROSE), ("cranes up", _M.crane_up, PROSE), ("jib up", _M.crane_up, PROSE),
    ("boom up", _M.crane_up, PROSE), ("booms up", _M.crane_up, PROSE), ("crane shot", _M.crane_up, PROSE),
    ("crane down", _M.crane_down, PROSE), ("cranes down", _M.crane_down, PROSE), ("jib down", _M.crane_down, PROSE),
    ("boom down", _M.crane_down, PROSE), ("booms down", _M.crane_down, PROSE), ("crane", _M.crane_up, CAM),
    ("jib", _M.crane_up, CELL), ("boom", _M.crane_up, CELL),
    ("pedestal up", _M.pedestal_up, PROSE), ("pedestals up", _M.pedestal_up, PROSE),
    ("pedestal down", _M.pedestal_down, PROSE), ("pedestals down", _M.pedestal_down, PROSE),
    ("camera rises", _M.crane_up, PROSE), ("rises up", _M.crane_up, CAM), ("rise", _M.crane_up, CAM),
    ("camera descends", _M.crane_down, PROSE), ("descend", _M.crane_down, CAM), ("lower", _M.crane_down, CELL),
    # orbit / roll / handheld / aerial / static
    ("arc shot", _M.arc, PROSE), ("arcs around", _M.arc, PROSE), ("arc around", _M.arc, PROSE),
    ("orbits", _M.arc, CAM), ("orbit", _M.arc, CAM), ("orbiting", _M.arc, CAM), ("circles around", _M.arc, PROSE),
    ("360-degree", _M.arc, PROSE), ("360 degree", _M.arc, PROSE), ("360°", _M.arc, PROSE), ("arc", _M.arc, CELL),
    ("circle", _M.arc, CELL), ("360", _M.arc, CELL), ("drift around", _M.arc, PROSE), ("drifts around", _M.arc, PROSE),
    ("circle around", _M.arc, PROSE), ("circling around", _M.arc, PROSE), ("in a slow arc", _M.arc, PROSE),
    ("in an arc", _M.arc, PROSE), ("circles", _M.arc, CAM), ("circling", _M.arc, CAM),
    ("barrel roll", _M.roll, PROSE), ("camera rolls", _M.roll, PROSE), ("roll", _M.roll, CELL),
    ("hand-held", _M.handheld, PROSE), ("handheld", _M.handheld, PROSE), ("shaky cam", _M.handheld, PROSE),
    ("shaky-cam", _M.handheld, PROSE),
    ("aerial", _M.aerial, PROSE), ("drone", _M.aerial, PROSE), ("fly-over", _M.aerial, PROSE),
    ("flyover", _M.aerial, PROSE), ("fly over", _M.aerial, PROSE), ("helicopter shot", _M.aerial, PROSE),
    ("fpv", _M.aerial, PROSE),
    ("locked-off", _M.static, PROSE), ("locked off", _M.static, PROSE), ("static shot", _M.static, PROSE),
    ("static camera", _M.static, PROSE), ("camera holds", _M.static, PROSE), ("tripod", _M.static, PROSE),
    ("static", _M.static, PROSE), ("fixed", _M.static, CELL), ("still", _M.static, CELL), ("locked", _M.static, CELL),
    ("hold", _M.static, CELL), ("none", _M.static, CELL),
    # Chinese (longest first wins, so 推拉变焦 beats 推 and 拉)
    ("推拉变焦", _M.dolly_zoom, PROSE), ("希区柯克变焦", _M.dolly_zoom, PROSE), ("滑动变焦", _M.dolly_zoom, PROSE),
    ("变焦推", _M.zoom_in, PROSE), ("变焦拉", _M.zoom_out, PROSE), ("放大", None, PROSE),
    ("推镜头", _M.push_in, PROSE), ("推进", _M.push_in, PROSE), ("推近", _M.push_in, PROSE), ("推向", _M.push_in, PROSE),
    ("推至", _M.push_in, PROSE), ("推到", _M.push_in, PROSE), ("缓推", _M.push_in, PROSE), ("慢推", _M.push_in, PROSE),
    ("快推", _M.push_in, PROSE), ("急推", _M.push_in, PROSE), ("前推", _M.push_in, PROSE), ("推镜", _M.push_in, PROSE),
    ("镜头推", _M.push_in, PROSE), ("推", _M.push_in, CAM),
    ("推出", None, PROSE), ("推荐", None, PROSE), ("推广", None, PROSE), ("推动", None, PROSE), ("推开", None, PROSE),
    ("推车", None, PROSE), ("推销", None, PROSE), ("推送", None, PROSE), ("推理", None, PROSE), ("推门", None, PROSE),
    ("拉镜头", _M.pull_out, PROSE), ("拉远", _M.pull_out, PROSE), ("拉出", _M.pull_out, PROSE),
    ("拉开镜头", _M.pull_out, PROSE), ("后拉", _M.pull_out, PROSE), ("缓拉", _M.pull_out, PROSE),
    ("慢拉", _M.pull_out, PROSE), ("拉回", _M.pull_out, PROSE), ("拉镜", _M.pull_out, PROSE),
    ("镜头拉", _M.pull_out, PROSE), ("拉", _M.pull_out, CAM),
    ("拉开", None, PROSE), ("拉着", None, PROSE), ("拉住", None, PROSE), ("拉面", None, PROSE), ("拉链", None, PROSE),
    ("甩镜头", _M.whip_pan, PROSE), ("甩镜", _M.whip_pan, PROSE), ("快甩", _M.whip_pan, PROSE),
    ("甩摇", _M.whip_pan, PROSE), ("甩切", _M.whip_pan, PROSE), ("甩", _M.whip_pan, CELL),
    ("左摇", _M.pan_left, PROSE), ("向左摇", _M.pan_left, PROSE), ("摇向左", _M.pan_left, PROSE),
    ("右摇", _M.pan_right, PROSE), ("向右摇", _M.pan_right, PROSE), ("摇向右", _M.pan_right, PROSE),
    ("上摇", _M.tilt_up, PROSE), ("向上摇", _M.tilt_up, PROSE), ("下摇", _M.tilt_down, PROSE),
    ("向下摇", _M.tilt_down, PROSE), ("摇镜头", _M.pan, PROSE), ("横摇", _M.pan, PROSE), ("摇镜", _M.pan, PROSE),
    ("镜头摇", _M.pan, PROSE), ("摇摄", _M.pan, PROSE), ("摇", _M.pan, CAM),
    ("摇头", None, PROSE), ("摇晃", None, PROSE), ("摇摆", None, PROSE), ("摇滚", None, PROSE), ("摇曳", None, PROSE),
    ("摇篮", None, PROSE), ("摇动", None, CELL), ("摇一摇", None, PROSE), ("摇匀", None, PROSE),
    ("摇臂", _M.crane_up, PROSE), ("摇臂上升", _M.crane_up, PROSE), ("摇臂下降", _M.crane_down, PROSE),
    ("左移", _M.truck_left, PROSE), ("向左移", _M.truck_left, PROSE), ("左横移", _M.truck_left, PROSE),
    ("向左横移", _M.truck_left, PROSE), ("右移", _M.truck_right, PROSE), ("向右移", _M.truck_right, PROSE),
    ("右横移", _M.truck_right, PROSE), ("向右横移", _M.truck_right, PROSE), ("横移", _M.truck_right, PROSE),
    ("侧移", _M.truck_right, PROSE), ("平移", _M.truck_right, PROSE), ("移镜头", _M.truck_right, PROSE),
    ("移镜", _M.truck_right, PROSE), ("移", _M.truck_right, CAM),
    ("移动", None, PROSE), ("移开", None, PROSE), ("转移", None, PROSE), ("移民", None, PROSE), ("位移", None, PROSE),
    ("跟拍", _M.follow, PROSE), ("跟随", _M.follow, PROSE), ("跟镜头", _M.follow, PROSE), ("跟移", _M.follow, PROSE),
    ("跟镜", _M.follow, PROSE), ("跟踪", _M.follow, PROSE), ("镜头跟", _M.follow, PROSE), ("跟", _M.follow, CAM),
    ("稳定器", _M.follow, PROSE), ("斯坦尼康", _M.follow, PROSE),
    ("升镜头", _M.crane_up, PROSE), ("镜头上升", _M.crane_up, PROSE), ("镜头升起", _M.crane_up, PROSE),
    ("镜头缓缓上升", _M.crane_up, PROSE), ("镜头缓缓升起", _M.crane_up, PROSE), ("升降镜头", _M.crane_up, PROSE),
    ("上升", _M.crane_up, CAM), ("升起", _M.crane_up, CAM), ("升", _M.crane_up, CAM),
    ("降镜头", _M.crane_down, PROSE), ("镜头下降", _M.crane_down, PROSE), ("镜头降下", _M.crane_down, PROSE),
    ("镜头缓缓下降", _M.crane_down, PROSE), ("下降", _M.crane_down, CAM), ("降", _M.crane_down, CAM),
    ("上移", _M.pedestal_up, CELL), ("下移", _M.pedestal_down, CELL), ("垂直上升", _M.pedestal_up, PROSE),
    ("垂直下降", _M.pedestal_down, PROSE), ("升格", None, PROSE), ("降落", None, PROSE),
    ("环绕镜头", _M.arc, PROSE), ("环绕拍摄", _M.arc, PROSE), ("镜头环绕", _M.arc, PROSE), ("环拍", _M.arc, PROSE),
    ("绕拍", _M.arc, PROSE), ("360度环绕", _M.arc, PROSE), ("360°环绕", _M.arc, PROSE), ("弧形", _M.arc, PROSE),
    ("环绕", _M.arc, CAM), ("旋转环绕", _M.arc, PROSE), ("围绕", _M.arc, CELL),
    ("旋转镜头", _M.roll, PROSE), ("镜头旋转", _M.roll, PROSE), ("旋转", _M.roll, CAM),
    ("手持拍摄", _M.handheld, PROSE), ("手持镜头", _M.handheld, PROSE), ("手持摄影", _M.handheld, PROSE),
    ("手持跟拍", _M.handheld, PROSE), ("手持晃动", _M.handheld, PROSE), ("手持", _M.handheld, CELL),
    ("航拍", _M.aerial, PROSE), ("无人机", _M.aerial, PROSE), ("空中俯瞰", _M.aerial, PROSE),
    ("固定镜头", _M.static, PROSE), ("固定机位", _M.static, PROSE), ("定镜", _M.static, PROSE),
    ("镜头固定", _M.static, PROSE), ("静止镜头", _M.static, PROSE), ("固定", _M.static, CELL),
    ("静止", _M.static, CELL), ("定", _M.static, CELL), ("无", _M.static, CELL),
]

SPEED_TERMS: list[tuple[str, str]] = [
    ("very slow", "slow"), ("slowly", "slow"), ("slow", "slow"), ("gently", "slow"), ("gentle", "slow"),
    ("gradually", "slow"), ("gradual", "slow"), ("creeping", "slow"), ("creep", "slow"), ("leisurely", "slow"),
    ("quickly", "fast"), ("quick", "fast"), ("fast", "fast"), ("rapidly", "fast"), ("rapid", "fast"),
    ("swiftly", "fast"), ("swift", "fast"), ("snap", "fast"), ("crash", "fast"), ("whip", "fast"),
    ("缓慢", "slow"), ("缓缓", "slow"), ("慢慢", "slow"), ("徐徐", "slow"), ("缓推", "slow"), ("慢推", "slow"),
    ("缓拉", "slow"), ("慢拉", "slow"), ("轻缓", "slow"), ("慢速", "slow"), ("缓", "slow"),
    ("快速", "fast"), ("迅速", "fast"), ("急速", "fast"), ("快推", "fast"), ("急推", "fast"), ("猛", "fast"),
    ("快甩", "fast"), ("甩", "fast"), ("飞快", "fast"),
]

# A move that names no direction takes one from nearby words: "pans slowly to the left", "向上摇".
DIRECTED: dict[Movement, dict[str, Movement]] = {
    _M.pan: {"left": _M.pan_left, "right": _M.pan_right, "up": _M.tilt_up, "down": _M.tilt_down},
    _M.tilt: {"up": _M.tilt_up, "down": _M.tilt_down},
    _M.truck_right: {"left": _M.truck_left, "right": _M.truck_right},
    _M.crane_up: {"up": _M.crane_up, "down": _M.crane_down},
    _M.push_in: {"out": _M.pull_out},
}
DIRECTION_WORDS: list[tuple[str, str]] = [
    ("left to right", "right"), ("right to left", "left"), ("to the left", "left"), ("to the right", "right"),
    ("leftward", "left"), ("rightward", "right"), ("left", "left"), ("right", "right"), ("upward", "up"),
    ("downward", "down"), (" up", "up"), (" down", "down"),
    ("从左到右", "right"), ("从右到左", "left"), ("从左向右", "right"), ("从右向左", "left"), ("从下往上", "up"),
    ("从上往下", "down"), ("向左", "left"), ("向右", "right"), ("往左", "left"), ("往右", "right"), ("向上", "up"),
    ("向下", "down"), ("往上", "up"), ("往下", "down"),
]

# When a text names several moves the primary is the one that most defines the shot ("drone tracking": aerial,
# with follow kept in the note); ties go to the move named first. Handheld and static are steadiness, ranked last.
MOVE_RANK: dict[Movement, int] = {
    _M.aerial: 0, _M.dolly_zoom: 0, _M.arc: 1, _M.whip_pan: 1, _M.roll: 1, _M.crane_up: 2, _M.crane_down: 2,
    _M.follow: 3, _M.truck_left: 4, _M.truck_right: 4, _M.pedestal_up: 4, _M.pedestal_down: 4,
    _M.push_in: 5, _M.pull_out: 5, _M.dolly_in: 5, _M.dolly_out: 5, _M.pan: 5, _M.pan_left: 5, _M.pan_right: 5,
    _M.tilt: 5, _M.tilt_up: 5, _M.tilt_down: 5, _M.zoom_in: 6, _M.zoom_out: 6, _M.handheld: 8, _M.static: 9,
}

# -- display labels (storyboard sheets, panels, prompts) -----------------------------------------------------------

SIZE_LABELS: dict[ShotSize, tuple[str, str]] = {
    ShotSize.EWS: ("extreme wide shot", "大远景"), ShotSize.LS: ("wide shot", "远景"), ShotSize.FS: ("full shot", "全景"),
    ShotSize.MLS: ("medium long shot", "中全景"), ShotSize.MS: ("medium shot", "中景"),
    ShotSize.MCU: ("medium close-up", "近景"), ShotSize.CU: ("close-up", "特写"),
    ShotSize.ECU: ("extreme close-up", "大特写"), ShotSize.OTS: ("over-the-shoulder shot", "过肩镜头"),
    ShotSize.POV: ("point-of-view shot", "主观镜头"), ShotSize.INSERT: ("insert shot", "插入镜头"),
}
ANGLE_LABELS: dict[Angle, tuple[str, str]] = {
    Angle.eye_level: ("eye level", "平视"), Angle.high: ("high angle", "俯拍"), Angle.low: ("low angle", "仰拍"),
    Angle.overhead: ("overhead", "鸟瞰"), Angle.worms_eye: ("worm's-eye view", "极度仰拍"),
    Angle.dutch: ("Dutch angle", "荷兰角"),
}
MOVE_LABELS: dict[Movement, tuple[str, str]] = {
    _M.static: ("static", "固定"), _M.push_in: ("push in", "推"), _M.pull_out: ("pull out", "拉"),
    _M.dolly_in: ("dolly in", "轨道前推"), _M.dolly_out: ("dolly out", "轨道后拉"), _M.zoom_in: ("zoom in", "变焦推"),
    _M.zoom_out: ("zoom out", "变焦拉"), _M.pan: ("pan", "摇"), _M.pan_left: ("pan left", "左摇"),
    _M.pan_right: ("pan right", "右摇"), _M.tilt: ("tilt", "上下摇"), _M.tilt_up: ("tilt up", "上摇"),
    _M.tilt_down: ("tilt down", "下摇"), _M.truck_left: ("truck left", "左移"), _M.truck_right: ("truck right", "右移"),
    _M.pedestal_up: ("pedestal up", "垂直上移"), _M.pedestal_down: ("pedestal down", "垂直下移"),
    _M.crane_up: ("crane up", "升"), _M.crane_down: ("crane down", "降"), _M.follow: ("follow", "跟拍"),
    _M.arc: ("arc", "环绕"), _M.whip_pan: ("whip pan", "甩"), _M.handheld: ("handheld", "手持"),
    _M.aerial: ("aerial", "航拍"), _M.roll: ("roll", "旋转"), _M.dolly_zoom: ("dolly zoom", "推拉变焦"),
}

# Camera movement in words, the way Wan prompts describe it.
MOVE_PHRASES: dict[Movement, tuple[str, str]] = {
    _M.static: ("The camera holds still on a locked-off frame", "固定机位，镜头保持静止"),
    _M.push_in: ("The camera {speed}pushes in toward the subject", "镜头{speed}推进，靠近主体"),
    _M.pull_out: ("The camera {speed}pulls back to reveal the surroundings", "镜头{speed}拉远，展现周围环境"),
    _M.dolly_in: ("The camera {speed}dollies in", "镜头沿轨道{speed}前推"),
    _M.dolly_out: ("The camera {speed}dollies out", "镜头沿轨道{speed}后拉"),
    _M.zoom_in: ("The lens {speed}zooms in", "镜头{speed}变焦推近"),
    _M.zoom_out: ("The lens {speed}zooms out", "镜头{speed}变焦拉远"),
    _M.pan: ("The camera {speed}pans across the scene", "镜头{speed}横摇扫过画面"),
    _M.pan_left: ("The camera {speed}pans left", "镜头{speed}向左摇"),
    _M.pan_right: ("The camera {speed}pans right", "镜头{speed}向右摇"),
    _M.tilt: ("The camera {speed}tilts", "镜头{speed}上下摇"),
    _M.tilt_up: ("The camera {speed}tilts up", "镜头{speed}向上摇"),
    _M.tilt_down: ("The camera {speed}tilts down", "镜头{speed}向下摇"),
    _M.truck_left: ("The camera {speed}trucks left alongside the subject", "镜头{speed}向左横移"),
    _M.truck_right: ("The camera {speed}trucks right alongside the subject", "镜头{speed}向右横移"),
    _M.pedestal_up: ("The camera {speed}rises straight up", "镜头{speed}垂直上移"),
    _M.pedestal_down: ("The camera {speed}lowers straight down", "镜头{speed}垂直下移"),
    _M.crane_up: ("The camera {speed}cranes up", "镜头{speed}升起"),
    _M.crane_down: ("The camera {speed}cranes down", "镜头{speed}降下"),
    _M.follow: ("The camera {speed}tracks with the subject", "镜头{speed}跟随主体移动"),
    _M.arc: ("The camera {speed}orbits around the subject", "镜头{speed}环绕主体"),
    _M.whip_pan: ("The camera whip-pans", "镜头快速甩动"),
    _M.handheld: ("Handheld camera with natural shake", "手持拍摄，画面自然晃动"),
    _M.aerial: ("Aerial drone shot, the camera {speed}glides above the scene", "无人机航拍，镜头{speed}掠过上空"),
    _M.roll: ("The camera {speed}rolls", "镜头{speed}旋转"),
    _M.dolly_zoom: ("Dolly zoom, the background stretches while the subject holds", "推拉变焦，背景拉伸而主体不变"),
}
SPEED_WORDS = {"slow": ("slowly ", "缓慢"), "fast": ("quickly ", "快速"), "medium": ("", ""), None: ("", "")}


def label(value, lang: str = "en") -> str:
    """Display label of a size, angle or movement enum in ``lang`` ("en" or "zh")."""
    for table in (SIZE_LABELS, ANGLE_LABELS, MOVE_LABELS):
        if value in table:
            return table[value][1 if lang == "zh" else 0]
    raise KeyError(value)


def move_phrase(movement: Movement, speed: str | None, lang: str) -> str:
    """The camera move as a sentence for a T2V prompt."""
    en, zh = MOVE_PHRASES[movement]
    words = SPEED_WORDS.get(speed, ("", ""))
    return zh.format(speed=words[1]) if lang == "zh" else en.format(speed=words[0])


# -- matching -------------------------------------------------------------------------------------------------------

@dataclass
class Camera:
    """What a piece of text says about the camera. ``None`` where it says nothing."""

    size: ShotSize | None = None
    angle: Angle | None = None
    movement: Movement | None = None
    speed: str | None = None
    note: str = ""
    moves: list[Movement] = field(default_factory=list)  # every move named, in text order

    @property
    def found(self) -> bool:
        return self.size is not None or self.angle is not None or self.movement is not None


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_'")


CAMERA_SUBJECTS = ("camera", "we ", "lens", "shot", "drone", "aerial", "dolly", "镜头", "机位", "摄影机", "航拍", "无人机")


def _camera_nearby(low: str, start: int) -> bool:
    """Is the camera the subject just before ``start`` (same clause)?"""
    window = low[max(0, start - 30):start]
    for p in ".。;；!?！？,，":
        window = window[window.rfind(p) + 1:]
    return any(w in window for w in CAMERA_SUBJECTS)


def _object_fronted(low: str, start: int) -> bool:
    """ "把碗推到…", "将箱子拉向…": a person moves a thing (把/将 before the verb in its clause), no camera nearby."""
    window = low[max(0, start - 20):start]
    for p in ".。;；!?！？,，":
        window = window[window.rfind(p) + 1:]
    return ("把" in window or "将" in window) and not _camera_nearby(low, start)


class _Matcher:
    """Longest-first term finder over one table. Latin terms need word boundaries; CJK terms do not."""

    def __init__(self, terms: list[tuple[str, object, str]]):
        self.terms = sorted(((t.lower(), v, w) for t, v, w in terms), key=lambda x: -len(x[0]))
        # Terms indexed by their first two characters, so a text only tries the terms it could contain.
        self.by_start: dict[str, list[int]] = {}
        for k, (term, _, _) in enumerate(self.terms):
            self.by_start.setdefault(term[:2], []).append(k)

    def find(self, text: str, mode: str) -> list[tuple[int, int, object]]:
        low = text.lower()
        taken = bytearray(len(low) + 1)
        hits: list[tuple[int, int, object]] = []
        starts = {low[i:i + 2] for i in range(len(low) - 1)} | set(low)
        candidates = sorted(k for key in starts for k in self.by_start.get(key, ()))
        for k in candidates:
            term, value, where = self.terms[k]
            if where == CELL and mode != CELL:
                continue
            start = low.find(term)
            while start != -1:
                end = start + len(term)
                latin = _word_char(term[0])
                ok = not any(taken[start:end])
                if ok and where == CAM and mode != CELL:
                    ok = _camera_nearby(low, start)
                elif ok and mode != CELL and not latin and isinstance(value, Movement) and _object_fronted(low, start):
                    ok = False  # "父亲把饭推到他面前": someone pushes a thing; the camera does not move
                if ok and latin:
                    ok = (start == 0 or not _word_char(low[start - 1])) and (end >= len(low) or not _word_char(low[end]))
                if ok:
                    for i in range(start, end):
                        taken[i] = 1
                    if value is not None:
                        hits.append((start, end, value))
                start = low.find(term, end if ok else start + 1)
        hits.sort(key=lambda h: h[0])
        return hits


_SIZES = _Matcher(SIZE_TERMS)
_ANGLES = _Matcher(ANGLE_TERMS)
_MOVES = _Matcher(MOVE_TERMS)


_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])")


def _abbreviations(text: str) -> list[tuple[int, ShotSize]]:
    return [(m.start(), SIZE_ABBREVIATIONS[m.group()]) for m in _CAPS.finditer(text) if m.group() in SIZE_ABBREVIATIONS]


def _direction(text: str, start: int, end: int) -> str | None:
    """A direction word right after the move (English) or right before/after it (Chinese)."""
    after = text[end:end + 28].lower()
    before = text[max(0, start - 4):start]
    cut = min([i for i in (after.find("."), after.find(","), after.find("，"), after.find("。")) if i >= 0] or [len(after)])
    after = after[:cut]
    best: tuple[int, str] | None = None
    for word, d in DIRECTION_WORDS:
        i = after.find(word)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, d)
    if best:
        return best[1]
    for word, d in DIRECTION_WORDS:
        if not word.isascii() and before.endswith(word):
            return d
    return None


def _speed(text: str, start: int, end: int, mode: str) -> str | None:
    """A speed word in the same clause as the move (anywhere in a cell)."""
    if mode == CELL:
        window = text.lower()
    else:
        lo = max(0, start - 24)
        hi = min(len(text), end + 24)
        window = text[lo:hi].lower()
        left = max(window.rfind(p, 0, start - lo) for p in ".。;；!?！？")
        rights = [i for i in (window.find(p, end - lo) for p in ".。;；!?！？") if i >= 0]
        window = window[left + 1:min(rights) if rights else len(window)]
    for word, speed in SPEED_TERMS:
        i = window.find(word)
        if i < 0:
            continue
        if word.isascii() and ((i > 0 and _word_char(window[i - 1])) or
                               (i + len(word) < len(window) and _word_char(window[i + len(word)]))):
            continue
        return speed
    return None


def parse_size(text: str, mode: str = CELL) -> ShotSize | None:
    hits = [(s, v) for s, _, v in _SIZES.find(text, mode)] + _abbreviations(text)
    return min(hits, key=lambda h: h[0])[1] if hits else None


def parse_angle(text: str, mode: str = CELL) -> Angle | None:
    hits = _ANGLES.find(text, mode)
    return hits[0][2] if hits else None


def parse_movement(text: str, mode: str = CELL) -> tuple[Movement | None, str | None, list[Movement]]:
    """(primary move, speed, every move named in order)."""
    moves: list[tuple[int, Movement, str | None]] = []
    for start, end, value in _MOVES.find(text, mode):
        move = value
        if move in DIRECTED:
            d = _direction(text, start, end)
            if d in DIRECTED[move]:
                move = DIRECTED[move][d]
        moves.append((start, move, _speed(text, start, end, mode)))
    if not moves:
        return None, None, []
    ordered = [m for _, m, _ in moves]
    primary = min(moves, key=lambda m: (MOVE_RANK[m[1]], m[0]))
    speed = primary[2]
    if primary[1] in (_M.whip_pan,):
        speed = speed or "fast"
    return primary[1], speed, ordered


FILLER_WORDS = ("shot", "shots", "camera", "angle", "the", "a", "an", "and", "with", "on", "of", "cam", "move", "lens",
                "we", "now",
                "镜头", "机位", "拍摄", "角度", "镜", "景", "摄影", "画面", "缓", "慢", "快", "速")


def camera_coverage(text: str) -> float:
    """The share of ``text``'s letters that are camera words: 1.0 for "Slow push in, low angle", low for a
    description that merely contains one ("远山的轮廓")."""
    low = text.lower()
    covered = bytearray(len(low))
    for matcher in (_SIZES, _ANGLES, _MOVES):
        for start, end, _ in matcher.find(text, CELL):
            covered[start:end] = b"\x01" * (end - start)
    for start, size in _abbreviations(text):
        n = next(len(k) for k, v in SIZE_ABBREVIATIONS.items() if text.startswith(k, start))
        covered[start:start + n] = b"\x01" * n
    for word in [w for w, _ in SPEED_TERMS] + list(FILLER_WORDS):
        i = low.find(word)
        while i >= 0:
            j = i + len(word)
            if not word.isascii() or ((i == 0 or not _word_char(low[i - 1])) and (j >= len(low) or not _word_char(low[j]))):
                covered[i:j] = b"\x01" * len(word)
            i = low.find(word, j)
    letters = [k for k, ch in enumerate(low) if ch.isalnum()]
    if not letters:
        return 0.0
    return sum(covered[k] for k in letters) / len(letters)


def parse_camera(text: str, lang: str = "en", mode: str = PROSE) -> Camera:
    """Everything ``text`` says about size, angle and movement (with speed and secondary moves in ``note``).

    ``lang`` is accepted for symmetry with the rest of the API; both languages' terms are always tried, because
    Chinese briefs quote English abbreviations (CU, MS) and English briefs rarely contain Chinese.
    """
    cam = Camera(size=parse_size(text, mode), angle=parse_angle(text, mode))
    cam.movement, cam.speed, cam.moves = parse_movement(text, mode)
    others = []
    for m in cam.moves:
        if m != cam.movement and m not in others and m != _M.static:
            others.append(m)
    if others:
        zh = lang == "zh"
        cam.note = ("另有" if zh else "also ") + ("、" if zh else ", ").join(label(m, lang) for m in others)
    return cam


_OVER_SHOULDER = re.compile(r"(?:^|[.:;]\s+)\s*(?:an?\s+)?over\s+(?:[A-Z][\w-]*['’]s|his|her|their|the\s+\w+['’]s)\s+shoulders?\b", re.I)


def parse_direction(text: str, lang: str = "en") -> Camera:
    """Camera words in a shot's description, including a lead-in label such as "Wide, high angle: …" or
    "近景，缓慢推进：…", whose bare words ("Wide") count as they would in a camera column."""
    cam = parse_camera(text, lang)
    # "A wide, locked off, as she climbs…", "近景，缓推，…": leading comma fields that are only camera words.
    lead_fields = []
    for part in re.split(r"[,，]", text)[:3]:
        if len(part.strip()) <= 24 and camera_coverage(part) >= 0.6:
            lead_fields.append(part)
        else:
            break
    if lead_fields and len(lead_fields) < len(re.split(r"[,，]", text)):
        lead = parse_camera(" , ".join(lead_fields), lang, mode=CELL)
        cam.size = lead.size or cam.size
        cam.angle = lead.angle or cam.angle
        if lead.movement:
            cam.movement, cam.speed = lead.movement, lead.speed or cam.speed
    if cam.size is None and _OVER_SHOULDER.search(text[:200]):
        cam.size = ShotSize.OTS  # "Over Sam's shoulder onto his phone: …"
    head = re.split(r"[:：]", text, maxsplit=1)
    if cam.size is None and len(head) == 2 and "," in head[0] and len(head[0]) <= 80:
        last = head[0].rsplit(",", 1)[1].strip()  # "A whip pan lands on the dancers, wide: six figures…"
        if 0 < len(last) <= 16 and camera_coverage(last) >= 0.99:
            cam.size = parse_camera(last, lang, mode=CELL).size or cam.size
    for sep in (":", "："):
        i = text.find(sep)
        if 0 < i <= 32 and camera_coverage(text[:i]) >= 0.6:
            lead = parse_camera(text[:i], lang, mode=CELL)
            cam.size = lead.size or cam.size
            cam.angle = lead.angle or cam.angle
            if lead.movement:
                cam.movement, cam.speed = lead.movement, lead.speed or cam.speed
            break
    return cam
