"""Masking is presentation: a property over random secrets (issue 23).

For a random password (1 to 64 characters, printable ASCII and beyond, often
a piece of the packet envelope or of the account data itself) and account
data that contains it:

- every value the client decodes equals what the server sent, and
- no rendered error, excerpt, repr or log line shows the password, plain or
  in any form a server may echo it in (HTML-escaped the ways PHP and Python
  do, as character references, URL-encoded, JSON-escaped).

The forms are written here, independently of ``runtime/base/masking.py``, so a
form the runtime forgets fails this test. The server is an
``httpx.MockTransport``: no network, so Hypothesis can draw many examples.
"""

from __future__ import annotations

import html
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import plesk_mail
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plesk_mail.codec import encode_response
from plesk_mail.runtime.transport.http import TRACE

LATEST = plesk_mail.PROTOCOL_VERSIONS[-1]
ENVELOPE = (
    f'<?xml version="1.0" encoding="UTF-8"?><packet version="{LATEST}"><mail>'
    "<get_info><result><status>ok</status><errcode>1013</errcode>"
    "<errtext>Plesk error</errtext><mailname><name>info</name></mailname>"
    "</result></get_info></mail></packet> https://127.0.0.1:8443/enterprise/control"
)
WORDS = ["Welcome2024 campaign inbox", "autoreply: back in January", "info@example.com"]
CHARACTERS = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Zs"),
    exclude_characters="\x85\xa0\u2028\u2029",
)


def _valid(secret: str) -> bool:
    """What HTTP headers can carry: no white space at either end, no control."""
    return bool(secret) and secret == secret.strip(" \t") and secret.isprintable()


def _pieces(text: str) -> st.SearchStrategy[str]:
    return st.integers(0, len(text) - 1).flatmap(
        lambda start: st.integers(start + 1, min(len(text), start + 64)).map(
            lambda end: text[start:end]
        )
    )


SECRETS = st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=64),
    _pieces(ENVELOPE),
    st.sampled_from(WORDS).flatmap(_pieces),
    st.sampled_from(["x", "1", "e", "ok", "info", "UTF-8", "status", "***", "&amp;"]),
).filter(_valid)


def forms(secret: str) -> set[str]:
    """How a server may echo ``secret``."""
    php = html.escape(secret).replace("&#x27;", "&#039;")
    found = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        php,
        "".join(
            (
                f"&{html.entities.codepoint2name.get(ord(c), '')};"
                if ord(c) in html.entities.codepoint2name and not c.isascii()
                else c
            )
            for c in php
        ),
        "".join(f"&#{ord(c)};" for c in secret),
        "".join(f"&#x{ord(c):x};" for c in secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
    }
    return {form for form in found if form}


def echoes(secret: str) -> list[str]:
    """Error texts a hostile or careless server writes around the secret."""
    return [f"login failed for {form} (check it)" for form in sorted(forms(secret))]


class Server:
    """Answers each request with the next scripted (status, body)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        status, body = self.answers.pop(0)
        return httpx.Response(
            status, content=body, headers={"Content-Type": "text/xml"}
        )


@contextmanager
def logged() -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("plesk_mail")
    handler, level = Keep(TRACE), logger.level
    logger.addHandler(handler)
    logger.setLevel(TRACE)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def xml_text(text: str) -> str:
    return html.escape(text, quote=False)


def item_error(text: str) -> bytes:
    return (
        f'<packet version="{LATEST}"><mail><enable><result><status>error</status>'
        f"<errcode>1013</errcode><errtext>{xml_text(text)}</errtext></result>"
        "</enable></mail></packet>"
    ).encode()


def system_error(text: str) -> bytes:
    return (
        f'<packet version="{LATEST}"><system><status>error</status>'
        f"<errcode>1001</errcode><errtext>{xml_text(text)}</errtext></system></packet>"
    ).encode()


def account_answer(description: str, text: str) -> bytes:
    m = plesk_mail
    info = m.MailAccountInfo(
        name="info",
        id=7,
        description=description,
        autoresponder=m.AutoresponderInfo(enabled=True, text=text),
    )
    packet = m.ResponsePacket(
        version=LATEST,
        replies=[
            m.Reply(
                "get_info",
                m.GetInfoResponse(
                    results=[m.GetInfoResult(status=m.ResultStatus.OK, mailname=info)]
                ),
                "mail",
            )
        ],
    )
    return encode_response(packet, LATEST)


def rendered(call: Callable[[], object]) -> str:
    """What a person sees of a failed call: its message, and the texts it carries."""
    try:
        result = call()
    except plesk_mail.PleskError as exc:
        carried = [getattr(exc, name, "") for name in ("excerpt", "errtext")]
        return "\n".join([str(exc), *(str(text) for text in carried)])
    return repr(result)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS)
def test_decoded_data_is_exact_and_no_rendering_shows_the_secret(secret: str) -> None:
    server = Server()
    description = f"{secret} campaign inbox"
    text = f"Away; {secret}; back soon"
    echoed = echoes(secret)
    server.answers.append((200, account_answer(description, text)))
    for echo in echoed:
        server.answers += [
            (200, item_error(echo)),
            (200, system_error(echo)),
            (500, f"<html>{xml_text(echo)}</html>".encode()),
            (200, f"<packet>{echo}".encode()),
        ]
    shown: list[str] = []
    with (
        logged() as lines,
        plesk_mail.connect(
            "plesk.example.com",
            password=secret,
            protocol=LATEST,
            retry=None,
            http_client=httpx.Client(transport=httpx.MockTransport(server)),
        ) as client,
    ):
        [account] = client.get_info(site_id=1, names=["info"]).accounts()
        assert account.description == description  # exactly as sent
        assert account.autoresponder is not None
        assert account.autoresponder.text == text
        for echo in echoed:
            results = client.enable(site_id=1)
            assert results[0].errtext == echo  # the data: exactly as sent
            shown.append(rendered(results.raise_for_errors))
            shown.append(repr(results))
            for _ in range(3):  # system error, HTTP 500 page, broken XML
                shown.append(rendered(lambda: client.enable(site_id=1)))
    assert not server.answers
    everything = shown + lines
    for form in forms(secret):
        for line in everything:
            assert form not in line, f"{form!r} shows in {line[:300]!r}"


@pytest.mark.parametrize("secret", ["x", "Welcome2024", "P\u00e4ss\"w'rd&<9>"])
def test_the_property_sees_a_masker_that_does_nothing(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The property can fail: with masking switched off, the secret shows."""
    from plesk_mail.runtime.base import masking

    monkeypatch.setattr(masking.Masker, "text", lambda self, text: text)
    with pytest.raises(AssertionError, match="shows in"):
        test_decoded_data_is_exact_and_no_rendering_shows_the_secret.hypothesis.inner_test(  # type: ignore[attr-defined]
            secret=secret
        )
