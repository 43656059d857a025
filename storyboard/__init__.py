"""Storyboard: a brief becomes scenes and shots (size, angle, move, duration, description, dialogue, T2V prompt).

    from briefreel.storyboard import plan
    board = plan(brief)                   # offline rules planner
    board = plan(brief, planner="llm")    # LangChain planner, checked against the same schema
    board.save("shots.json")

The pieces the planners share are importable on their own: ``storyboard.meta.read_meta``,
``storyboard.durations.spread``, ``storyboard.prompts.build_prompt`` / ``build_bible``,
``storyboard.vocabulary.parse_camera``.
"""

from __future__ import annotations

from briefreel.storyboard.errors import InvalidShots, StoryboardError
from briefreel.storyboard.schema import Storyboard

__all__ = ["plan", "plan_rules", "Storyboard", "StoryboardError", "InvalidShots"]

PLANNERS = ("rules", "llm")


def plan_rules(brief) -> Storyboard:
    """The brief → a Storyboard with the offline rules (tables, shot lists, screenplays, prose; English and Chinese);
    what it could not satisfy of the validator's checks is in ``board.source["problems"]``."""
    from briefreel.storyboard import rules  # imported on use: ``import briefreel.storyboard.schema`` stays light

    return rules.plan_rules(brief)


def plan(brief, planner: str = "rules", **opts) -> Storyboard:
    """Storyboard ``brief`` (a ``parsers.Brief``) with the chosen planner: "rules" (default) or "llm". Every
    prompt carries how it was made (``storyboard.provenance.stamp``), so a render follows later edits."""
    from briefreel.storyboard.provenance import stamp

    if planner in ("rules", "llm"):
        from briefreel.storyboard.drawn import has_panels, plan_drawn

        if has_panels(brief):  # a drawn storyboard (scanned frames): one shot per panel, its drawing as the picture
            return _variants(stamp(plan_drawn(brief), "rules"), brief)
    if planner == "rules":
        if opts:
            raise TypeError(f"the rules planner takes no options (got {sorted(opts)})")
        return _variants(stamp(plan_rules(brief), "rules"), brief)
    if planner == "llm":
        from briefreel.storyboard.llm import plan_llm  # imported lazily: LangChain is an optional extra

        return _variants(stamp(plan_llm(brief, **opts), "llm"), brief)
    raise StoryboardError(f"unknown planner {planner!r} (choose one of {', '.join(PLANNERS)})")


def _variants(board: Storyboard, brief) -> Storyboard:
    """The brief's Variants / 版本 section, if it has one, as ``board.source["variants"]`` (briefreel variants)."""
    from briefreel.storyboard.variants_section import read_variants_section

    sets = read_variants_section(getattr(brief, "text", "") or "")
    if sets:
        board.source = {**board.source, "variants": sets}
    return board
