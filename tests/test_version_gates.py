"""Every field that not every protocol version has: refused where it is missing,
sent where it exists, and never dropped on the way.

The cases are checked for completeness against the generated rules: a new
version-limited request field without a case here fails the coverage test.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing
from collections.abc import Callable
from typing import Any

import plesk_mail
import pytest
from plesk_mail import models
from plesk_mail.rules import RULES

from tests.emulator.fixtures import SITE_ID, connect_to
from tests.emulator.server import Emulator
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception
from tests.support.protocols import VERSIONS

DAY = datetime.date(2027, 1, 31)
M = models


def responder() -> M.Autoresponder:
    return M.Autoresponder(enabled=True, end_date=DAY)


# (operation, (class, field) it reaches, call, path of the field in the request)
Case = tuple[str, tuple[type, str], Callable[[Any], object], str]
CASES: list[Case] = [
    (
        "create",
        (M.Autoresponder, "end_date"),
        lambda c: c.create(
            site_id=SITE_ID,
            mailnames=[M.NewMailAccount(name="new", autoresponder=responder())],
        ),
        "create.mailnames[0].autoresponder.end_date",
    ),
    *[
        (
            name,
            (M.Autoresponder, "end_date"),
            lambda c, name=name: getattr(c, name)(
                site_id=SITE_ID,
                mailnames=[
                    M.MailAccountListChange(name="old", autoresponder=responder())
                ],
            ),
            f"{name}.mailnames[0].autoresponder.end_date",
        )
        for name in ("update_add", "update_remove")
    ],
    (
        "update_set",
        (M.Autoresponder, "end_date"),
        lambda c: c.update_set(
            site_id=SITE_ID,
            mailnames=[M.MailAccountUpdate(name="old", autoresponder=responder())],
        ),
        "update_set.mailnames[0].autoresponder.end_date",
    ),
    (
        "set_prefs",
        (M.MailPreferences, "webmail_certificate"),
        lambda c: c.set_prefs(
            site_ids=[SITE_ID], prefs=M.MailPreferences(webmail_certificate="cert-1")
        ),
        "set_prefs.prefs.webmail_certificate",
    ),
]


def request_classes() -> set[type]:
    """Every model class a request can contain."""
    found: set[type] = set()
    pending = [request for request, _ in M.OPERATIONS.values()]
    while pending:
        cls = pending.pop()
        if cls in found:
            continue
        found.add(cls)
        for hint in typing.get_type_hints(cls).values():
            for arg in (hint, *typing.get_args(hint)):
                inner = typing.get_args(arg) or (arg,)
                pending += [t for t in inner if dataclasses.is_dataclass(t)]
    return found


def test_every_limited_request_field_has_a_case() -> None:
    classes = request_classes()
    limited = {
        key
        for key, rule in RULES.fields.items()
        if rule.versions is not None and key[0] in classes
    }
    assert limited == {case[1] for case in CASES}
    assert {case[0] for case in CASES} >= {
        "create",
        "update_add",
        "update_remove",
        "update_set",
        "set_prefs",
    }


IDS = [f"{v}-{case[0]}" for v in VERSIONS for case in CASES]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("version", "case"), [(v, c) for v in VERSIONS for c in CASES], ids=IDS
)
def test_limited_field_is_sent_where_it_exists_and_refused_elsewhere(
    emulator: Emulator, tls: TestTLS, version: str, case: Case, kind: str
) -> None:
    emulator.store.add_account(SITE_ID, Account(name="old"))
    _, (cls, field), call, path = case
    versions = RULES.fields[(cls, field)].versions
    assert versions is not None
    if version in versions:
        with connect_to(emulator, tls, protocol=version, kind=kind) as client:
            assert client.supports(cls, field)
            answer = call(client)
        assert isinstance(answer, list) and all(item.ok for item in answer)
        [exchange] = emulator.exchanges
        assert not exchange.request_errors
        tag = field.replace("_", "-") if field == "webmail_certificate" else field
        assert f"<{tag}>".encode() in exchange.body
        return
    first = min(versions, key=VERSIONS.index)
    for validate in (True, False):
        with (
            connect_to(
                emulator, tls, protocol=version, validate=validate, kind=kind
            ) as client,
            pytest.raises(plesk_mail.ValidationError) as info,
        ):
            assert not client.supports(cls, field)
            call(client)
        assert info.value.path == path
        assert_clean_exception(
            info.value,
            plesk_mail.ValidationError,
            path,
            f"needs protocol {first} or newer",
            f"speaks protocol {version}",
        )
    assert not emulator.exchanges, "a refused request reached the network"
