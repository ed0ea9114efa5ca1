"""The reporting service: nameko entrypoints only translate and dispatch."""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider
from shared.web import api

from services.reporting.events import registry


class ReportingService(EventSourcedService):
    name = "reporting"
    store = StoreProvider(registry)

    @api("GET", "/api/v1/reporting/ping")
    def http_ping(self, request):
        return self.ping()
