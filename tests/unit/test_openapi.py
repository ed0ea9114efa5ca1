"""The OpenAPI document of a service is built from its @api entrypoints: paths with their
parameters, request bodies and responses from marshmallow schemas, the shared Error
shape, bearer security; documents of several services merge, and a clash is refused."""
from __future__ import annotations

import pytest
from marshmallow import Schema, fields, validate
from openapi_spec_validator import validate as validate_spec
from werkzeug.routing import Map, Rule

from shared.base_service import EventSourcedService
from shared.openapi import SpecConflict, handlers_of, merge, openapi_path, spec_for
from shared.web import api

ERROR_REF = {"$ref": "#/components/schemas/Error"}


class ThingIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    size = fields.Integer(load_default=1)


class IdOut(Schema):
    id = fields.String(required=True)


class ThingQuery(Schema):
    kind = fields.String(required=True)
    page = fields.Integer(load_default=1)


class Things(EventSourcedService):
    """Things, for the tests."""
    name = "things"

    @api("GET", "/api/v1/things/ping")
    def http_ping(self, request):
        return self.ping()

    @api("POST", "/api/v1/auth/token")
    def token(self, request):
        return {"access_token": "t"}

    @api("POST", "/api/v1/things", body=ThingIn, responses={201: IdOut, 409: None},
         summary="Add a thing / 添加物品", tags=["things", "inventory"])
    def add(self, request):
        return 201, {"id": "1"}

    @api("GET", "/api/v1/things", query=ThingQuery)
    def find(self, request):
        """Things of one kind.

        More words for the description."""
        return {"items": []}

    @api("GET", "/api/v1/things/<thing_id>", responses={200: IdOut})
    def get(self, request, thing_id):
        return {"id": thing_id}

    @api("DELETE", "/api/v1/things/<thing_id>/parts/<int:index>", responses={204: None})
    def remove_part(self, request, thing_id, index):
        return 204, {}

    @api("GET", "/api/v1/things-public", auth=False)
    def public(self, request):
        return {}


@pytest.fixture(scope="module")
def spec():
    return spec_for(Things, "Things / 物品")


def test_the_document_is_valid_openapi_3(spec):
    validate_spec(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"] == {"title": "Things / 物品", "version": "1.0.0",
                            "description": "Things, for the tests."}


def test_werkzeug_rules_become_openapi_paths_with_path_parameters(spec):
    assert set(spec["paths"]) == {
        "/api/v1/things/ping", "/api/v1/auth/token", "/api/v1/things", "/api/v1/things-public",
        "/api/v1/things/{thing_id}", "/api/v1/things/{thing_id}/parts/{index}",
        "/api/v1/things/openapi.json"}
    params = spec["paths"]["/api/v1/things/{thing_id}/parts/{index}"]["delete"]["parameters"]
    assert params == [
        {"in": "path", "name": "thing_id", "required": True,
         "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}},
        {"in": "path", "name": "index", "required": True,
         "schema": {"type": "integer", "minimum": 0}}]


def test_converters_map_to_the_values_werkzeug_accepts():
    path, params = openapi_path(
        "/a/<uuid:u>/<float:f>/<path:p>/<any(red, blue):c>/<int(signed=True):s>")
    assert path == "/a/{u}/{f}/{p}/{c}/{s}"
    assert [p["schema"] for p in params] == [
        {"type": "string", "format": "uuid"}, {"type": "number", "minimum": 0},
        {"type": "string", "minLength": 1}, {"type": "string", "enum": ["red", "blue"]},
        {"type": "integer"}]


def test_the_request_body_refers_to_the_marshmallow_schema_as_a_component(spec):
    post = spec["paths"]["/api/v1/things"]["post"]
    assert post["requestBody"] == {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ThingIn"}}}}
    thing = spec["components"]["schemas"]["ThingIn"]
    assert thing["required"] == ["name"]
    assert thing["properties"]["name"] == {"type": "string", "minLength": 1, "maxLength": 50}
    assert thing["additionalProperties"] is False  # marshmallow refuses unknown fields


def test_query_parameters_come_one_per_field_of_the_query_schema(spec):
    get = spec["paths"]["/api/v1/things"]["get"]
    by_name = {p["name"]: p for p in get["parameters"]}
    assert set(by_name) == {"kind", "page"}
    assert by_name["kind"]["in"] == "query" and by_name["kind"]["required"] is True
    assert by_name["page"]["schema"]["type"] == "integer"
    assert not by_name["page"].get("required")


def test_declared_responses_come_first_then_the_errors_this_kind_of_endpoint_gives(spec):
    post = spec["paths"]["/api/v1/things"]["post"]["responses"]
    assert set(post) == {"201", "400", "401", "403", "409", "413", "415", "422"}
    assert post["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IdOut"}
    for status in ("400", "401", "403", "409", "413", "415", "422"):
        assert post[status]["content"]["application/json"]["schema"] == ERROR_REF

    get_one = spec["paths"]["/api/v1/things/{thing_id}"]["get"]["responses"]
    assert set(get_one) == {"200", "401", "403", "404"}
    find = spec["paths"]["/api/v1/things"]["get"]["responses"]
    assert set(find) == {"200", "400", "401", "403"}
    delete = spec["paths"]["/api/v1/things/{thing_id}/parts/{index}"]["delete"]["responses"]
    assert set(delete) == {"204", "401", "403", "404", "409"}
    assert "content" not in delete["204"]


def test_an_undocumented_endpoint_answers_any_json_object_with_200(spec):
    public = spec["paths"]["/api/v1/things-public"]["get"]["responses"]
    assert public == {"200": {"description": "OK / 成功", "content": {"application/json": {
        "schema": {"type": "object", "additionalProperties": True}}}}}


def test_every_document_has_the_one_error_shape(spec):
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "message_zh", "fields"]


def test_endpoints_need_a_bearer_token_except_the_token_ping_and_document_routes(spec):
    assert spec["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    paths = spec["paths"]
    assert paths["/api/v1/things"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    assert paths["/api/v1/things/ping"]["get"]["security"] == []
    assert paths["/api/v1/things/openapi.json"]["get"]["security"] == []
    assert paths["/api/v1/things-public"]["get"]["security"] == []
    assert set(paths["/api/v1/auth/token"]["post"]["responses"]) == {"200", "400", "409", "413",
                                                                         "415"}


def test_summaries_tags_and_ids_come_from_the_decorator_or_the_docstring(spec):
    post = spec["paths"]["/api/v1/things"]["post"]
    assert post["summary"] == "Add a thing / 添加物品"
    assert post["tags"] == ["things", "inventory"]
    assert post["operationId"] == "things.add"
    find = spec["paths"]["/api/v1/things"]["get"]
    assert find["summary"] == "Things of one kind."
    assert "More words" in find["description"]
    assert find["tags"] == ["things"]
    assert [t["name"] for t in spec["tags"]] == ["things", "inventory"]


def test_the_decorator_without_documentation_keeps_its_old_form():
    (fn, handler), = [(f, h) for f, h in handlers_of(Things) if h.url == "/api/v1/things/ping"]
    assert (handler.method, handler.url, fn.__name__) == ("GET", "/api/v1/things/ping", "http_ping")
    assert handler.doc.body is None and handler.doc.responses is None and handler.doc.tags == ()


def test_the_service_document_route_is_static_so_it_wins_over_a_variable_segment():
    rules = Map([Rule(h.url, methods=h.method.split(","), endpoint=f.__name__)
                 for f, h in handlers_of(Things)]).bind("localhost")
    assert rules.match("/api/v1/things/openapi.json", "GET")[0] == "openapi_json"
    assert rules.match("/api/v1/things/t-1", "GET") == ("get", {"thing_id": "t-1"})


def test_each_service_class_gets_its_own_document_route():
    class Other(EventSourcedService):
        name = "other"

    urls = [h.url for _, h in handlers_of(Other)]
    assert urls == ["/api/v1/other/openapi.json"]
    assert [h.url for _, h in handlers_of(Things)].count("/api/v1/things/openapi.json") == 1


# -- merging --------------------------------------------------------------------------------

class Gadgets(EventSourcedService):
    name = "gadgets"

    @api("POST", "/api/v1/gadgets", body=ThingIn, responses={201: IdOut})
    def add(self, request):
        return 201, {"id": "g"}


def test_merged_documents_hold_every_path_and_share_identical_components(spec):
    merged = merge([spec, spec_for(Gadgets, "Gadgets")], title="All / 全部", version="2.0.0")
    validate_spec(merged)
    assert merged["info"] == {"title": "All / 全部", "version": "2.0.0"}
    assert "/api/v1/gadgets" in merged["paths"] and "/api/v1/things" in merged["paths"]
    assert set(merged["components"]["schemas"]) == {"Error", "ThingIn", "IdOut"}
    assert [t["name"] for t in merged["tags"]] == ["things", "inventory", "gadgets"]


def test_a_component_name_defined_differently_is_a_conflict(spec):
    other = spec_for(Gadgets, "Gadgets")
    other["components"]["schemas"]["IdOut"] = {"type": "object", "properties": {
        "id": {"type": "integer"}}}
    with pytest.raises(SpecConflict, match="schemas/IdOut"):
        merge([spec, other])


def test_one_path_and_method_defined_twice_differently_is_a_conflict(spec):
    class Impostor(EventSourcedService):
        name = "impostor"

        @api("POST", "/api/v1/things", body=IdOut)
        def add(self, request):
            return {}

    with pytest.raises(SpecConflict, match="/api/v1/things post"):
        merge([spec, spec_for(Impostor, "Impostor")])


def test_the_same_document_twice_merges_into_itself(spec):
    merged = merge([spec, spec])
    assert merged["paths"] == spec["paths"]
    assert merged["components"] == spec["components"]


def test_a_post_with_a_caller_lists_the_idempotency_key_header_and_its_422(spec):
    post = spec["paths"]["/api/v1/things"]["post"]
    header = [p for p in post["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"], p["schema"]["maxLength"]) for p in header] == [
        ("Idempotency-Key", False, 200)]
    assert "422" in post["responses"]
    get = spec["paths"]["/api/v1/things"]["get"]
    assert all(p["in"] != "header" for p in get["parameters"]) and "422" not in get["responses"]


def test_the_log_in_takes_no_idempotency_key(spec):
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    assert all(p["in"] != "header" for p in token.get("parameters", []))
