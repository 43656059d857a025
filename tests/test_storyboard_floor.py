"""The floor of the rules planner: a real brief is never refused, a text with no pictures is (exit 20), and shot
material that follows a field line with no blank line or heading between is still shot material. Every brief here
is made up for the test."""

from __future__ import annotations

import pytest

from briefreel.parsers.brief import Brief
from briefreel.storyboard import StoryboardError, plan
from briefreel.storyboard.blocks import has_visual_content, segment
from briefreel.storyboard.meta import read_end_card


def board_of(text: str):
    return plan(Brief.from_text(text))


SPANS_UNDER_A_FIELD = """ORTO — Cut-down 8'' — deck v1
Client: Orto Farms
Length: 8''
Cast: Bea (40s)
0''–3'' CU, top shot, static: radishes tumble into a colander under running water.
3''–5'' MS, handheld: Bea bites a radish and grins. BEA: "Crunchy!"
5''–8'' End card: Orto logo. VO: "Orto. Pulled this morning."
"""

ZH_SPANS_UNDER_A_FIELD = """远行 X2 登山杖《垭口篇》10秒 分镜
品牌：远行户外
片长：10秒
主角：阿木，男，35岁，蓝色外套

镜头

镜头1（第0-4秒）：大远景，航拍垭口，海拔 3,800m 的经幡在风里翻飞。

镜头2（第4-7秒）：特写，登山杖插进碎石，刻度显示 120cm。

镜头3（第7-10秒）：标版，远行LOGO。旁白：远行，再上一步。
"""


def test_second_spans_right_under_a_cast_field_are_shots():
    board = board_of(SPANS_UNDER_A_FIELD)
    assert [s.duration_s for s in board.shots] == [3, 2, 3]
    assert [s.size.value for s in board.shots] == ["CU", "MS", "INSERT"]
    assert board.shots[1].dialogue == "Crunchy!"
    assert any(b.role == "shots" for b in segment(Brief.from_text(SPANS_UNDER_A_FIELD)))


def test_zh_keyword_spans_after_a_cast_field_are_shots_and_altitudes_are_not_times():
    board = board_of(ZH_SPANS_UNDER_A_FIELD)
    assert [s.duration_s for s in board.shots] == [4, 3, 3]
    assert board.shots[0].movement.value == "aerial" and board.shots[0].size.value == "EWS"
    assert "3,800m" in board.shots[0].description


def test_an_end_card_on_a_span_lasts_the_span():
    assert read_end_card("8''–10'' End card: logo")[0] == 2
    assert read_end_card("00:12–00:15 End card: logo and line")[0] == 3
    assert read_end_card("镜头6（第13-15秒）：标版，LOGO")[0] == 2
    assert read_end_card("a 3-second end card with the logo")[0] == 3


@pytest.mark.parametrize("text", [
    "Drone over the valley at dawn.",
    "A girl runs through the rain to the bus.",
    "Shot 1: the kettle.\nShot 2: the cup.",
    "0-2s: logo\n2-4s: pack",
    "女孩在雨里奔跑。",
    "航拍城市。",
    "Client: Orto\nLength: 10s\nClose-up of a radish.",
    "Price list 2026\nRadish crate: $12.00\nOur farmers wake at four and pick by hand before the sun is up.",
])
def test_a_real_brief_is_never_refused(text):
    brief = Brief.from_text(text)
    assert has_visual_content(segment(brief))
    assert board_of(text).shots


@pytest.mark.parametrize("text", [
    "INVOICE #1042\nWebsite hosting, 12 months   $240.00\nTotal due: $240.00",
    "INVOICE INV-77 · Studio to Client · Storyboard revisions (3 hrs @ £85) · Total £255.00\n\nPayment due within 30 "
    "days of issue. Bank: Northgate, sort code 40-11-62, account 00418823.",
    "发票\n项目：分镜修改 3小时\n单价：500元\n合计：1500元",
])
def test_a_text_with_no_pictures_ends_in_exit_20(text):
    with pytest.raises(StoryboardError) as err:
        board_of(text)
    assert err.value.exit_code == 20 and "no visual content" in str(err.value)
