"""Where the packaged content and training data live (beside the code, also when installed)."""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
#: The default content pack (flows/content), imported by ``hotline up`` into an empty database.
DEFAULT_CONTENT = _ROOT / "flows" / "content"
#: The NLU training data (nlu/data/<lang>/nlu.yml).
NLU_DATA = _ROOT / "nlu" / "data"
