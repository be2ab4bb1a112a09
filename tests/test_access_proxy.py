"""Behind a reverse proxy every request comes from the proxy's address: per-client limits (sign-in
throttling, admission control) would lump all clients together. NORMGRAPH_TRUSTED_PROXIES says how
many proxies' X-Forwarded-For to believe; without it the header is ignored, so nobody escapes a
limit by sending one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.server import create_app
from normgraph.server.config import ServerConfig
from normgraph.server.kernel import close_app
from tests.server_helpers import fixture_store
from tests.test_access_holes import signin_form


def _app(trusted_proxies: int) -> Flask:
    registry = Registry()
    registry.add("someone")
    registry.set_password("someone", "a long enough password")
    return create_app(fixture_store(), config={"workers": 1, "trusted_proxies": trusted_proxies},
                      registry=registry)


@pytest.fixture
def behind_proxy() -> Iterator[Flask]:
    app = _app(1)
    yield app
    close_app(app)


@pytest.fixture
def direct() -> Iterator[Flask]:
    app = _app(0)
    yield app
    close_app(app)


def _fail_from(client: FlaskClient, forwarded_for: str, name: str) -> int:
    form = signin_form(client, name=name, password="wrong")
    r = client.post("/access/signin", data=form, headers={"X-Forwarded-For": forwarded_for})
    return r.status_code


def test_behind_a_trusted_proxy_one_client_guessing_does_not_lock_out_the_others(behind_proxy: Flask) -> None:
    client = behind_proxy.test_client()
    assert [_fail_from(client, "198.51.100.7", f"guess{i}") for i in range(5)] == [403] * 5
    assert _fail_from(client, "198.51.100.7", "guess5") == 429  # that client is throttled
    assert _fail_from(client, "203.0.113.9", "other") == 403  # another client behind the proxy is not


def test_without_a_trusted_proxy_the_header_is_ignored_and_cannot_dodge_the_limit(direct: Flask) -> None:
    client = direct.test_client()
    assert [_fail_from(client, f"198.51.100.{i}", f"guess{i}") for i in range(5)] == [403] * 5
    assert _fail_from(client, "203.0.113.9", "other") == 429  # same real address, whatever it claims


def test_the_setting_is_read_from_the_environment_and_checked() -> None:
    assert ServerConfig.from_env(env={"NORMGRAPH_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert ServerConfig.from_env(env={}).trusted_proxies == 0
    with pytest.raises(ValueError, match="NORMGRAPH_TRUSTED_PROXIES"):
        ServerConfig.from_env(env={"NORMGRAPH_TRUSTED_PROXIES": "-1"})
