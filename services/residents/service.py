"""The residents service: nameko entrypoints only translate and dispatch."""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider
from shared.web import api

from services.residents.events import registry


class ResidentsService(EventSourcedService):
    name = "residents"
    store = StoreProvider(registry)

    @api("GET", "/api/v1/residents/ping")
    def http_ping(self, request):
        return self.ping()
