"""The service kit: what every service needs once, so a service holds only its domain.

| module          | holds                                                              |
|-----------------|--------------------------------------------------------------------|
| `errors`        | the domain error families and their one HTTP table                 |
| `ids`           | new ids and ids derived from a cause (passed into decide)          |
| `fold`          | the generic fold over an aggregate's evolvers                      |
| `runner`        | load → decide → append in a transaction, one retry policy          |
| `projections`   | a projection's appliers, apply, rebuild, versioned read models     |
| `paging`        | list pages and the station filter of lists                         |
| `scope`         | station-scoped lookup: kind → table → the same 404 as unknown      |
| `completeness`  | which registered events lack an evolver, an applier or a source    |

ping, read_all, OpenAPI and the subscriber entrypoints generated from the topology's
subscription table are in shared.base_service (the base class of every service).
How to add a service, an event, an endpoint: docs/new-service.md.
"""
