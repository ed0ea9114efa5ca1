"""Events the activities service records and publishes (past tense; payload schemas)."""
import marshmallow as ma

from shared.events import Registry


class ActivityPlanned(ma.Schema):
    """An activity is planned at a station (empty so far: the activities work fills it)."""
    activity_id = ma.fields.Str(required=True)
    station_id = ma.fields.Str(required=True)


registry = Registry()
registry.register("ActivityPlanned", ActivityPlanned)
