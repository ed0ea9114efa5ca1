"""A small documented service for the schemathesis tests: notes kept in memory behind a
bearer token, three endpoints that keep what their documentation promises and two that
break it on purpose (a 500, and a body that does not fit its schema).

    python -m tests.support.run tests.support.openapi_probe:Probe PORT
"""
from __future__ import annotations

import itertools

from marshmallow import Schema, fields, validate

from shared.base_service import EventSourcedService
from shared.errors import NotFound, Unauthorized
from shared.web import api, body_of, load

TOKEN = "probe-token"
NOTES: dict[str, str] = {}
SEEN = {"authorized": 0, "refused": 0}
_ids = itertools.count(1)


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=200))


class NoteOut(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class NotePage(Schema):
    items = fields.List(fields.Nested(NoteOut), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class CountOut(Schema):
    count = fields.Integer(required=True)


def authorize(request) -> None:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        SEEN["refused"] += 1
        raise Unauthorized()
    SEEN["authorized"] += 1


class Probe(EventSourcedService):
    name = "probe"

    @api("POST", "/api/v1/probe/notes", body=NoteIn, responses={201: NoteOut},
         summary="Write a note / 写一条笔记")
    def add_note(self, request):
        authorize(request)
        data = load(NoteIn(), body_of(request))
        note_id = str(next(_ids))
        NOTES[note_id] = data["text"]
        return 201, {"id": note_id, "text": data["text"]}

    @api("GET", "/api/v1/probe/notes", query=PageQuery, responses={200: NotePage},
         summary="List notes / 笔记列表")
    def list_notes(self, request):
        authorize(request)
        q = load(PageQuery(), request.args.to_dict())
        ids = sorted(NOTES)[(q["page"] - 1) * q["page_size"]:q["page"] * q["page_size"]]
        return {"items": [{"id": i, "text": NOTES[i]} for i in ids], "total": len(NOTES),
                "page": q["page"], "page_size": q["page_size"]}

    @api("GET", "/api/v1/probe/notes/<note_id>", responses={200: NoteOut},
         summary="One note / 一条笔记")
    def get_note(self, request, note_id):
        authorize(request)
        if note_id not in NOTES:
            raise NotFound("Unknown note", "笔记不存在")
        return {"id": note_id, "text": NOTES[note_id]}

    @api("GET", "/api/v1/probe/broken/crash", summary="Always fails / 总是出错")
    def crash(self, request):
        raise RuntimeError("a bug the run must find")

    @api("GET", "/api/v1/probe/broken/shape", responses={200: CountOut},
         summary="Answers outside its schema / 响应不符合文档")
    def wrong_shape(self, request):
        return {"count": "many"}

    @api("GET", "/api/v1/probe/seen", auth=False, summary="Tokens seen / 令牌统计")
    def seen(self, request):
        return dict(SEEN)
