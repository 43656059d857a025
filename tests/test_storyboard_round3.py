"""The generic readings added after round 3's blind briefs, one small made-up brief per kind (not the fixtures'
words): two-line board items, a Chinese 剧本, timecoded VISUAL/VO items with an appendix, a scene-keyed table cell
holding several pictures, a cutdown of an attached board, sections timed on the film's clock, ages in parentheses,
and a framing sentence that shows the same beat."""

from __future__ import annotations

from briefreel.parsers.brief import Brief
from briefreel.storyboard import plan
from briefreel.storyboard.cutdown import select_cutdown
from briefreel.storyboard.draft import Draft
from briefreel.storyboard.durations import is_age
from briefreel.storyboard.prose import read_prose
from briefreel.storyboard.schema import Angle, Movement, ShotSize
from briefreel.storyboard.shot_table import scene_pictures


def test_a_board_item_of_a_camera_line_over_an_action_line():
    text = ("Length: 8 seconds\n\nBoards\n\n01 WS · Static · Eye level · 3s\nA harbour at dawn, boats rocking.\n\n"
            "02 CU · Push in · Low angle · 2.5s\nHer hands coil a rope. MIA: “Ready.”\n\n"
            "03 INSERT · Static · Eye level · 2.5s\nEnd card: logo.")
    board = plan(Brief.from_text(text))
    assert [s.size for s in board.shots] == [ShotSize.LS, ShotSize.CU, ShotSize.INSERT]
    assert [s.duration_s for s in board.shots] == [3, 2.5, 2.5]
    assert board.shots[1].movement == Movement.push_in and board.shots[1].angle == Angle.low
    assert board.shots[1].dialogue == "Ready." and board.shots[0].description.startswith("A harbour")


def test_a_chinese_juben_reads_as_a_screenplay():
    text = ("《钥匙》 剧本\n时长：20秒\n\n场1 日 内 客厅\n\n△ 客厅全景，老人坐在窗边。\n\n"
            "老人：（自言自语）钥匙放哪儿了？\n\n△ 特写，老人的手翻着抽屉。\n\n场2 夜 外 楼道\n\n△ 近景，孙子把钥匙递过来。\n\n"
            "孙子（画外音）：在这儿呢！")
    board = plan(Brief.from_text(text))
    assert board.source["format"] == "screenplay" and len(board.shots) == 3
    assert [s.scene for s in board.shots] == [1, 1, 2] and board.shots[1].size == ShotSize.CU
    assert not board.shots[0].description.startswith("△")
    assert board.shots[0].dialogue == "钥匙放哪儿了？"  # the stage direction is not spoken
    assert board.shots[2].dialogue == "在这儿呢！" and board.shots[2].dialogue_kind == "vo"


def test_timecoded_items_with_visual_and_vo_lines_and_an_appendix_not_boarded():
    text = ("Length: 8 seconds\n\nTV script\n\n00:00 – 00:04\nVISUAL: Wide: a quiet street at dawn.\n"
            "VO: “Morning comes early.”\n\n00:04 – 00:08\nVISUAL: Close-up: a key turns in a shop door.\n"
            "SFX: lock click.\nVO: “We’re already open.”\n\n"
            "Appendix: original radio script (for reference, do not board)\n\nVO: Morning comes early. We’re already open.")
    board = plan(Brief.from_text(text))
    assert len(board.shots) == 2 and [s.duration_s for s in board.shots] == [4, 4]
    assert [s.dialogue for s in board.shots] == ["Morning comes early.", "We’re already open."]
    assert board.shots[0].size == ShotSize.LS and board.shots[1].size == ShotSize.CU


def test_a_scene_cell_holding_several_framed_pictures():
    cell = ("Wide establishing shot: a valley under cloud. JONAS walks into frame. Close-up: rain on his sleeve. "
            "End frame: logo. Line: “Built for it.”")
    assert scene_pictures(cell) == ["Wide establishing shot: a valley under cloud.", "JONAS walks into frame.",
                                    "Close-up: rain on his sleeve.", "End frame: logo. Line: “Built for it.”"]
    assert scene_pictures("Close-up: a cup. Steam rises from it.") == ["Close-up: a cup. Steam rises from it."]


def test_a_cutdown_keeps_the_named_shots_with_their_new_timings():
    drafts = [Draft(description=f"shot {n}", number=str(n), duration=3.0) for n in range(1, 9)]
    text = "6” cutdown of the 30”: shots 2, 5 and 7 only, in that order. Timings: shot 2 = 2s, shot 5 = 1.5s."
    kept = select_cutdown(drafts, text, 6.0)
    assert [d.number for d in kept] == ["2", "5", "7"] and [d.duration for d in kept] == [2.0, 1.5, None]
    # a board that already fits its film is left alone, even when the text mentions shots
    assert select_cutdown(drafts[:2], text, 6.0) == drafts[:2]
    assert select_cutdown(drafts, "Use shots 2 and 5 only.", 24.0) == drafts  # no cutdown named


def test_sections_timed_on_the_clock_are_shot_material_and_share_their_span():
    text = ("Creator brief\nLength: 12 seconds\n\nHOOK (0–3s)\n\nSelfie cam, chest-up, walking to the bus. "
            "Talk to camera: “You will not believe this.”\n\nBODY (3–12s)\n\n• Close-up: you open the tin.\n"
            "• Medium: you take a bite and grin.\n\nDo / don’t\n\n• Do show the tin.\n• Don’t say “healthy”.")
    board = plan(Brief.from_text(text))
    assert len(board.shots) == 3, [s.description for s in board.shots]
    assert board.shots[0].duration_s == 3 and round(sum(s.duration_s for s in board.shots[1:]), 1) == 9
    assert board.shots[0].dialogue == "You will not believe this."
    assert not any("Do show" in s.description for s in board.shots)


def test_an_age_after_a_name_is_not_a_duration():
    assert is_age("30s", "SAM and LOU ") and is_age("40s", "Priya ")
    assert not is_age("3s", "Priya ") and not is_age("30s", "the whole film ")
    board = plan(Brief.from_text("Length: 10 seconds\n\nScript\n\n1. Wide: SAM (30s) reads a letter.\n"
                                 "2. Close-up: the letter.\n3. End frame: logo."))
    assert board.shots[0].duration_s < 10


def test_a_framing_sentence_that_refers_back_shows_the_same_beat():
    drafts = read_prose(Brief.from_text("Story\nShe opens the drawer. Close on her hand searching the jars.\n\n"
                                        "A kitchen at dawn. Close-up: the kettle boils."))
    assert len(drafts) == 3 and drafts[0].size == ShotSize.CU
