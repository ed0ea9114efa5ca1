"""Request and response schemas of the roster imports (POST /api/v1/imports/residents,
 organizations, volunteers; their templates)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class ImportQuery(Schema):
    """?station_id=&dry_run=true|false&format=json|xlsx (xlsx: the refused rows, 问题 added)"""

    class Meta:
        unknown = EXCLUDE

    station_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    dry_run = fields.Bool(load_default=False)
    format = fields.Str(load_default="json", validate=validate.OneOf(("json", "xlsx")))


class TemplateQuery(Schema):
    """?station_id= (optional): its communities' names become the 社区 column's list."""

    class Meta:
        unknown = EXCLUDE

    station_id = fields.Str(load_default=None, validate=validate.Length(min=1, max=100))


class ImportErrorOut(Schema):
    row = fields.Int(required=True, metadata={"description": "the sheet's row (header: row 1)"})
    column = fields.Str(required=True)
    message = fields.Str(required=True)
    message_zh = fields.Str(required=True)


class ImportReportOut(Schema):
    rows = fields.Int(required=True)
    new = fields.Int(required=True)
    unchanged = fields.Int(required=True)
    updated = fields.Int(required=True)
    refused = fields.Int(required=True)
    dry_run = fields.Bool(required=True)
    errors = fields.List(fields.Nested(ImportErrorOut), required=True)
