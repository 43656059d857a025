"""The storyboard scorer: how close a planner comes to a director on the hand-labelled fixture briefs.

    from tests.support.storyboard_eval import evaluate, score_brief
    result = evaluate("rules")            # result["accuracy"]["size"], result["rows"], result["error_classes"]

The CI gate (``tests/test_storyboard_eval.py``) and the report script (``bench/storyboard_eval.py``) both use it.

Each fixture (``tests/fixtures/briefs/*.yaml``) is opened from its PDF with ``parsers.open_brief`` (and its
password), planned, and compared with the shots a director labelled by hand:

- ``count``: the brief gives exactly the labelled number of shots (share of briefs);
- ``size``, ``angle``: exact enum; ``movement``: the same movement family (``storyboard.schema.MOVEMENT_FAMILY``:
  dolly_in, push_in and zoom_in are all "push");
- ``duration``: within 0.05 s where the brief states durations, within max(1 s, 30 %) where the labeller judged
  them (prose and screenplays without timings);
- ``dialogue``: the shot speaks every line labelled for it, no line labelled for another shot and nothing else
  (sound effects or music cues in the dialogue count as wrong; speaker labels do not; a super is not speech).

A fixture marked ``not_a_brief: true`` (an invoice) is not scored as a brief: it must end in ``StoryboardError``
(exit code 20), reported in ``result["not_briefs"]``.

Field scores are over labelled shots; predicted shots are paired with labelled ones in order (by index when the
counts agree, else by an order-keeping alignment on description words), and a labelled shot with no partner
scores 0 on every field. ``overall`` is the mean of the six fields; ``error_classes`` counts the misses by (field, labelled, planned).
"""

from __future__ import annotations

import re
import time
from collections import Counter

from briefreel.parsers import open_brief
from briefreel.storyboard import StoryboardError, plan
from briefreel.storyboard.llm import plan_llm
from briefreel.storyboard.schema import MOVEMENT_FAMILY, Movement
from briefreel.storyboard.validate import norm_line, validate_board
from tests.fixtures.make_fixtures import fixtures

_SPEAKER_LABEL = re.compile(r"(?:^|(?<=\s))[^\s:：“”\"]{1,20}[:：]\s*")
FIELDS = ("count", "size", "movement", "angle", "duration", "dialogue")
STATED_TOL_S = 0.05


def judged_tolerance(expected: float) -> float:
    """How far a judged duration may be off: max(1 s, 30 %)."""
    return max(1.0, 0.3 * expected)


# -- pairing ------------------------------------------------------------------------------------------------------

def _tokens(text: str) -> set[str]:
    text = text.lower()
    words = {w[:5] for w in re.findall(r"[a-z0-9]{3,}", text)}
    cjk = re.sub(r"[^\u3400-\u9fff]", "", text)
    words |= {cjk[i:i + 2] for i in range(len(cjk) - 1)}
    return words


def _similarity(expected: dict, shot) -> float:
    want = _tokens(expected.get("what", ""))
    if not want:
        return 0.0
    return len(want & _tokens(shot.description + " " + shot.dialogue)) / len(want)


def pair(expected: list[dict], shots: list) -> list[int | None]:
    """For each labelled shot, the index of its predicted partner (or None), order kept."""
    if len(expected) == len(shots):
        return list(range(len(shots)))
    n, m = len(expected), len(shots)
    sim = [[_similarity(e, s) + 0.05 * (1 - abs(i / max(n, 1) - j / max(m, 1))) for j, s in enumerate(shots)]
           for i, e in enumerate(expected)]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], sim[i][j] + best[i + 1][j + 1])
    out: list[int | None] = [None] * n
    i = j = 0
    while i < n and j < m:
        if abs(best[i][j] - (sim[i][j] + best[i + 1][j + 1])) < 1e-12:
            out[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return out


# -- scoring ------------------------------------------------------------------------------------------------------

def family(name: str) -> str:
    """A movement's family ("dolly_in" → "push"): movement is scored by family."""
    return MOVEMENT_FAMILY[Movement(name)]


def score_brief(fixture: dict, board) -> dict:
    """Per-field hits for one brief, and the misses as (field, expected, got, shot) for the error list."""
    exp = fixture["expected"]
    labelled = exp["shots"]
    shots = board.shots
    stated = exp.get("durations", "stated") == "stated"
    partner = pair(labelled, shots)
    all_lines = [(k, norm_line(line)) for k, e in enumerate(labelled) for line in e.get("lines", [])]
    hits = Counter()
    misses: list[tuple[str, str, str, str]] = []
    for k, (e, j) in enumerate(zip(labelled, partner)):
        where = f"{fixture['name']}#{k + 1}"
        if j is None:
            for f in FIELDS[1:]:
                misses.append((f, "a shot", "missing", where))
            continue
        s = shots[j]
        got = {
            "size": (e["size"], s.size.value),
            "movement": (family(e["move"]), s.family),
            "angle": (e["angle"], s.angle.value),
        }
        for f, (want, have) in got.items():
            if want == have:
                hits[f] += 1
            else:
                misses.append((f, want, have, where))
        tol = STATED_TOL_S if stated and not e.get("judged") else judged_tolerance(e["dur"])
        if abs(s.duration_s - e["dur"]) <= tol + 1e-9:
            hits["duration"] += 1
        else:
            kind = "stated" if tol == STATED_TOL_S else "judged"
            misses.append(("duration", f"{e['dur']:g}s ({kind})", f"{s.duration_s:g}s", where))
        said = "" if s.dialogue_kind == "super" else s.dialogue  # a super is seen, not heard
        spoken = norm_line(said)
        mine = [norm_line(x) for x in e.get("lines", [])]
        others = [n for kk, n in all_lines if kk != k and n not in mine]
        missing = [n for n in mine if n not in spoken]
        stray = [n for n in others if n and n in spoken and not any(n in m for m in mine)]
        rest = said
        for line in sorted(e.get("lines", []), key=len, reverse=True):
            rest = rest.replace(line, " ")  # a labelled line may hold a colon ("POV: you forgot sunscreen again.")
        extra = norm_line(_SPEAKER_LABEL.sub(" ", rest))
        for n in sorted(mine, key=len, reverse=True):
            extra = extra.replace(n, "")
        if not missing and not stray and len(extra) <= 1:
            hits["dialogue"] += 1
        else:
            want = "lines" if mine else "no line"
            got = "missing line" if missing else "another shot's line" if stray else "words that are not a line"
            misses.append(("dialogue", want, got, where))
    count_ok = len(shots) == len(labelled)
    if not count_ok:
        misses.append(("count", str(len(labelled)), str(len(shots)), fixture["name"]))
    return {"name": fixture["name"], "labelled": len(labelled), "planned": len(shots), "count": int(count_ok),
            "hits": dict(hits), "misses": misses}


def scored_fixtures() -> list[dict]:
    """The labelled briefs that are scored: every fixture but those marked ``not_a_brief`` (checked on their own)."""
    return [fx for fx in fixtures() if not fx.get("not_a_brief")]


def not_a_brief_fixtures() -> list[dict]:
    """Fixtures that are not briefs at all (an invoice): the planner must refuse them with exit code 20."""
    return [fx for fx in fixtures() if fx.get("not_a_brief")]


def check_not_a_brief(fx: dict, planner: str = "rules") -> dict:
    """Plan a not-a-brief fixture: {"name", "exit_code" (None when it planned), "shots", "message"}."""
    brief = open_brief(fx["pdf_path"], password=fx.get("password") or None)
    try:
        board = plan(brief, planner=planner)
    except StoryboardError as err:
        return {"name": fx["name"], "exit_code": err.exit_code, "shots": 0, "message": str(err)}
    return {"name": fx["name"], "exit_code": None, "shots": len(board.shots), "message": ""}


def evaluate(planner: str = "rules", only: list[str] | None = None, model=None) -> dict:
    """Plan every scored fixture and score it; returns per-brief rows, per-field accuracy and the error classes.
    Fixtures marked ``not_a_brief`` are not scored as briefs: ``result["not_briefs"]`` says how each ended (exit 20
    expected)."""
    rows = []
    for fx in scored_fixtures():
        if only and fx["name"] not in only:
            continue
        brief = open_brief(fx["pdf_path"], password=fx.get("password") or None)
        t0 = time.perf_counter()
        if planner == "llm":
            board = plan_llm(brief, model=model)
        else:
            board = plan(brief, planner=planner)
        row = score_brief(fx, board)
        row["seconds"] = round(time.perf_counter() - t0, 3)
        row["source_planner"] = board.source.get("planner", planner)
        row["fallback_reason"] = board.source.get("llm_fallback_reason", "")
        row["board"], row["brief"] = board, brief
        row["problems"] = validate_board(board, brief=brief)
        rows.append(row)
    total = sum(r["labelled"] for r in rows)
    acc = {"count": sum(r["count"] for r in rows) / max(len(rows), 1)}
    for f in FIELDS[1:]:
        acc[f] = sum(r["hits"].get(f, 0) for r in rows) / max(total, 1)
    acc["overall"] = sum(acc[f] for f in FIELDS) / len(FIELDS)
    classes = Counter((f, want, got) for r in rows for f, want, got, _ in r["misses"])
    not_briefs = [check_not_a_brief(fx, planner) for fx in not_a_brief_fixtures() if not only or fx["name"] in only]
    return {"planner": planner, "briefs": len(rows), "shots": total, "rows": rows, "accuracy": acc,
            "error_classes": classes.most_common(), "not_briefs": not_briefs}


def brief_accuracy(row: dict) -> dict:
    """One scored brief's per-field accuracy and its overall (the mean of the six fields)."""
    n = max(row["labelled"], 1)
    out = {"count": float(row["count"])}
    out.update({f: row["hits"].get(f, 0) / n for f in FIELDS[1:]})
    out["overall"] = sum(out[f] for f in FIELDS) / len(FIELDS)
    return out
