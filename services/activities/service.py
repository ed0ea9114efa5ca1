"""The activities service: nameko entrypoints only translate and dispatch.

Ping, OpenAPI and the subscriber entrypoints come from the kit (shared.base_service).
"""
from shared.base_service import EventSourcedService
from shared.providers import StoreProvider

from services.activities import projections
from services.activities.events import registry


class ActivitiesService(EventSourcedService):
    name, name_zh = "activities", "活动"
    store = StoreProvider(registry, projections=projections.projection)
