"""Realistic packets for the benchmark, and the hand-written lxml baselines.

A get_info response of N mail accounts as Plesk answers ``get_info`` with
``mailbox``, ``mailbox-usage``, ``forwarding`` and ``aliases`` requested, and a
create request of N accounts as a migration sends it. The baselines are the
code a careful person would write with lxml alone: ``fromstring`` plus a
hand-written walk into dicts, and ``SubElement`` + ``tostring``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from lxml import etree


def get_info_response(m: ModuleType, n: int) -> bytes:
    """Response bytes of a get_info for ``n`` accounts, encoded by our codec."""
    results = []
    for i in range(n):
        account = m.MailAccountInfo(
            id=1000 + i,
            name=f"user{i:05d}",
            mailbox=m.MailboxInfo(
                enabled=i % 7 != 0, quota=(1 + i % 4) * 2**30, usage=i * 4096
            ),
            forwarding=m.ForwardingInfo(
                enabled=i % 5 == 0,
                addresses=[f"user{i:05d}@backup.example.net"] if i % 5 == 0 else [],
            ),
            aliases=[f"u{i}", f"user.{i}"][: i % 3],
            user_guid=f"3f2c9a1e-0b4d-4c8e-9a7b-{i:012d}",
            antivirus=m.Antivirus.INOUT if i % 2 else m.Antivirus.OFF,
            outgoing_messages_mbox_limit="default",
            description=f"Account {i} of the sales team",
        )
        results.append(m.GetInfoResult(status=m.ResultStatus.OK, mailname=account))
    reply = m.Reply("get_info", m.GetInfoResponse(results=results), "mail")
    data: bytes = m.encode_response(m.ResponsePacket(replies=[reply]))
    return data


def _flat(element: Any, ints: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Child elements as {tag: text}; booleans and the ``ints`` tags converted."""
    values: dict[str, Any] = {}
    for child in element:
        tag, text = str(child.tag), child.text
        if tag == "enabled":
            values[tag] = text == "true" or text == "1"
        elif tag in ints:
            values[tag] = int(text)
        else:
            values[tag] = text
    return values


def _account(mailname: Any) -> dict[str, Any]:
    account: dict[str, Any] = {"aliases": []}
    for child in mailname:
        tag = child.tag
        if tag == "id":
            account["id"] = int(child.text)
        elif tag == "alias":
            account["aliases"].append(child.text)
        elif tag == "mailbox":
            account["mailbox"] = _flat(child, frozenset({"quota", "usage"}))
        elif tag == "forwarding":
            forwarding = {"addresses": [a.text for a in child.iterchildren("address")]}
            enabled = child.findtext("enabled")
            if enabled is not None:
                forwarding["enabled"] = enabled == "true" or enabled == "1"
            account["forwarding"] = forwarding
        else:
            account[tag] = child.text
    return account


def lxml_dicts(data: bytes) -> list[dict[str, Any]]:
    """lxml parse plus a hand-written, one-pass extraction of the results into dicts.

    What a careful person writes without a generator: no validation, no error
    handling, one loop over each element's children.
    """
    root = etree.fromstring(data)
    results: list[dict[str, Any]] = []
    for get_info in root.iterfind("mail/get_info"):
        for result in get_info.iterchildren("result"):
            item: dict[str, Any] = {}
            for child in result:
                if child.tag == "mailname":
                    item["mailname"] = _account(child)
                else:
                    item[child.tag] = child.text
            results.append(item)
    return results


def new_accounts(m: ModuleType, n: int) -> list[Any]:
    """``n`` accounts as a migration creates them."""
    return [
        m.NewMailAccount(
            name=f"user{i:05d}",
            mailbox=m.Mailbox(enabled=True, quota=(1 + i % 4) * 2**30),
            aliases=[f"u{i}", f"user.{i}"][: i % 3],
            password=m.Password(value=f"Secret-{i:05d}!", type=m.PasswordType.PLAIN),
            antivirus=m.Antivirus.INOUT,
            description=f"Migrated account {i}",
        )
        for i in range(n)
    ]


def create_request(m: ModuleType, accounts: list[Any]) -> Any:
    return m.RequestPacket(operations=[m.CreateRequest(site_id=1, mailnames=accounts)])


def lxml_create(version: str, site_id: int, accounts: list[Any]) -> bytes:
    """The same create request, built by hand with SubElement and tostring."""
    sub = etree.SubElement
    packet = etree.Element("packet", version=version)
    filter_ = sub(sub(sub(packet, "mail"), "create"), "filter")
    sub(filter_, "site-id").text = str(site_id)
    for account in accounts:
        mailname = sub(filter_, "mailname")
        sub(mailname, "name").text = account.name
        mailbox = sub(mailname, "mailbox")
        sub(mailbox, "enabled").text = "true" if account.mailbox.enabled else "false"
        sub(mailbox, "quota").text = str(account.mailbox.quota)
        for alias in account.aliases:
            sub(mailname, "alias").text = alias
        password = sub(mailname, "password")
        sub(password, "value").text = account.password.value
        sub(password, "type").text = account.password.type.value
        sub(mailname, "antivir").text = account.antivirus.value
        sub(mailname, "description").text = account.description
    data: bytes = etree.tostring(packet, xml_declaration=True, encoding="UTF-8")
    return data
