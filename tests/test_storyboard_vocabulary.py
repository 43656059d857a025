"""Camera vocabulary, English and Chinese: words → size, angle, movement (with direction, speed and a note)."""

from __future__ import annotations

import pytest

from briefreel.storyboard.schema import Angle, Movement, ShotSize
from briefreel.storyboard.vocabulary import (ANGLE_LABELS, MOVE_LABELS, MOVE_PHRASES, SIZE_LABELS, label, move_phrase,
                                   parse_camera)

S, A, M = ShotSize, Angle, Movement


@pytest.mark.parametrize("text,size", [
    ("extreme close-up", S.ECU), ("ECU", S.ECU), ("close-up", S.CU), ("CU", S.CU), ("medium close-up", S.MCU),
    ("MCU", S.MCU), ("medium shot", S.MS), ("MEDIUM", S.MS), ("cowboy shot", S.MLS), ("full shot", S.FS),
    ("wide shot", S.LS), ("WIDE", S.LS), ("extreme wide shot", S.EWS), ("establishing shot", S.EWS),
    ("over-the-shoulder", S.OTS), ("POV", S.POV), ("insert", S.INSERT), ("END CARD", S.INSERT),
    ("大特写", S.ECU), ("特写", S.CU), ("近景", S.MCU), ("中近景", S.MS), ("中景", S.MS), ("半身景", S.MS),
    ("中全景", S.MLS), ("全景", S.FS), ("远景", S.LS), ("大远景", S.EWS), ("大全景", S.EWS), ("过肩", S.OTS),
    ("主观镜头", S.POV), ("空镜", S.INSERT), ("Low-angle full shot", S.FS), ("Packshot CU", S.CU),
])
def test_sizes_in_a_size_field(text, size):
    assert parse_camera(text, "zh" if not text.isascii() else "en", mode="cell").size == size


@pytest.mark.parametrize("text,angle", [
    ("low angle", A.low), ("low-angle tracking shot", A.low), ("high angle", A.high), ("eye level", A.eye_level),
    ("bird's-eye view", A.overhead), ("top shot", A.overhead), ("overhead", A.overhead), ("worm's-eye", A.worms_eye),
    ("Dutch angle", A.dutch), ("仰拍", A.low), ("俯拍", A.high), ("平视", A.eye_level), ("鸟瞰", A.overhead),
    ("荷兰角", A.dutch), ("极度仰拍", A.worms_eye), ("斜角", A.dutch),
])
def test_angles(text, angle):
    assert parse_camera(text).angle == angle


@pytest.mark.parametrize("text,move,speed", [
    ("slow push in", M.push_in, "slow"), ("The camera pushes in", M.push_in, None), ("pull back", M.pull_out, None),
    ("dolly in", M.dolly_in, None), ("the camera dollies back", M.dolly_out, None), ("zoom in", M.zoom_in, None),
    ("slow zoom out", M.zoom_out, "slow"), ("crash zoom", M.zoom_in, "fast"), ("pan left", M.pan_left, None),
    ("the camera slowly pans to the right", M.pan_right, "slow"), ("tilt up", M.tilt_up, None),
    ("tilt down", M.tilt_down, None), ("truck left with the rider", M.truck_left, None),
    ("crab right", M.truck_right, None), ("tracking shot", M.follow, None), ("crane up", M.crane_up, None),
    ("crane down as she crests the summit", M.crane_down, None), ("pedestal down", M.pedestal_down, None),
    ("orbit around the bottle", M.arc, None), ("whip pan", M.whip_pan, "fast"), ("handheld", M.handheld, None),
    ("drone shot", M.aerial, None), ("barrel roll", M.roll, None), ("dolly zoom", M.dolly_zoom, None),
    ("locked-off", M.static, None), ("static", M.static, None),
    ("推", M.push_in, None), ("缓慢推进", M.push_in, "slow"), ("拉远", M.pull_out, None), ("拉", M.pull_out, None),
    ("右摇", M.pan_right, None), ("左摇", M.pan_left, None), ("上摇", M.tilt_up, None), ("摇", M.pan, None),
    ("左移", M.truck_left, None), ("横移", M.truck_right, None), ("跟拍", M.follow, None), ("跟", M.follow, None),
    ("升", M.crane_up, None), ("降", M.crane_down, None), ("环绕", M.arc, None), ("甩", M.whip_pan, "fast"),
    ("手持", M.handheld, None), ("航拍", M.aerial, None), ("固定", M.static, None), ("推拉变焦", M.dolly_zoom, None),
    ("变焦推", M.zoom_in, None), ("快速推进", M.push_in, "fast"),
])
def test_moves_with_direction_and_speed(text, move, speed):
    cam = parse_camera(text, "zh" if not text.isascii() else "en", mode="cell")
    assert cam.movement == move
    assert cam.speed == speed


def test_chinese_push_and_pull_are_push_and_pull_not_dolly_or_zoom():
    assert parse_camera("推", "zh", mode="cell").movement == M.push_in
    assert parse_camera("拉", "zh", mode="cell").movement == M.pull_out
    assert parse_camera("镜头缓缓推向产品", "zh").movement == M.push_in


def test_combined_moves_keep_the_primary_and_note_the_rest():
    cam = parse_camera("Drone tracking over a switchback mountain road", "en")
    assert cam.movement == M.aerial
    assert "follow" in cam.note
    cam = parse_camera("手持拍摄，跟拍女孩", "zh")
    assert cam.movement == M.follow and "手持" in cam.note
    cam = parse_camera("航拍 跟随", "zh")
    assert cam.movement == M.aerial and "跟拍" in cam.note


@pytest.mark.parametrize("text", [
    "she tilts her head", "a wide smile", "手持咖啡的女孩", "新品推出", "群山环绕", "推荐给朋友", "he follows the rules",
    "a frying pan sizzles", "太阳升起", "人物移动", "摇头", "拉开窗帘",
])
def test_running_text_that_is_not_a_camera_direction(text):
    cam = parse_camera(text, "zh" if not text.isascii() else "en")
    assert cam.movement is None and cam.size is None


def test_prose_needs_the_camera_as_subject_for_bare_verbs():
    assert parse_camera("The camera pans across the room").movement == M.pan
    assert parse_camera("We pan left to the door").movement == M.pan_left
    assert parse_camera("镜头缓缓推", "zh").movement == M.push_in


def test_abbreviations_only_in_capitals():
    assert parse_camera("CU on the bell").size == S.CU
    assert parse_camera("it takes 200 ms").size is None


def test_labels_in_both_languages_for_every_enum():
    assert set(SIZE_LABELS) == set(S) and set(ANGLE_LABELS) == set(A)
    assert set(MOVE_LABELS) == set(M) and set(MOVE_PHRASES) == set(M)
    assert label(S.MCU, "zh") == "近景" and label(S.MCU, "en") == "medium close-up"
    assert label(M.pan_right, "zh") == "右摇" and label(A.low, "zh") == "仰拍"
    assert move_phrase(M.push_in, "slow", "en") == "The camera slowly pushes in toward the subject"
    assert move_phrase(M.push_in, "slow", "zh").startswith("镜头缓慢推进")


# -- found on briefs nobody on the project had seen (blind fixtures) -------------------------------------------------

def test_a_wide_as_a_noun_is_a_long_shot_but_a_wide_smile_is_not():
    from briefreel.storyboard.vocabulary import parse_camera, parse_direction

    cam = parse_direction("A wide, locked off, as she climbs into the sleet.")
    assert cam.size == ShotSize.LS and cam.movement == Movement.static
    assert parse_camera("Cut to a wide of the harbour.").size == ShotSize.LS
    assert parse_direction("A wide smile spreads across his face, he laughs.").size is None


def test_leading_camera_fields_before_a_comma_set_the_shot():
    from briefreel.storyboard.vocabulary import parse_direction

    cam = parse_direction("Low angle, slow push in, the runner crosses the line.")
    assert cam.angle == Angle.low and cam.movement in (Movement.push_in, Movement.dolly_in) and cam.speed == "slow"
    assert parse_direction("Slowly, she turns to the window.").movement is None


@pytest.mark.parametrize("text", ["We drift around her in a slow arc as she stops.", "The camera circles the statue.",
                                  "We circle around the table."])
def test_drifting_or_circling_around_a_subject_is_an_arc(text):
    from briefreel.storyboard.vocabulary import parse_camera

    assert parse_camera(text).movement == Movement.arc


def test_rack_focus_is_a_locked_frame_and_does_not_hide_a_real_move():
    from briefreel.storyboard.vocabulary import camera_coverage, parse_camera

    assert parse_camera("Rack focus", mode="cell").movement == Movement.static
    assert camera_coverage("rack focus") == 1.0
    assert parse_camera("Slow push in with a rack focus to the ring.").movement in (Movement.push_in, Movement.dolly_in)
    assert parse_camera("Vertigo", mode="cell").movement == Movement.dolly_zoom
    assert parse_camera("第一视角：车手冲下山坡").size == ShotSize.POV
