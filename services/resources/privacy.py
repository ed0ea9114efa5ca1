"""Text about a resident in resources (a wish's title, delivery notes, thanks, match
notes, an allocation's note to a resident): sealed with the resident's own key in resources' store, opened for the read
models, erased with the resident (the residents' KeyDestroyed). The machinery is
shared.security's (sealing, erasure, scrub); which fields is events.SEALED."""
from __future__ import annotations

from shared.security.sealing import Sealing, forget_resident

from services.resources.events import ANONYMOUS, SEALED

SEALING = Sealing(SEALED, anonymous=ANONYMOUS)
forget = forget_resident
