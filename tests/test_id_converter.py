"""The `id` URL converter: every row id in a URL (pages, API, plugins) is 1 to 2^31-1, and any
other number is a 404 whatever the method, before a view or a query runs."""

import re

import pytest
from werkzeug.exceptions import HTTPException

from app import create_app
from app.api.openapi import openapi_path
from app.services.validation import MAX_ID
from app.web import IdConverter, numbers_up_to

ALL_PLUGINS = "email,workload,competency,approvals,sla"
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(scope="module")
def url_map():
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}
    return create_app({**config, "CERGAS_PLUGINS": ALL_PLUGINS}).url_map


@pytest.mark.parametrize("limit", [1, 9, 10, 19, 20, 99, 100, 205, 1000, 54321])
def test_numbers_up_to_matches_exactly_one_to_the_limit(limit):
    pattern = re.compile(f"(?:{numbers_up_to(limit)})")
    matched = [n for n in range(limit * 2 + 20) if pattern.fullmatch(str(n))]
    assert matched == list(range(1, limit + 1))
    assert not pattern.fullmatch(f"0{limit}")


@pytest.mark.parametrize(
    "value, matches",
    [
        ("1", True),
        ("2147483647", True),
        ("1999999999", True),
        ("2147483639", True),
        ("0", False),
        ("007", False),
        ("-1", False),
        ("2147483648", False),
        ("9999999999", False),
        ("99999999999999999999", False),
        ("1e3", False),
    ],
)
def test_the_id_pattern_is_the_range_of_row_ids(value, matches):
    assert bool(re.fullmatch(f"(?:{IdConverter.regex})", value)) is matches


def id_rules(url_map):
    return [rule for rule in url_map.iter_rules() if "<id:" in rule.rule]


def test_every_numeric_url_part_uses_the_id_converter(url_map):
    assert len(id_rules(url_map)) >= 40
    assert [rule.rule for rule in url_map.iter_rules() if "<int" in rule.rule] == []


@pytest.mark.parametrize("bad", ["0", str(MAX_ID + 1), "99999999999999999999"])
def test_an_out_of_range_id_is_404_for_every_method(url_map, bad):
    adapter = url_map.bind("localhost")
    for rule in id_rules(url_map):
        path = re.sub(r"<id:\w+>", bad, rule.rule)
        path = re.sub(r"<(?:[^>:]+:)?\w+>", "x", path)
        for method in METHODS:
            with pytest.raises(HTTPException) as refused:
                adapter.match(path, method=method)
            assert refused.value.code == 404, (method, path)


def test_the_largest_id_reaches_the_view(url_map):
    adapter = url_map.bind("localhost")
    endpoint, values = adapter.match(f"/api/v1/cards/{MAX_ID}", method="GET")
    assert (endpoint, values) == ("api.get_card", {"card_id": MAX_ID})


def test_the_api_document_shows_an_id_as_a_bounded_integer(url_map):
    rule = next(rule for rule in url_map.iter_rules() if rule.endpoint == "api.get_card")
    path, parameters = openapi_path(rule)
    assert path == "/api/v1/cards/{card_id}"
    assert parameters == [
        {
            "name": "card_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
    ]
