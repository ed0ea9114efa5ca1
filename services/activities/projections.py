"""Read models of activities, folded from its own events (shared.kit.projections)."""
from __future__ import annotations

import sqlalchemy as sa

from shared.kit.projections import Projection

metadata = sa.MetaData()
activities = sa.Table(
    "activities_view", metadata,
    sa.Column("activity_id", sa.String(100), primary_key=True),
    sa.Column("station_id", sa.String(100), nullable=False, index=True),
)

APPLIERS = {
    "ActivityPlanned": lambda conn, e: conn.execute(activities.insert().values(
        activity_id=e.payload["activity_id"], station_id=e.payload["station_id"])),
}

VERSION = 1
projection = Projection("activities", metadata, APPLIERS, version=VERSION)
apply, rebuild = projection.apply, projection.rebuild
