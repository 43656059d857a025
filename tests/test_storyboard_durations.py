"""Reading durations ("3s", "3秒", ":30", "0:00–0:03", "三秒") and spreading a target over shots."""

from __future__ import annotations

import random

import pytest

from briefreel.storyboard.durations import MIN_SHOT_S, find_seconds, natural_seconds, parse_seconds, speech_seconds, spread


@pytest.mark.parametrize("text,seconds", [
    ("3s", 3.0), ("3 s", 3.0), ("3.5 sec", 3.5), ("4 seconds", 4.0), ("3秒", 3.0), ("（3秒）", 3.0), ("3\"", 3.0),
    ("0:03", 3.0), (":30", 30.0), ("0:30", 30.0), ("1:00", 60.0), ("00:00:03:00", 3.0), ("0:00-0:03", 3.0),
    ("00:05 – 00:09", 4.0), ("2-3秒", 2.5), ("2 ~ 3秒", 2.5), ("三秒", 3.0), ("十五秒", 15.0), ("一分钟", 60.0),
    ("1分30秒", 90.0), ("半分钟", 30.0), ("30-second", 30.0), ("1'30\"", 90.0), ("3", 3.0), ("2.5", 2.5),
    ("— 4 sec", 4.0),
])
def test_parse_seconds(text, seconds):
    assert parse_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "  ", "TBC", "wide", "—", "0"])
def test_parse_seconds_none(text):
    assert parse_seconds(text) is None


def test_find_seconds_reports_where():
    value, (a, b) = find_seconds("Truck left with the rider (3s)")
    assert value == 3.0 and "Truck left with the rider (3s)"[a:b] == "3s"
    assert find_seconds("Shot 3 - 4s")[0] == 4.0  # "3 - 4" with spaces is not a range


def test_spread_keeps_fixed_and_hits_the_target():
    out = spread([1, 1, 2], target=15, fixed={2: 3.0})
    assert out[2] == 3.0 and sum(out) == pytest.approx(15, abs=0.05) and out[0] == out[1]


def test_spread_never_goes_under_the_minimum():
    out = spread([0.01, 5, 5], target=6)
    assert min(out) >= MIN_SHOT_S and sum(out) == pytest.approx(6, abs=0.05)


def test_spread_when_the_target_is_too_short_keeps_the_minimum():
    out = spread([1, 1, 1, 1], target=4, fixed={0: 2.0})
    assert out[0] == 2.0 and out[1:] == [MIN_SHOT_S] * 3


def test_spread_is_proportional():
    out = spread([1, 3], target=8)
    assert out == [2.0, 6.0]


@pytest.mark.parametrize("seed", range(30))
def test_spread_random_cases(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    weights = [rng.uniform(0.1, 9) for _ in range(n)]
    fixed = {i: round(rng.uniform(0.5, 5), 2) for i in range(n) if rng.random() < 0.2}
    free = n - len(fixed)
    target = round(sum(fixed.values()) + free * MIN_SHOT_S + rng.uniform(0, 60), 2)
    out = spread(weights, target, fixed)
    assert len(out) == n
    assert sum(out) == pytest.approx(target, abs=0.05)
    for i, v in enumerate(out):
        if i in fixed:
            assert v == fixed[i]
        else:
            assert v >= MIN_SHOT_S - 1e-9


def test_natural_seconds_grow_with_dialogue_and_content():
    short = natural_seconds("A cup.", "", "CU")
    long_line = natural_seconds("A cup.", "This is a rather long line of voice-over that takes a while to say.", "CU")
    assert long_line > short >= MIN_SHOT_S
    assert natural_seconds("城市全景", "", "EWS") > natural_seconds("杯子", "", "ECU")
    assert speech_seconds("每一天，都从这里开始。") == pytest.approx(9 / 4.5 + 0.4, abs=0.01)


# -- found on briefs nobody on the project had seen (blind fixtures) -------------------------------------------------

def test_spans_that_follow_each_other_are_read_as_the_film_s_clock():
    from briefreel.storyboard.durations import chained_spans

    assert chained_spans(["镜头一（0–2秒）：特写", "镜头二（2–4.5秒）：拉开", "镜头三（4.5–6秒）：标版"]) == [2.0, 2.5, 1.5]
    assert chained_spans(["Shot 1 (0:00-0:03)", "Shot 2 (0:03-0:08)"]) == [3.0, 5.0]
    # Ranges that do not chain are "two to three seconds" each, and stay for find_seconds to average.
    assert chained_spans(["Shot 1 (2-3s)", "Shot 2 (2-3s)"]) is None
    assert chained_spans(["Shot 1 (0-2s)", "Shot 2 (3s)"]) is None


def test_durations_written_in_english_words():
    assert find_seconds("End card, four seconds: logo and line")[0] == 4.0
    assert find_seconds("hold for twenty seconds")[0] == 20.0
    assert find_seconds("someone waits") is None
    assert find_seconds("a tone sequence") is None
