"""The one explicit list of rules. Adding a rule means adding its class here."""

from __future__ import annotations

from hardpin.rules.base import Rule
from hardpin.rules.hp101 import HP101
from hardpin.rules.hp102 import HP102
from hardpin.rules.hp103 import HP103
from hardpin.rules.hp104 import HP104

# HP2xx imports: pip family (HP201 HP202 HP203 HP210)
from hardpin.rules.hp201 import HP201
from hardpin.rules.hp202 import HP202
from hardpin.rules.hp203 import HP203

# HP2xx imports: other package managers (HP204 HP205 HP209 HP211)
from hardpin.rules.hp204 import HP204
from hardpin.rules.hp205 import HP205

# HP2xx imports: downloads and TLS (HP206 HP207 HP208)
from hardpin.rules.hp206 import HP206
from hardpin.rules.hp207 import HP207
from hardpin.rules.hp208 import HP208
from hardpin.rules.hp209 import HP209
from hardpin.rules.hp210 import HP210
from hardpin.rules.hp211 import HP211

# HP3xx imports: pip requirements files
from hardpin.rules.hp301 import HP301
from hardpin.rules.hp302 import HP302
from hardpin.rules.hp303 import HP303
from hardpin.rules.hp304 import HP304
from hardpin.rules.hp305 import HP305
from hardpin.rules.hp306 import HP306
from hardpin.rules.hp401 import HP401
from hardpin.rules.hp402 import HP402
from hardpin.rules.hp403 import HP403
from hardpin.rules.hp404 import HP404
from hardpin.rules.hp405 import HP405

# HP6xx imports: online checks of what is published
from hardpin.rules.hp601 import HP601
from hardpin.rules.hp602 import HP602
from hardpin.rules.meta import HP001, HP002, HP003

RULES: tuple[type[Rule], ...] = (
    HP001,
    HP002,
    HP003,
    HP101,
    HP102,
    HP103,
    HP104,
    # HP2xx rules: pip family
    HP201,
    HP202,
    HP203,
    HP210,
    # HP2xx rules: other package managers
    HP204,
    HP205,
    HP209,
    HP211,
    # HP2xx rules: downloads and TLS
    HP206,
    HP207,
    HP208,
    # HP3xx rules: pip requirements files
    HP301,
    HP302,
    HP303,
    HP304,
    HP305,
    HP306,
    HP401,
    HP402,
    HP403,
    HP404,
    HP405,
    # HP6xx rules: online
    HP601,
    HP602,
)

BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}
