"""Residents: the registry of key civil-affairs targets, risk grading (一分), the three
cards (三卡), the needs library (需求库) and the organisation tree.

    config/        seed tree, vocabularies, rubrics (data, not code)
    events.py      payload schemas and the registry     commands.py   what callers ask
    org.py         the organisation tree (pure)         resident.py   the resident aggregate (pure)
    rubric.py      scoring (pure)                       cards.py      card order, rhythm (pure)
    idnumber.py    GB 11643 ID numbers (pure)           errors.py     kinds of domain failure
    handlers.py    load, decide, append, project        projections.py  read models
    queries.py     reads                                schemas.py    requests, responses
    access.py      scope: who sees which stations       privacy.py    sealing, erasure, masks
    service.py     nameko entrypoints (HTTP, RPC, casework subscriber)

Security (shared.security): every HTTP call but the token, ping and OpenAPI ones needs
a bearer token; the role's permission (403), then the token's stations (404 outside,
as if unknown). Personal fields are sealed per resident inside events; erasure destroys
the key. Reads of a record are audited; ID numbers and phones are masked by role.
"""
