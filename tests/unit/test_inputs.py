"""The rules every loaded request obeys (shared.inputs, applied by shared.web.load): no
control characters in text, times and dates within range; with the real schemas that
had answered 500 (OverflowError) or stored a NUL."""
from datetime import date, datetime, timedelta, timezone

import marshmallow as ma
import pytest

from shared import inputs
from shared.errors import ValidationFailed
from shared.web import load

from services.casework.schemas import ServiceRequest
from services.residents.idnumber import check_char
from services.residents.schemas import HistoryQuery, RegisterIn

EXTREME = "9999-12-31T23:59:59-23:59"     # fine as text, 10000-01-01 in UTC


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f", "\x85", "\x0b"])
def test_control_characters_are_a_problem(text):
    assert inputs.problems({"name": text}) == {"name": [inputs.CONTROL_MESSAGE]}


def test_tabs_and_line_breaks_are_text():
    assert inputs.problems({"note": "first line\r\nsecond\tline", "name": "王秀英"}) == {}


def test_problems_are_named_by_their_path():
    data = {"members": [{"name": "ok"}, {"name": "bad\x00"}], "when": {"at": date(1850, 1, 1)}}
    assert set(inputs.problems(data)) == {"members.1.name", "when.at"}


@pytest.mark.parametrize("value", [
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(3000, 1, 1, tzinfo=timezone.utc), date(9999, 12, 31), date(1899, 12, 31)])
def test_times_and_dates_out_of_range_are_a_problem(value):
    assert inputs.problems({"at": value}) == {"at": [inputs.RANGE_MESSAGE]}


def test_times_in_range_pass():
    assert inputs.problems({"at": datetime(2026, 11, 30, 8, tzinfo=timezone.utc),
                            "on": date(1900, 1, 1)}) == {}


def test_an_extreme_as_of_is_a_400_naming_the_field():
    with pytest.raises(ValidationFailed) as err:
        load(HistoryQuery(), {"as_of": EXTREME})
    assert err.value.status == 400 and "超出范围" in err.value.fields["as_of"][0]


def test_an_extreme_served_at_is_a_400_naming_the_field():
    with pytest.raises(ValidationFailed) as err:
        load(ServiceRequest(), {"served_at": EXTREME, "minutes": 30})
    assert list(err.value.fields) == ["served_at"]


def test_a_nul_in_a_residents_name_is_a_400_naming_the_field():
    id_number = "52010219380502122" + check_char("52010219380502122")
    body = {"station_id": "s", "community_id": "c", "name": "王\x00秀英", "gender": "female",
            "birth_date": "1938-05-02", "id_number": id_number, "address": "南明堂\x1b社区"}
    with pytest.raises(ValidationFailed) as err:
        load(RegisterIn(), body)
    assert set(err.value.fields) == {"name", "address"}


# -- what was sent, judged by the field's type (issue 20, item 7) ----------------------

class Sent(ma.Schema):
    months = ma.fields.Integer(required=True)
    hours = ma.fields.Decimal(load_default=None)
    name = ma.fields.String(required=True)
    note = ma.fields.String(load_default=None)
    items = ma.fields.List(ma.fields.Integer(), load_default=list)


@pytest.mark.parametrize("body,field,message", [
    ({"months": 1.5, "name": "x"}, "months", inputs.WHOLE_MESSAGE),
    ({"months": "１０", "name": "x"}, "months", inputs.DIGITS_MESSAGE),
    ({"months": "٣", "name": "x"}, "months", inputs.DIGITS_MESSAGE),
    ({"months": 1, "hours": "２.5", "name": "x"}, "hours", inputs.DIGITS_MESSAGE),
    ({"months": 1, "name": "   "}, "name", inputs.BLANK_MESSAGE),
    ({"months": 1, "name": "\u3000\t"}, "name", inputs.BLANK_MESSAGE),
    ({"months": 1, "name": "x", "items": [1, 2.5]}, "items.1", inputs.WHOLE_MESSAGE),
])
def test_values_the_schema_would_quietly_change_are_refused_naming_the_field(body, field,
                                                                             message):
    assert inputs.sent_problems(Sent(), body) == {field: [message]}


def test_what_is_meant_as_written_passes():
    assert inputs.sent_problems(Sent(), {"months": 2, "hours": "2.50", "name": " 王 ",
                                         "note": "   ", "items": [1, 2.0]}) == {}
    assert inputs.sent_problems(Sent(), {"months": "12"}) == {}   # a query string's text
