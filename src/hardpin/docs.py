"""Rule documentation in Markdown, from the rule classes (the one source of truth)."""

from __future__ import annotations

from collections.abc import Sequence

from hardpin.rules.base import DOC_SECTIONS, Rule


def rule_markdown(rule: type[Rule]) -> str:
    sections = rule.sections()
    fix = {
        "safe": "safe fix",
        "unsafe": "unsafe fix",
        "network": "fixable with network",
        "none": "no fix",
    }
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"{rule.summary()}",
        "",
        f"- Severity: {rule.severity}",
        f"- Fix: {fix[str(rule.fix)]}",
        f"- Online: {'yes' if rule.online else 'no'}",
        f"- Applies to: {', '.join(sorted(rule.kinds)).replace('*', 'all files')}",
        "",
    ]
    for name in DOC_SECTIONS:
        lines += [f"## {name}", "", sections[name], ""]
    return "\n".join(lines)


def index_markdown(rules: Sequence[type[Rule]]) -> str:
    lines = [
        "# hardpin rules",
        "",
        "Generated from the rule classes by `python scripts/gen_rule_docs.py`; do not edit by hand.",
        "",
        "| Code | Name | Severity | Fix | Online | Summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rules:
        lines.append(
            f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {r.fix} | "
            f"{'yes' if r.online else 'no'} | {r.summary()} |"
        )
    return "\n".join(lines) + "\n"
