"""Numbered shot lists, English and Chinese: "SHOT 3 | MEDIUM | …", "镜头3：中景，横移……（3秒）", "3. CU - …"."""

from __future__ import annotations

import pytest

from briefreel.parsers.brief import Brief
from briefreel.storyboard import plan
from briefreel.storyboard.schema import Angle, Movement, ShotSize
from briefreel.storyboard.blocks import segment
from briefreel.storyboard.enumerated import read_enumerated
from briefreel.storyboard.enumerations import find_enumeration, line_marker
from briefreel.storyboard.meta import read_meta

EN = """VELO — "Climb"
Length: 20 seconds
Aspect: 16:9

Shot list

SHOT 1 | EXTREME WIDE | Drone tracking over a switchback mountain road as a lone rider climbs
through the hairpins. (4s)

SHOT 2 | MEDIUM | Truck left with the rider as she grinds up the gradient. (3s)

SHOT 3 | CLOSE-UP | Static. Chain and cassette; the gear clicks down. (2s)

SHOT 4 | LOW ANGLE MCU | Slow push in on her face as she stands on the pedals. VO: "The
mountain doesn't care how you feel." (4s)

SHOT 5 | POV | Handheld. Her view of the summit marker coming closer.

SHOT 6 | WIDE | Crane down as she crests the summit. VO: "Climb anyway."

Mandatories: logo on the last frame.
"""

ZH = """《一碗面》分镜
时长：15秒
画幅：9:16
镜头1：大远景，航拍，清晨的小城街道（3秒）
镜头2：中景，横移，老板在灶台前拉面
旁白：三十年，只做一碗面。
镜头3：特写，缓慢推进，面条落进汤里（2秒）
镜头4：近景，仰拍，右摇，食客低头吃面，满足地笑
顾客：真香！
镜头5：落版，品牌logo（3秒）
"""


def test_english_shot_list():
    board = plan(Brief.from_text(EN))
    assert board.source["format"] == "shotlist"
    assert board.target_duration_s == 20
    assert [s.id for s in board.shots] == ["S01", "S02", "S03", "S04", "S05", "S06"]
    assert [s.size for s in board.shots] == [ShotSize.EWS, ShotSize.MS, ShotSize.CU, ShotSize.MCU, ShotSize.POV,
                                             ShotSize.LS]
    assert [s.movement for s in board.shots] == [Movement.aerial, Movement.truck_left, Movement.static,
                                                 Movement.push_in, Movement.handheld, Movement.crane_down]
    assert "follow" in board.shots[0].movement_note
    assert board.shots[3].angle == Angle.low and board.shots[3].movement_speed == "slow"
    assert board.shots[0].description.endswith("climbs through the hairpins.")
    # A VO quote that wraps onto the next line stays whole, and on its own shot.
    assert board.shots[3].dialogue == "The mountain doesn't care how you feel."
    assert board.shots[5].dialogue == "Climb anyway." and board.shots[5].dialogue_kind == "vo"
    assert [s.duration_s for s in board.shots[:4]] == [4.0, 3.0, 2.0, 4.0]
    assert board.duration_s == pytest.approx(20, abs=0.05)
    assert min(s.duration_s for s in board.shots) >= 1.5


def test_chinese_shot_list():
    board = plan(Brief.from_text(ZH))
    assert board.title == "一碗面" and board.language == "zh" and board.aspect_ratio == "9:16"
    assert [s.size for s in board.shots] == [ShotSize.EWS, ShotSize.MS, ShotSize.CU, ShotSize.MCU, ShotSize.INSERT]
    assert [s.movement for s in board.shots] == [Movement.aerial, Movement.truck_right, Movement.push_in,
                                                 Movement.pan_right, Movement.static]
    assert board.shots[3].angle == Angle.low
    assert board.shots[1].dialogue == "三十年，只做一碗面。"
    assert (board.shots[3].dialogue, board.shots[3].speaker, board.shots[3].dialogue_kind) == ("真香！", "顾客",
                                                                                               "dialogue")
    assert board.shots[0].description == "清晨的小城街道"
    assert board.shots[4].duration_s == 3.0
    assert board.duration_s == pytest.approx(15, abs=0.05)


def test_bare_numbered_list_with_a_size_first():
    text = """1. WS - A kitchen at dawn. (3s)
2. CU - Hand grabs the bottle (2s)
3. MCU - She sips and smiles. (2s)
"""
    board = plan(Brief.from_text(text))
    assert board.source["format"] == "shotlist"
    assert [s.size for s in board.shots] == [ShotSize.LS, ShotSize.CU, ShotSize.MCU]
    assert board.shots[1].description == "Hand grabs the bottle"
    assert [s.duration_s for s in board.shots] == [3.0, 2.0, 2.0]


def test_a_numbered_deliverables_list_is_not_a_shot_list():
    text = """Deliverables
1. One 30-second film
2. Three 6-second cutdowns
Story
A girl walks her dog through the park at dawn. Then she stops to watch the sunrise.
"""
    board = plan(Brief.from_text(text))
    assert board.source["format"] == "prose"


def test_scene_lines_and_shot_numbers():
    text = """SCENE 1 - KITCHEN
Shot 1: WS, the kitchen at dawn.
Shot 2: CU, kettle boils.
SCENE 2 - STREET
Shot 3: MS, tracking, she walks to work.
Shot 3A: CU, her phone buzzes.
"""
    board = plan(Brief.from_text(text))
    assert [s.scene for s in board.shots] == [1, 1, 2, 2]
    assert [s.id for s in board.shots] == ["S01", "S02", "S03", "S03A"]
    assert board.shots[2].movement == Movement.follow


@pytest.mark.parametrize("line,number", [
    ("SHOT 3 | MEDIUM | Truck left", "3"), ("Shot 12A: CU, her eyes", "12A"), ("镜头3：中景，横移", "3"),
    ("【镜头5】特写", "5"), ("第4镜：近景", "4"), ("S07 — WS — the city", "7"),
])
def test_shot_line_prefixes(line, number):
    assert line_marker(line).value == number


def test_fewer_than_two_shot_lines_is_not_a_list():
    brief = Brief.from_text("1. A cat.\nSome prose.")
    assert read_enumerated(brief, read_meta(brief), segment(brief)) == []
    assert find_enumeration(["1. A cat.", "Some prose."]) is None


@pytest.mark.parametrize("text,sizes,durations,first", [
    ("Shot 1 (WS, 3s): Harbour at dawn.\nShot 2 (MCU, 2s): Mia laughs.", ["LS", "MCU"], [3.0, 2.0],
     "Harbour at dawn."),
    ("1) WS — Harbour at dawn — 3s\n2) MCU — Mia laughs — 2s", ["LS", "MCU"], [3.0, 2.0], "Harbour at dawn"),
    ("#1 WS: Harbour at dawn. (3s)\n#2 CU: The bell rings. (2s)", ["LS", "CU"], [3.0, 2.0], "Harbour at dawn."),
    ("镜头 01 | 中景 | 推 | 女孩走进咖啡馆 | 3s\n镜头 02 | 特写 | 固定 | 咖啡杯 | 2s", ["MS", "CU"], [3.0, 2.0],
     "女孩走进咖啡馆"),
    ("SHOT 01 - WIDE - Harbour at dawn, boats still. - 3s\nSHOT 02 - CLOSE UP - The bell. - 2s", ["LS", "CU"],
     [3.0, 2.0], "Harbour at dawn, boats still."),
])
def test_shot_line_variants(text, sizes, durations, first):
    board = plan(Brief.from_text(text))
    assert board.source["format"] == "shotlist"
    assert [s.size.value for s in board.shots] == sizes
    assert [s.duration_s for s in board.shots] == durations
    assert board.shots[0].description == first


def test_ages_are_not_durations_and_inline_speakers_are_lines():
    text = """1A. WS, static. An empty living room; a beagle sighs on the sofa. :04
2A. MS, handheld. Nina (30s, green cardigan) taps her phone. NINA: “Who's a good boy?” :04
3A. END CARD. Woofle logo. VO: “Woofle. Never far away.” :03
"""
    board = plan(Brief.from_text(text))
    assert [s.id for s in board.shots] == ["S01A", "S02A", "S03A"]
    assert [s.duration_s for s in board.shots] == [4.0, 4.0, 3.0]
    s2 = board.shots[1]
    assert (s2.dialogue, s2.dialogue_kind, s2.speaker) == ("Who's a good boy?", "dialogue", "NINA")
    assert s2.description == "Nina (30s, green cardigan) taps her phone."
    assert (board.shots[2].size, board.shots[2].dialogue_kind) == (ShotSize.INSERT, "vo")


def test_pipe_fields_with_a_wrapped_line_of_dialogue():
    text = "【镜头1】大远景｜缓慢推进｜星云深处，舰队驶出。｜4s\n【镜头2】中景｜固定｜舰长转身。｜3s｜林夜：\n全员就位。\n"
    board = plan(Brief.from_text(text))
    s1, s2 = board.shots
    assert (s1.size, s1.movement, s1.movement_speed, s1.duration_s) == (ShotSize.EWS, Movement.push_in, "slow", 4.0)
    assert (s2.description, s2.dialogue, s2.speaker, s2.duration_s) == ("舰长转身。", "全员就位。", "林夜", 3.0)


# -- found on briefs nobody on the project had seen (blind fixtures) -------------------------------------------------

def test_chinese_numeral_shot_numbers_and_time_spans():
    text = ("时长：6秒\n镜头一（0–2秒）：特写，火柴擦燃。\n\n镜头二（2–4.5秒）：镜头拉开，露出生日蛋糕。旁白：“许个愿吧。”\n\n"
            "镜头三（4.5–6秒）：标版：萤火蜡烛LOGO。")
    board = plan(Brief.from_text(text))
    assert [s.id for s in board.shots] == ["S01", "S02", "S03"]
    assert [s.duration_s for s in board.shots] == [2.0, 2.5, 1.5]
    # the camera words ("特写，") are fields, read into size; the description is the picture
    assert board.shots[0].size == ShotSize.CU and board.shots[0].description.startswith("火柴擦燃")
    assert board.shots[1].dialogue == "许个愿吧。"
    assert line_marker("镜头一路跟着她跑下楼梯。") is None  # 一路 is "all the way", not shot one


def test_a_label_that_introduces_the_picture_is_not_a_speaker():
    text = ("1. WS | Steadicam lead | Leo crosses the roof. | 4 sec\n\n"
            "2. LS, high angle | Whip to | The skyline: windows light up floor by floor. | 3 sec")
    board = plan(Brief.from_text(text))
    assert board.shots[1].dialogue == "" and board.shots[1].movement == Movement.whip_pan
    assert board.shots[0].movement == Movement.follow and board.shots[0].size == ShotSize.LS


def test_overhead_on_a_person_in_a_city_is_a_long_shot():
    text = "1. CU | Static | A cup. | 2 sec\n\n2. Top shot | Static | Leo lies on the roof, the city glowing all around him. | 4 sec"
    shot = plan(Brief.from_text(text)).shots[1]
    assert shot.angle == Angle.overhead and shot.size == ShotSize.LS
