"""Write rules/<CODE>.md and rules/README.md from the rule classes.

python scripts/gen_rule_docs.py          # write
python scripts/gen_rule_docs.py --check  # exit 1 when the files are stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hardpin.docs import index_markdown, rule_markdown  # noqa: E402
from hardpin.registry import RULES  # noqa: E402


def expected() -> dict[Path, str]:
    out = {ROOT / "rules" / f"{r.code}.md": rule_markdown(r) for r in RULES}
    out[ROOT / "rules" / "README.md"] = index_markdown(RULES)
    return out


def main(argv: list[str]) -> int:
    files = expected()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    extra = [p for p in (ROOT / "rules").glob("*.md") if p not in files]
    if "--check" in argv:
        for p in stale + extra:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale or extra else 0
    (ROOT / "rules").mkdir(exist_ok=True)
    for p in stale:
        p.write_text(files[p])
    for p in extra:
        p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
