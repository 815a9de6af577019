"""List-envelope pagination against a server: full-URL `next`, last-page shapes, foreign hosts, loops."""

from __future__ import annotations

import logging

import pytest

from billing_portal.confluent.pagination import iter_envelope
from billing_portal.errors import ConfluentApiError
from billing_portal_tests.confluent_fixtures import FixtureServer, Reply, envelope_handler, http_for

PATH = "/cmk/v2/clusters"
ITEMS = [{"id": f"lkc-{i:03d}"} for i in range(250)]


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


@pytest.mark.parametrize("last_metadata", ["empty", "no_next"])
def test_follows_full_url_next_until_the_last_page(server, last_metadata):
    server.route("GET", PATH, envelope_handler(ITEMS, base_url=server.url, path=PATH, kind="ClusterList",
                                               api_version="cmk/v2", last_metadata=last_metadata))
    got = list(iter_envelope(http_for(server), PATH, {"environment": "env-1"}))
    assert got == ITEMS
    calls = server.calls(PATH)
    assert len(calls) == 3  # 99 + 99 + 52
    assert all(c.param("page_size") == "99" and c.param("environment") == "env-1" for c in calls)
    assert calls[0].param("page_token") is None and all(c.param("page_token") for c in calls[1:])


def test_next_on_another_host_is_rebased_and_gets_no_credentials(server, caplog):
    caplog.set_level(logging.WARNING, logger="billing_portal.confluent")
    with FixtureServer() as elsewhere:
        elsewhere.route("GET", PATH, envelope_handler(ITEMS, base_url=elsewhere.url, path=PATH))
        server.route("GET", PATH, envelope_handler(ITEMS, base_url=server.url, path=PATH, next_base=elsewhere.url))
        got = list(iter_envelope(http_for(server), PATH, {"environment": "env-1"}))
        assert got == ITEMS
        assert elsewhere.requests == []  # nothing — and so no credentials — went to the other origin
    assert len(server.calls(PATH)) == 3
    assert all(c.authorization for c in server.calls(PATH))
    assert "another origin" in caplog.text


def test_localhost_and_127_0_0_1_are_different_origins(server):
    other_name = server.url.replace("127.0.0.1", "localhost")
    server.route("GET", PATH, envelope_handler(ITEMS, base_url=server.url, path=PATH, next_base=other_name))
    assert len(list(iter_envelope(http_for(server), PATH))) == len(ITEMS)
    assert all(c.headers["host"].startswith("127.0.0.1") for c in server.calls(PATH))


def test_params_dropped_by_next_are_re_sent(server):
    server.route("GET", PATH, envelope_handler(ITEMS, base_url=server.url, path=PATH,
                                               drop_params=("environment",)))
    assert len(list(iter_envelope(http_for(server), PATH, {"environment": "env-9"}))) == len(ITEMS)
    assert [c.param("environment") for c in server.calls(PATH)] == ["env-9"] * 3


def test_a_next_seen_before_is_a_loop_and_an_error(server):
    loop = {"metadata": {"next": f"{server.url}{PATH}?page_token=same"}, "data": [{"id": "lkc-1"}]}
    server.json("GET", PATH, loop)
    with pytest.raises(ConfluentApiError, match="pagination loop"):
        list(iter_envelope(http_for(server), PATH))
    assert len(server.calls(PATH)) == 2


def test_a_later_page_that_404s_is_an_error_not_a_short_list(server):
    server.replies("GET", PATH,
                   Reply(200, {"metadata": {"next": f"{server.url}{PATH}?page_token=p2"}, "data": [{"id": "a"}]}),
                   Reply(404, {"errors": [{"status": "404", "detail": "page token expired"}]}))
    with pytest.raises(ConfluentApiError, match="page token expired"):
        list(iter_envelope(http_for(server), PATH))


def test_non_list_data_is_reported(server):
    server.json("GET", PATH, {"metadata": {}, "data": {"id": "x"}})
    with pytest.raises(ConfluentApiError, match="not a list"):
        list(iter_envelope(http_for(server), PATH))
