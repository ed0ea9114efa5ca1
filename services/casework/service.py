"""The casework service: nameko entrypoints only translate and dispatch."""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider
from shared.web import api

from services.casework.events import registry


class CaseworkService(EventSourcedService):
    name = "casework"
    store = StoreProvider(registry)

    @api("GET", "/api/v1/casework/ping")
    def http_ping(self, request):
        return self.ping()
