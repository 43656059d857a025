"""How close the planner comes to a director: per-field accuracy on the hand-labelled fixture briefs.

    .venv/bin/python bench/storyboard_eval.py                      # rules planner, every fixture
    .venv/bin/python bench/storyboard_eval.py --planner llm        # needs BRIEFREEL_LLM (else it says so)
    .venv/bin/python bench/storyboard_eval.py -v --only en_prose_skincare   # shot-by-shot differences
    .venv/bin/python bench/storyboard_eval.py --json               # the figures as JSON

The scoring (fields, tolerances, pairing) lives in ``tests/support/storyboard_eval.py``, which the CI gate
(``tests/test_storyboard_eval.py``) uses too; this script plans, scores and prints the report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefreel.storyboard.llm import NoModelConfigured, resolve_model  # noqa: E402
from tests.support.storyboard_eval import FIELDS, brief_accuracy, evaluate  # noqa: E402


# -- report -------------------------------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def print_report(result: dict, verbose: bool = False, top: int = 15) -> None:
    print(f"planner: {result['planner']}   briefs: {result['briefs']}   labelled shots: {result['shots']}")
    head = f"{'brief':32} {'shots':>9} " + " ".join(f"{f[:8]:>8}" for f in FIELDS) + f" {'overall':>8}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        a = brief_accuracy(r)
        note = f"  (fell back: {r['fallback_reason'][:60]})" if r["fallback_reason"] else ""
        print(f"{r['name']:32} {r['planned']:>4}/{r['labelled']:<4} " + " ".join(f"{_pct(a[f]):>8}" for f in FIELDS)
              + f" {_pct(a['overall']):>8}{note}")
    print("-" * len(head))
    acc = result["accuracy"]
    print(f"{'ALL':32} {'':9} " + " ".join(f"{_pct(acc[f]):>8}" for f in FIELDS) + f" {_pct(acc['overall']):>8}")
    for nb in result.get("not_briefs", []):
        ok = "ok" if nb["exit_code"] == 20 else "WRONG (want exit 20)"
        got = f"exit {nb['exit_code']}" if nb["exit_code"] is not None else f"exit 0, {nb['shots']} shots"
        print(f"not a brief: {nb['name']}: {got} — {ok}")
    invalid = [r for r in result["rows"] if r["problems"]]
    print(f"\nboards failing storyboard.validate: {len(invalid)} of {len(result['rows'])}")
    for r in invalid:
        print(f"  {r['name']}: " + "; ".join(r["problems"][:3]))
    print("\nlargest error classes (field: labelled -> planned, times):")
    for (f, want, got), n in result["error_classes"][:top]:
        print(f"  {n:3d}  {f}: {want} -> {got}")
    if verbose:
        for r in result["rows"]:
            if r["misses"]:
                print(f"\n{r['name']}:")
                for f, want, got, where in r["misses"]:
                    print(f"  {where:38} {f:9} {want} -> {got}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--planner", choices=["rules", "llm"], default="rules")
    ap.add_argument("--model", help="LangChain model spec for --planner llm (default: $BRIEFREEL_LLM)")
    ap.add_argument("--only", nargs="*", help="fixture names")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.planner == "llm":
        try:
            resolve_model(args.model)
        except NoModelConfigured as exc:
            print(f"--planner llm: {exc}", file=sys.stderr)
            return 2
    result = evaluate(args.planner, args.only, model=args.model)
    if args.json:
        out = {k: v for k, v in result.items() if k != "rows"}
        out["rows"] = [{k: v for k, v in r.items() if k not in ("board", "brief")} for r in result["rows"]]
        out["error_classes"] = [[*k, n] for k, n in result["error_classes"]]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_report(result, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
