"""pytest fixtures: an HTTPS emulator on a free loopback port, and its TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.xsd import schema_errors

from .server import Emulator
from .store import SiteSpec, Store
from .tls import TestTLS, make_tls

SITE_ID = 1


def new_emulator(
    tls: TestTLS | None,
    *,
    store: Store | None = None,
    sites: tuple[int | SiteSpec, ...] = (SITE_ID,),
    **kwargs: Any,
) -> Emulator:
    """An emulator speaking every locked version, checking every packet both
    ways against its XSDs, with ``sites`` seeded (started by the caller): ids
    of main domains, or ``SiteSpec`` for a name and a parent site."""
    emulator = Emulator(
        validator=schema_errors,
        tls_context=tls.server_context if tls else None,
        store=store,
        **kwargs,
    )
    for site in sites:
        emulator.store.seed(site)
    return emulator


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TestTLS:
    return make_tls(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def emulator(tls: TestTLS) -> Iterator[Emulator]:
    server = new_emulator(tls).start()
    try:
        yield server
    finally:
        server.stop()
        server.store.close()
        assert not server.response_errors, server.response_errors


PINNED = "1.6.9.1"
"""The protocol the helpers below pin: a case about something else sends exactly
its own packets (a bare host negotiates by default, which costs one more; its
own tests cover that: tests/test_cli_shape.py, tests/test_versions.py)."""


def cli_env(emulator: Emulator, tls: TestTLS) -> dict[str, str]:
    """The environment a ``plesk-mail`` user sets for this emulator."""
    return {
        "PLESK_PROTOCOL": PINNED,
        "PLESK_HOST": "127.0.0.1",
        "PLESK_PORT": str(emulator.port),
        "PLESK_LOGIN": emulator.login,
        "PLESK_PASSWORD": emulator.password,
        "PLESK_CA_FILE": str(tls.ca_file),
        "PLESK_SECRET_KEY": "",
    }


def connect_to(
    emulator: Emulator, tls: TestTLS, *, kind: str = "sync", **options: Any
) -> Any:
    """``plesk_mail.connect`` to this emulator with its credentials and CA.

    ``kind="async"`` makes the async client instead, wrapped so that the same
    synchronous test body drives it (``tests/support/both.py``).
    """
    import plesk_mail

    from tests.support.both import Blocking

    settings: dict[str, Any] = {
        "login": emulator.login,
        "password": emulator.password,
        "port": emulator.port,
        "verify": str(tls.ca_file),
        "timeout": 10,
        "protocol": PINNED,
    }
    settings.update(options)
    if kind == "async":
        client = Blocking(plesk_mail.connect_async("127.0.0.1", **settings))
        return client.__enter__()  # opened (negotiated) like the synchronous one
    return plesk_mail.connect("127.0.0.1", **settings)
