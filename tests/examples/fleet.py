"""One program, many Plesk versions: the same typed code for every server.

Usage: ``python fleet.py HOST:PORT [HOST:PORT ...]``; the login and password
come from ``PLESK_LOGIN`` and ``PLESK_PASSWORD``, a CA file (self-signed Plesk)
from ``PLESK_CA_FILE``. Each server negotiates its own protocol version; the
autoresponder's end date is set only where the connection has it.
"""

from __future__ import annotations

import datetime
import os
import sys

import plesk_mail
from plesk_mail import Autoresponder, Mailbox, NewMailAccount

SITE_ID = 1


def summarize(server: str) -> str:
    host, _, port = server.rpartition(":")
    with plesk_mail.connect(
        host,
        port=int(port),
        login=os.environ.get("PLESK_LOGIN", "admin"),
        password=os.environ["PLESK_PASSWORD"],
        verify=os.environ.get("PLESK_CA_FILE", True),
        protocol="auto",
    ) as client:
        before = client.get_info(site_id=SITE_ID).accounts()
        dated = client.supports(Autoresponder, "end_date")
        responder = Autoresponder(
            enabled=True,
            subject="Away",
            text="Back in February.",
            end_date=datetime.date(2027, 1, 31) if dated else None,
        )
        account = NewMailAccount(
            name="away", mailbox=Mailbox(enabled=True), autoresponder=responder
        )
        [created] = client.create(site_id=SITE_ID, mailnames=[account]).accounts()
        release = ", ".join(plesk_mail.PLESK_RELEASES[client.protocol_version])
        return (
            f"{server}: protocol {client.protocol_version} (Plesk {release}), "
            f"{len(before)} account(s) before, created {created.name} "
            f"(id {created.id}), end date {'set' if dated else 'not supported'}"
        )


def main(servers: list[str]) -> int:
    failed = 0
    for server in servers:
        try:
            print(summarize(server))
        except plesk_mail.PleskError as exc:
            print(f"{server}: failed: {exc}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
