"""The resources service's own error family, beside the kit's (shared.kit.errors):
Insufficient, a 409 `insufficient_stock` — less is left than the command takes.
Every other refusal is one of the kit's families, raised by the guards beside each
aggregate; nothing is written when one is raised."""
from __future__ import annotations

from shared.kit.errors import Conflicting


class Insufficient(Conflicting):
    """Less is left than the command takes (409)."""
    code = "insufficient_stock"
