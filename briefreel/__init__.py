"""briefreel: a password-protected PDF brief in; a shot list, a storyboard and an animatic out.

One import name. Installed (``pip install briefreel``), the repository's folders are its subpackages:

    briefreel.parsers      parsers/      intake: decrypt, text in reading order, tables, metadata
    briefreel.storyboard   storyboard/   the brief becomes scenes and shots (rules or an LLM), shots.json schema
    briefreel.render       render/       renderers (panel, Wan), conform and animatic, exports
    briefreel.plugin       plugin/       the Dify plugin
    briefreel.job, .errors, .cli, .service (this folder): the job contract every surface shares, and the shell

``pyproject.toml`` maps them with setuptools' ``package-dir``. In a source checkout (and in the Dify package, which
mirrors it) the same names resolve through ``__path__`` below, so ``python -m pytest`` or ``python -m main`` work
without an install.
"""

from __future__ import annotations

import os as _os

__version__ = "0.1.0"

_here = _os.path.dirname(_os.path.abspath(__file__))
_root = _os.path.dirname(_here)
if not _os.path.isdir(_os.path.join(_here, "parsers")) and _os.path.isfile(_os.path.join(_root, "parsers", "__init__.py")):
    __path__.append(_root)  # type: ignore[name-defined]  # source checkout: ../parsers is briefreel.parsers
