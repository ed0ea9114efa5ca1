"""The activities service: nameko entrypoints only translate and dispatch."""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider
from shared.web import api

from services.activities.events import registry


class ActivitiesService(EventSourcedService):
    name = "activities"
    store = StoreProvider(registry)

    @api("GET", "/api/v1/activities/ping")
    def http_ping(self, request):
        return self.ping()
