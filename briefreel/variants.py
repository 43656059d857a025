"""Batch variants for A/B tests: one board with ``{{placeholders}}``, a matrix of values, one animatic per variant.

    briefreel variants shots.json --set city=Shanghai,Chengdu --set offer="Free shipping,20% off" --out DIR

Any text field of shots.json may hold ``{{name}}`` (a description, a VO line, an on-screen text, a bible entry,
the title...). The matrix is every combination of the ``--set`` values, in the order given; each variant is the
board with its values filled in, rendered into ``DIR/<slug>/`` (shots.json, animatic.mp4, render.json, exports).
All variants share one shot cache, so a shot no value touches renders once and is reused by every other variant
(each render.json says which shots it rendered and which it reused; ``variants.json`` sums them). ``DIR`` also
gets ``variants.json`` (the index) and ``variants.html`` (the animatics side by side, playing together).

A brief can carry its own matrix: a "Variants" / "版本" section whose lines are ``name: value, value`` (or
``名称：值、值``) is read by ``storyboard.variants_section`` when the brief is planned (``board.source["variants"]``);
``--set`` adds to it and wins for a name it gives.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefreel.errors import UsageError
from briefreel.storyboard.schema import Storyboard
from briefreel.storyboard.variants_section import read_variants_section

__all__ = ["placeholders", "fill", "parse_set", "matrix", "slug", "render_variants", "read_variants_section",
           "VariantsReport", "run_command"]

PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}", re.UNICODE)
MAX_VARIANTS = 64
INDEX, PAGE = "variants.json", "variants.html"


def placeholders(board: Storyboard) -> list[str]:
    """The ``{{names}}`` used anywhere in the board, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(board.to_json(indent=None))))


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def fill(board: Storyboard, values: Mapping[str, str]) -> Storyboard:
    """``board`` with every ``{{name}}`` in ``values`` replaced (others are left as written). A made prompt
    (``prompt_source``, untouched since it was made) gets a fresh record for its filled-in text, so it still counts
    as made (and follows later edits) rather than as written by hand."""
    from briefreel.storyboard.provenance import prompt_basis, source_for, text_sha

    data = _fill(board.model_dump(mode="json"), dict(values))
    new = Storyboard.model_validate(data)
    for shot, orig in zip(new.shots, board.shots):
        src = orig.prompt_source
        if src is not None and src.made != "manual" and src.sha == text_sha(orig.prompt) and shot.prompt.strip():
            shot.prompt_source = source_for(src.made, shot.prompt, prompt_basis(shot, new))
    return new


def parse_set(items: list[str]) -> dict[str, list[str]]:
    """``["city=Shanghai,Chengdu", "offer=Free shipping,20% off"]`` → ``{"city": [...], "offer": [...]}``;
    ``\\,`` is a comma inside a value."""
    sets: dict[str, list[str]] = {}
    for item in items:
        name, sep, rest = item.partition("=")
        name = name.strip()
        if not sep or not PLACEHOLDER.fullmatch("{{" + name + "}}"):
            raise UsageError(f"--set {item!r}: expected NAME=VALUE,VALUE (e.g. city=Shanghai,Chengdu)")
        values = [v.replace("\0", ",").strip() for v in rest.replace("\\,", "\0").split(",")]
        values = [v for v in dict.fromkeys(values) if v]
        if not values:
            raise UsageError(f"--set {name}: no values")
        sets[name] = values
    return sets


def matrix(sets: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """Every combination, the first name varying slowest."""
    names = list(sets)
    combos = [dict(zip(names, combo)) for combo in itertools.product(*(sets[n] for n in names))]
    if len(combos) > MAX_VARIANTS:
        raise UsageError(f"{len(combos)} variants: at most {MAX_VARIANTS} in one run")
    return combos


def slug(values: Mapping[str, str], taken: set[str]) -> str:
    """A folder name for a variant: its values, ``Shanghai-Free-shipping``; Chinese stays Chinese."""
    base = "-".join(re.sub(r"[^\w]+", "-", v, flags=re.UNICODE).strip("-") for v in values.values())
    base = (base or "variant")[:80].strip("-")
    name, n = base, 2
    while name.casefold() in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name.casefold())
    return name


@dataclass
class VariantsReport:
    out_dir: Path
    index: Path
    page: Path
    variants: list[dict[str, Any]] = field(default_factory=list)
    renders: int = 0  # shots rendered across all variants


def render_variants(board: Storyboard, sets: Mapping[str, list[str]], out_dir: str | Path, *,
                    renderer: str = "panel", renderer_options: dict[str, Any] | None = None,
                    use_cache: bool = True, cache_dir: str | Path | None = None, progress: bool = False,
                    exports: bool = True, audio: Any = None, on_variant=None, **render_kw: Any) -> VariantsReport:
    """Render every variant of ``board`` into ``out_dir/<slug>/`` and write the index and the page."""
    from briefreel.render.exports.variants_html import write_variants_html
    from briefreel.render.pipeline import render_board

    out_dir = Path(out_dir)
    used = placeholders(board)
    unknown = [n for n in sets if n not in used]
    if unknown:
        raise UsageError(f"--set {', '.join(unknown)}: no {{{{{unknown[0]}}}}} in the board "
                         f"(it uses: {', '.join(used) or 'none'})")
    missing = [n for n in used if n not in sets]
    if missing:
        raise UsageError(f"the board uses {', '.join('{{' + n + '}}' for n in missing)}: give values with --set")
    combos = matrix(sets)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = VariantsReport(out_dir, out_dir / INDEX, out_dir / PAGE)
    taken: set[str] = set()
    first_rendered: set[str] = set()
    for i, values in enumerate(combos):
        name = slug(values, taken)
        vdir = out_dir / name
        vdir.mkdir(parents=True, exist_ok=True)
        variant = fill(board, values)
        variant.source = {**variant.source, "variant": {"slug": name, "values": values}}
        variant.save(vdir / "shots.json")
        if on_variant is not None:
            on_variant(i, len(combos), name)
        rep = render_board(variant, vdir, renderer=renderer, renderer_options=renderer_options,
                           use_cache=use_cache if i == 0 else True, cache_dir=cache_dir, progress=progress,
                           exports=exports, audio=audio, **render_kw)
        touched = sorted({s.id for s in board.shots if PLACEHOLDER.search(s.model_dump_json())})
        report.variants.append({
            "slug": name, "values": values, "dir": name, "animatic": f"{name}/animatic.mp4",
            "render_json": f"{name}/render.json", "shots_json": f"{name}/shots.json",
            "rendered": rep.rendered, "reused": rep.reused, "duration_s": variant.duration_s,
            "title": variant.title,
        })
        report.renders += len(rep.rendered)
        first_rendered |= set(rep.rendered)
    index = {
        "title": board.title, "placeholders": {n: list(v) for n, v in sets.items()},
        "shots": len(board.shots), "touched_shots": touched if combos else [],
        "renders": report.renders, "variants": report.variants,
    }
    tmp = report.index.with_name(report.index.name + ".part")
    tmp.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(report.index)
    write_variants_html(index, report.page)
    return report


# -- the command ------------------------------------------------------------------------------------------------------



def run_command(args, options, shots: Path, out: Path, *, audio: Any = None, status=None) -> int:
    """``briefreel variants``: the CLI has checked the options, the files and the sound."""
    import sys

    try:
        board = Storyboard.load(shots)
    except ValueError as exc:
        from briefreel.storyboard.errors import InvalidShots

        raise InvalidShots(f"{shots} is not a valid shots.json: {str(exc).splitlines()[0]}") from None
    sets = {k: list(v) for k, v in (board.source.get("variants") or {}).items()}
    sets.update(parse_set(args.sets))

    def shown(i: int, n: int, name: str) -> None:
        if status is not None:
            status.show(f"variant {i + 1}/{n}: {name}", final=True)

    try:
        report = render_variants(
            board, sets, out, renderer=options.renderer, renderer_options=options.renderer_kwargs(),
            use_cache=options.use_cache, cache_dir=Path(args.cache_dir) if args.cache_dir else None, audio=audio,
            on_variant=shown)
    finally:
        if status is not None:
            status.end()
    print(f"{report.page}  ({len(report.variants)} variants; {report.renders} shot renders for "
          f"{len(board.shots)} shots)", file=sys.stderr)
    return 0
