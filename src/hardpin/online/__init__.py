"""Network work lives here (registry, package index, git refs, signatures, cache).

Nothing outside this package imports `requests` or `subprocess`.
"""
