"""Live mode's settings and its sandbox: which server, which site, whose accounts.

The end-to-end tests that use the ``target`` fixture run against a real Plesk
when ``PLESK_LIVE_HOST`` is set (the test suite's variables only; the
product reads none of them):

=========================  ====================================================
``PLESK_LIVE_HOST``        the server (switches live mode on)
``PLESK_LIVE_PORT``        its XML API port (default 8443)
``PLESK_LIVE_LOGIN``       the login (default ``admin``)
``PLESK_LIVE_PASSWORD``    its password; or (or also, for the key tests):
``PLESK_LIVE_SECRET_KEY``  a secret key
``PLESK_LIVE_CA_FILE``     a CA file to trust (a self-signed Plesk)
``PLESK_LIVE_INSECURE``    ``1``: no TLS verification (a fresh Docker Plesk)
``PLESK_LIVE_SITE``        the sandbox site's name, e.g. ``sandbox.example.com``
``PLESK_LIVE_FORCE``       ``1``: go on although the sandbox holds other accounts
=========================  ====================================================

Tests create and remove only accounts named ``PREFIX`` + a number + ``-``
inside the sandbox site. Before the first test, ``open_sandbox`` looks the
site up by name, removes what an earlier, interrupted run left (``PREFIX``
accounts) and refuses to start while the site holds accounts the suite did
not create, unless told to go on; those are then never touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "mgtest-"
"""Every account a live test creates starts with this (then its number)."""
VARIABLES = (
    "PLESK_LIVE_HOST",
    "PLESK_LIVE_PORT",
    "PLESK_LIVE_LOGIN",
    "PLESK_LIVE_PASSWORD",
    "PLESK_LIVE_SECRET_KEY",
    "PLESK_LIVE_CA_FILE",
    "PLESK_LIVE_INSECURE",
    "PLESK_LIVE_SITE",
    "PLESK_LIVE_FORCE",
)


class LiveSetupError(Exception):
    """Live mode was asked for but cannot start: the message says why."""


@dataclass(frozen=True)
class LiveSettings:
    """Where the live server is and how to log in, from ``PLESK_LIVE_*``."""

    host: str
    port: int
    login: str
    password: str | None
    """Logins use the password where there is one, else the secret key."""
    secret_key: str | None
    verify: bool | str
    site: str
    force: bool

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] = os.environ
    ) -> LiveSettings | None:
        """The settings, ``None`` without ``PLESK_LIVE_HOST`` (emulator mode)."""
        get = {name: environ.get(name, "").strip() for name in VARIABLES}
        if not get["PLESK_LIVE_HOST"]:
            return None
        missing = []
        if not (get["PLESK_LIVE_PASSWORD"] or get["PLESK_LIVE_SECRET_KEY"]):
            missing.append("PLESK_LIVE_PASSWORD (or PLESK_LIVE_SECRET_KEY)")
        if not get["PLESK_LIVE_SITE"]:
            missing.append("PLESK_LIVE_SITE (the sandbox site's name)")
        if missing:
            raise LiveSetupError(f"live mode needs {' and '.join(missing)}")
        port = get["PLESK_LIVE_PORT"] or "8443"
        if not port.isdigit():
            raise LiveSetupError(f"PLESK_LIVE_PORT is not a port: {port!r}")
        insecure = get["PLESK_LIVE_INSECURE"] == "1"
        if insecure and get["PLESK_LIVE_CA_FILE"]:
            raise LiveSetupError(
                "PLESK_LIVE_INSECURE and PLESK_LIVE_CA_FILE contradict"
            )
        return cls(
            host=get["PLESK_LIVE_HOST"],
            port=int(port),
            login=get["PLESK_LIVE_LOGIN"] or "admin",
            password=get["PLESK_LIVE_PASSWORD"] or None,
            secret_key=get["PLESK_LIVE_SECRET_KEY"] or None,
            verify=False if insecure else (get["PLESK_LIVE_CA_FILE"] or True),
            site=get["PLESK_LIVE_SITE"],
            force=get["PLESK_LIVE_FORCE"] == "1",
        )


@dataclass(frozen=True)
class Sandbox:
    """The site the tests work in, as ``open_sandbox`` found it."""

    site_id: int
    site_name: str
    protocols: tuple[str, ...]
    """The versions both the server and this package speak, oldest first."""
    leftovers: tuple[str, ...]
    """Accounts an earlier run left behind, removed before the first test."""
    foreign: tuple[str, ...]
    """Accounts the suite did not create (only with ``force``): never touched."""


def open_sandbox(client: Any, site_name: str, force: bool) -> Sandbox:
    """Find the sandbox site, clear an earlier run's accounts, refuse others."""
    import plesk_mail
    from plesk_mail.runtime.base.protocols import version_key
    from plesk_mail.runtime.engine.negotiate import server_protocols

    spoken = set(server_protocols(client.transport))
    protocols = tuple(
        sorted(set(plesk_mail.PROTOCOL_VERSIONS) & spoken, key=version_key)
    )
    found = client.get_sites(names=[site_name])
    if not found.ok:
        raise LiveSetupError(
            f"PLESK_LIVE_SITE: no site {site_name!r} on the server "
            f"({found[0].errtext}); create it first, e.g. as an add-on domain"
        )
    site_id = int(found[0].id)
    names = [a.name for a in client.get_info(site_id=site_id).accounts()]
    ours = tuple(n for n in names if n.casefold().startswith(PREFIX))
    foreign = tuple(n for n in names if n not in ours)
    if foreign and not force:
        shown = ", ".join(foreign[:10]) + (" ..." if len(foreign) > 10 else "")
        raise LiveSetupError(
            f"the sandbox site {site_name} holds {len(foreign)} account(s) these "
            f"tests did not create ({shown}); use an empty site, or set "
            "PLESK_LIVE_FORCE=1 to go on without touching them"
        )
    if ours:
        client.remove(site_id=site_id, names=list(ours)).raise_for_errors()
    return Sandbox(site_id, site_name, protocols, ours, foreign)


def remove_prefixed(client: Any, site_id: int, prefix: str) -> list[str]:
    """Remove every account of the site whose name starts with ``prefix``."""
    names = [
        a.name
        for a in client.get_info(site_id=site_id).accounts()
        if a.name.casefold().startswith(prefix)
    ]
    if names:
        client.remove(site_id=site_id, names=names).raise_for_errors()
    return names
