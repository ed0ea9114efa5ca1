"""The resources service: nameko entrypoints only translate and dispatch."""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider
from shared.web import api

from services.resources.events import registry


class ResourcesService(EventSourcedService):
    name = "resources"
    store = StoreProvider(registry)

    @api("GET", "/api/v1/resources/ping")
    def http_ping(self, request):
        return self.ping()
