from __future__ import annotations

import sys

from hardpin.cli import main

sys.exit(main())
