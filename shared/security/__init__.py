"""Security building blocks every service uses: who calls, what they may do, what they see.

    tokens.py      JWT (HS256, `kid` header) issue/verify; rotation via STATION_JWT_KEYS
    keys.py        key material from config/env, dev keys generated into the data dir
    principal.py   Principal(username, role, scopes); role/scope/user-name checks
    roles.py       the roles and THE permission table (action -> roles), docs rendering
    scope.py       station isolation: can_see_station, visible(...) -> 404 out of scope
    masking.py     mask_id_number, mask_phone, masked(record, principal), mask_record
    access_log.py  ResidentRecordRead events, X-Access-Reason, reason_required
    erasure.py     per-resident keys (KeyVault), encrypt_fields/decrypt_fields, Encrypted
    users.py       accounts with argon2 hashes, event-sourced in the `identity` store
    login.py       issue_token(username, password, config) -> token response
    lookup.py      keyed_hash(id_number, key) for the partner lookup
    nameko.py      Auth(): the dependency provider a service declares

A service in a few lines (nothing here connects at import time):

    # services/residents/events.py
    from shared.security import access_log, erasure
    registry = Registry()
    access_log.register(registry)          # ResidentRecordRead
    erasure.register(registry)             # KeyDestroyed

    # services/residents/service.py
    from shared.errors import NotFound
    from shared.security import access_log
    from shared.security.nameko import Auth

    RESIDENT_NOT_FOUND = NotFound("Resident not found", "未找到该居民")

    class ResidentsService(EventSourcedService):
        name = "residents"
        store = StoreProvider(registry, projections=projections.metadata)
        auth = Auth()

        @api("POST", "/api/v1/auth/token")
        def token(self, request):
            return self.auth.token_response(request)

        @api("POST", "/api/v1/residents")
        def register(self, request):
            who = self.auth.require(request, "residents.register")       # 401 / 403
            data = load(RegisterSchema(), body_of(request))
            self.auth.require_station(who, data["station_id"], self._org())  # 404
            ...

        @api("GET", "/api/v1/residents/<resident_id>")
        def get(self, request, resident_id):
            who = self.auth.require(request, "residents.read")
            resident = self.auth.visible(projections.resident(self.store.engine, resident_id),
                                         who, self._org(), RESIDENT_NOT_FOUND)   # 404 both ways
            reason = self.auth.reason(request, resident["card"], resident["categories"])  # 403
            shown = self.auth.masked(resident, who)
            unmasked = [k for k in ("id_number", "phone") if shown.get(k) == resident.get(k)]
            access_log.record_access(self.store, who, resident_id, resident["station_id"],
                                     reason, unmasked)
            return shown

        def _org(self):   # station_id -> (street_id, district_id) | None, from a projection
            return scope.org_from(projections.org_map(self.store.engine))

Lists and exports always mask (`masking.mask_all(rows)`); roll-ups check
`who.may("reports.rollup")` and `scope.can_see_district(who, district_id)`.
Partner lookups match `lookup.keyed_hash(id_number, keys.lookup_key(config))` against a
stored keyed hash and return only known / card / station.
"""
