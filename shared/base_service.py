"""What every service answers over RPC: ping, and reads of its own event store.

Other services read events only through these (catch-up after a gap, rebuilds),
never from another service's database.
"""
from __future__ import annotations

from nameko.rpc import rpc

from shared.providers import Correlation


class EventSourcedService:
    """Base of the five services. Subclasses set `name` and `store = StoreProvider(...)`."""

    name = "base"
    correlation_id = Correlation()

    @rpc
    def ping(self) -> dict:
        return {"service": self.name, "status": "ok"}

    @rpc
    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[dict]:
        """Events after a position, in order: [{"event_id", "position", "type", ...}]."""
        limit = max(1, min(int(limit), 5000))
        return [e.to_dict() for e in self.store.read_all(int(after_position), limit)]

    @rpc
    def read_stream(self, stream_id: str, from_version: int = 0) -> list[dict]:
        return [e.to_dict() for e in self.store.read_stream(stream_id, int(from_version))]

    @rpc
    def last_position(self) -> int:
        return self.store.last_position()
