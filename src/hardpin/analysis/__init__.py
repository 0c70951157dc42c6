"""What the rules share: pure, typed analyses of parsed documents.

Rules import `analysis`, `model`, `refs` and `urls`, never each other. Nothing
here does I/O except through `RuleContext.read_related`.
"""
