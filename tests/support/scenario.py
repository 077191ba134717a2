"""A session that touches every kind of answer, to record and to replay.

``run(client, site_id, site_name)`` drives one client through accounts with
passwords, per-item errors, every read and a packet of two operators, and
returns what the client made of each answer. The recording test runs it
against the emulator with ``record=``, then again against those recordings
(``replay_client``), and compares. ``python -m tests.support.scenario DIR``
writes the sample recordings of ``tests/data/recorded/`` (one folder per
protocol version) from an emulator.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ACCOUNT_PASSWORDS = ("Mailbox-Secret-1", "Desk-Secret-&-2")


def run(client: Any, site_id: int, site_name: str) -> list[Any]:
    """Every answer of the session, as the client returned it."""
    import plesk_mail as m

    answers: list[Any] = []
    say = answers.append
    [site] = client.get_sites(names=[site_name], gen_info=True).sites()
    say(site)
    say(
        client.create(
            site_id=site_id,
            mailnames=[
                m.NewMailAccount(
                    name="rec-info",
                    mailbox=m.Mailbox(enabled=True, quota=10 * 2**20),
                    password=m.Password(value=ACCOUNT_PASSWORDS[0]),
                    aliases=["rec-contact"],
                ),
                m.NewMailAccount(name="rec-desk", description="Front desk"),
            ],
        )
    )
    say(client.create(site_id=site_id, mailnames=[m.NewMailAccount(name="rec-info")]))
    say(
        client.update_set(
            site_id=site_id,
            mailnames=[
                m.MailAccountUpdate(
                    name="rec-desk",
                    password=m.PasswordUpdate(value=ACCOUNT_PASSWORDS[1]),
                ),
                m.MailAccountUpdate(name="rec-ghost", description="nobody"),
            ],
        )
    )
    say(
        client.get_info(
            site_id=site_id,
            names=["rec-info", "rec-desk", "rec-ghost"],
            mailbox=True,
            aliases=True,
        )
    )
    with client.batch() as batch:  # one packet, <site> and <mail>
        sites = batch.get_sites(names=[site_name])
        providers = batch.get_available_mail_providers()
    say(sites.value)
    say(providers.value)
    say(client.rename(site_id=site_id, name="rec-desk", new_name="rec-team"))
    say(client.remove(site_id=site_id, names=["rec-info", "rec-team", "rec-ghost"]))
    return answers


def scrubbed(secrets: tuple[str, ...]) -> Callable[[bytes], bytes]:
    """How the recorder writes a request of a client with these login secrets."""
    from plesk_mail.runtime.transport.recording import request_secrets, scrub

    def clean(body: bytes) -> bytes:
        found = scrub(body, [*secrets, *request_secrets(body)])
        assert found is not None, "a recorded request was withheld"
        return found

    return clean


class Replay:
    """An ``httpx.MockTransport`` handler serving a folder's recorded answers
    in order, checking that each request is the recorded one byte for byte
    (once its secrets are replaced as the recorder replaces them)."""

    def __init__(self, folder: Path, clean: Callable[[bytes], bytes]) -> None:
        self.pairs = pairs(folder)
        self.clean = clean
        self.served = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.served < len(self.pairs), "more requests than recorded"
        sent, answer = self.pairs[self.served]
        self.served += 1
        got = self.clean(request.read())
        assert got == sent.read_bytes(), (sent.name, got, sent.read_bytes())
        return httpx.Response(
            200, content=answer.read_bytes(), headers={"Content-Type": "text/xml"}
        )


def pairs(folder: Path) -> list[tuple[Path, Path]]:
    """``(request, response)`` files of a recording folder, in recorded order."""
    found = []
    for request in sorted(folder.glob("*.request.xml")):
        response = request.with_name(request.name.replace(".request.", ".response."))
        assert response.exists(), f"{request.name} has no response"
        found.append((request, response))
    return found


def replay_client(
    folder: Path, protocol: str, password: str = "setup-password"
) -> tuple[Any, Replay]:
    """A client whose server is the recordings of ``folder``, and that server."""
    import plesk_mail

    handler = Replay(folder, scrubbed((password,)))
    client = plesk_mail.connect(
        "recorded.invalid",
        password=password,
        protocol=protocol,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        retry=None,
    )
    return client, handler


def call(client_or_batch: Any, request: Any) -> Any:
    """The client method of a decoded request, called with its fields."""
    from plesk_mail import models

    names = {cls: name for name, (cls, _) in models.OPERATIONS.items()}
    method = getattr(client_or_batch, names[type(request)])
    values = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    for parameter in inspect.signature(method).parameters:
        if parameter.startswith("all_"):  # "every account": an empty list said it
            values[parameter] = not any(
                isinstance(v, list) and v for v in values.values()
            )
    return method(**values)


def record_samples(folder: Path) -> None:
    """Record the session from an emulator, once per protocol version."""
    from tests.emulator.fixtures import new_emulator
    from tests.emulator.store import SiteSpec
    from tests.emulator.tls import make_tls

    with tempfile.TemporaryDirectory() as scratch:
        _record_versions(folder, make_tls(Path(scratch)), new_emulator, SiteSpec)


def _record_versions(folder: Path, tls: Any, new_emulator: Any, spec: Any) -> None:
    import plesk_mail

    for version in plesk_mail.PROTOCOL_VERSIONS:
        emulator = new_emulator(tls, sites=(spec(1, "example.com"),)).start()
        try:
            with plesk_mail.connect(
                "127.0.0.1",
                port=emulator.port,
                password=emulator.password,
                verify=str(tls.ca_file),
                protocol=version,
                record=folder / version,
            ) as client:
                run(client, 1, "example.com")
        finally:
            emulator.stop()
        assert not emulator.response_errors, emulator.response_errors


if __name__ == "__main__":
    from tests.support.paths import GENERATED_DIR

    sys.path.insert(0, str(GENERATED_DIR))
    record_samples(Path(sys.argv[1]))
