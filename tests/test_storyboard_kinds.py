"""Kinds of brief structure issue 11 names, each in a made-up brief: '#N' items under a cast field, sound cues and
parentheticals inside items, durations inside a camera head, numbered hook lines, a VO script keyed by scene, an AV
two-column script, 一、二、 numbering with the length only in the title."""

from __future__ import annotations

from briefreel.parsers.brief import Brief
from briefreel.storyboard import plan
from briefreel.storyboard.items import read_item
from briefreel.storyboard.meta import heading_key, read_meta


def board_of(text: str):
    return plan(Brief.from_text(text))


HASH_ITEMS = """Millbrook Pool — "First Length"
A short film for our socials about adult swim lessons. It should run half a minute, square (1:1).

Contact: Ravi Shah, Marketing
Cast: Joan (swimmer, 60s, red cap); Theo (coach, 30s)
Running order

#1 Wide: the empty pool at dawn, lane ropes still. MUSIC: soft synth pad.

#2 Joan lowers herself down the ladder, gripping the rail.

#3 Close-up: Theo taps the lane rope and nods.
THEO (gently): "One length. That's all."

#4 MUSIC: pad swells. MS: Joan touches the far wall and laughs.
VO (warmly): "Never too late to learn."

#5 End frame, 3 sec: Millbrook crest and "Adult lessons — Mondays."
"""


def test_hash_items_under_a_cast_field_are_shots_with_their_cues_and_lines():
    board = board_of(HASH_ITEMS)
    assert board.target_duration_s == 30 and board.aspect_ratio == "1:1"
    assert len(board.shots) == 5
    assert [s.size.value for s in board.shots] == ["LS", "MS", "CU", "MS", "INSERT"]
    assert "synth" in board.shots[0].sfx and "MUSIC" not in board.shots[0].description
    assert board.shots[2].dialogue == "One length. That's all." and "gently" not in board.shots[2].dialogue
    assert board.shots[3].dialogue == "Never too late to learn." and "pad swells" in board.shots[3].sfx
    assert board.shots[-1].duration_s == 3
    assert sum(s.duration_s for s in board.shots) == 30


def test_a_hash_item_is_never_a_heading():
    assert heading_key("#4 MUSIC: pad swells. MS: Joan touches the wall.") is None
    assert heading_key("Music: soft synth") is not None


def test_a_duration_inside_a_camera_head():
    d = read_item("End frame, 3 sec: the crest and the line")
    assert (d.size.value, d.duration, d.description) == ("INSERT", 3, "the crest and the line")
    d = read_item("CU, 2s: her hands on the wheel")
    assert (d.size.value, d.duration, d.description) == ("CU", 2, "her hands on the wheel")
    assert read_meta(Brief.from_text("Pool — it should run half a minute.\nA swimmer.")).target_duration_s == 30


VO_BY_SCENE = """山泉豆腐《一块豆腐》20秒 创意方案
客户：山泉食品
片长：20秒

故事梗概

冬天的早晨，奶奶在老屋里点豆腐，孙子放学回家，一碗热豆花等着他。

创意阐述

我们不讲工艺参数，讲一碗豆花里的等待。全片节奏缓慢，以自然光为主。

分镜描述

【场景一】老屋·清晨。大远景，航拍雪后的村子，炊烟升起。

【场景二】灶台。特写，奶奶的手把卤水点进豆浆里。接着近景，奶奶盯着锅里慢慢凝起的豆花。

【场景三】门口。中景，孙子推门进来，奶奶把一碗豆花推到他面前。

【场景四】标版（3秒）：山泉LOGO，字幕“山泉豆腐，慢慢来”。

旁白 / 台词

【场景一】旁白：天冷了，豆腐也该点了。

【场景三】孙子（小声）：奶奶，好香。

【场景四】旁白：山泉豆腐，慢慢来。
"""


def test_a_vo_script_keyed_by_scene_is_aligned_and_synopsis_and_rationale_are_not_shots():
    board = board_of(VO_BY_SCENE)
    texts = [s.description for s in board.shots]
    assert len(board.shots) == 5, texts
    assert not any("冬天的早晨" in t or "工艺参数" in t or "场景" in t or "旁白" in t for t in texts)
    assert [s.size.value for s in board.shots] == ["EWS", "CU", "MCU", "MS", "INSERT"]
    assert board.shots[0].dialogue == "天冷了，豆腐也该点了。"
    assert board.shots[3].dialogue == "奶奶，好香。" and "小声" not in board.shots[3].dialogue
    assert board.shots[3].movement.value == "static"  # 奶奶把豆花推到他面前: she pushes, the camera does not
    assert board.shots[-1].duration_s == 3 and "山泉豆腐，慢慢来" in board.shots[-1].dialogue
    assert [s.scene for s in board.shots] == [1, 2, 2, 3, 4]
    assert "problems" not in board.source


YIER = """暖冬热饮《一杯姜茶》15秒版 分镜说明
客户：暖冬饮品
画幅：16:9

分镜

一、雪夜的公交站，只有一个人在等车。（远景，固定）

二、手机屏幕：暖冬小程序“热饮外送”页面，手指点下“下单”。（特写）

三、店员把纸杯递过去，轻声说：“小心烫。”（近景）

四、她捧着杯子，呼出一口白气。（中景，镜头缓慢拉远）旁白：“冬天，有人惦记。”

五、标版：暖冬LOGO。
"""


def test_zh_ordinal_items_with_camera_notes_in_parentheses_and_the_length_in_the_title():
    board = board_of(YIER)
    assert board.target_duration_s == 15 and len(board.shots) == 5
    assert [(s.size.value, s.movement.value) for s in board.shots] == [
        ("LS", "static"), ("CU", "static"), ("MCU", "static"), ("MS", "pull_out"), ("INSERT", "static")]
    assert "远景" not in board.shots[0].description and board.shots[1].description.startswith("手机屏幕")
    assert board.shots[1].dialogue == ""  # "手机屏幕：" names what is shown; it does not speak
    assert board.shots[2].dialogue == "小心烫。" and board.shots[3].dialogue == "冬天，有人惦记。"
    assert board.source["format"] == "shotlist" and "warnings" not in board.source


def test_a_thing_label_is_not_a_speaker_but_a_person_is():
    assert read_item("手机屏幕：订单页面亮起").lines == []
    assert read_item("中景 | 男友（小声）：叔叔，真香。").lines[0].text == "叔叔，真香。"
    assert heading_key("三、手机屏幕：订单页面") is None and heading_key("画幅：9:16")[0] == "aspect"


CREATOR = """Fizzbrew Kombucha — Creator Brief (TikTok)
Deliverable: 1 x 12s vertical video, 9:16

Do's
• Film in your own kitchen.
• Keep your own voice.

Script
1. HOOK (0–2s): Selfie-style MCU, handheld, Leo to camera: "I used to hate kombucha."
2. (2–5s) Wide of the fridge: a shelf of sad sodas. Slow pan along them.
3. (5–9s) Locked-off top-down close-up: hands pour Fizzbrew over ice.
4. CTA (9–12s): Leo raises the glass and points at the link: "Link in bio, soda people."
"""


def test_a_creator_script_beat_labels_and_framing_labels_are_not_speakers():
    board = board_of(CREATOR)
    assert [s.duration_s for s in board.shots] == [2, 3, 4, 3]
    assert [(s.size.value, s.movement.value) for s in board.shots[:3]] == [
        ("MCU", "handheld"), ("LS", "pan"), ("CU", "static")]
    assert [s.dialogue for s in board.shots] == ["I used to hate kombucha.", "", "", "Link in bio, soda people."]
    assert "HOOK" not in board.shots[0].dialogue and "HOOK" in board.shots[0].movement_note
    assert not any("Film in your own" in s.description for s in board.shots)


AV = """BRIGHTWELL PAINTS — "First Coat" — :20 TV
Client: Brightwell
End card: 3 seconds (client mandatory)

AV script
VIDEO | AUDIO
OPEN ON: an empty nursery, bare plaster, morning light. | SFX: birdsong outside.
NANA (70s) and JO (30s) on the floor with rollers. Jo laughs at a drip on Nana's nose. | NANA: Missed a bit. Story of my life, really.
CU: a roller lays down the first stripe of pale yellow. | SFX: roller hiss.
END CARD: Brightwell logo, "First coat, first memories." | MUSIC: button ending.
"""


def test_an_av_script_an_age_is_not_the_length_and_rows_leave_room_for_their_lines():
    meta = read_meta(Brief.from_text(AV))
    assert meta.target_duration_s == 20 and meta.end_card_s == 3
    board = board_of(AV)
    assert len(board.shots) == 4 and board.shots[-1].duration_s == 3
    assert sum(s.duration_s for s in board.shots) == 20
    talking = board.shots[1]
    assert talking.dialogue == "Missed a bit. Story of my life, really." and talking.size.value == "MS"  # a two-shot
    assert talking.duration_s >= 7 / 2.5  # seven words at ~2.5 words a second
    assert read_meta(Brief.from_text("Story\nGRANDAD (70s) fixes a chair.")).target_duration_s is None
