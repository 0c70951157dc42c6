"""hardpin: pin and verify the supply-chain inputs that live in a repository."""

from __future__ import annotations

__version__ = "0.1.0"
