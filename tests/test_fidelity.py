"""The emulator answers as a real Plesk does: the seven differences of issue 20.

Each test names its source, so a reader can tell a real-Plesk fact from an
emulator convenience; where the sources are silent, README's "The emulator"
section says what the emulator does and why. Each test failed on the
emulator before the fix. The client's side of the same facts (an answer
without a version, results that name their accounts, out of order) is at the
end.
"""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from lxml import etree
from plesk_mail.cli import main

from tests.emulator.fixtures import SITE_ID, cli_env, connect_to, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account
from tests.emulator.tls import TestTLS
from tests.support.protocols import VERSIONS, generated_module
from tests.support.xsd import assert_valid

pytestmark = pytest.mark.emulator_only

LATEST = VERSIONS[-1]
GET_INFO = (
    "<mail><get_info><filter><site-id>1</site-id><name>info</name></filter>"
    "<mailbox/></get_info></mail>"
)


def post(
    emulator: Emulator,
    tls: TestTLS,
    body: str | bytes,
    headers: dict[str, str] | None = None,
) -> etree._Element:
    """POST raw bytes over HTTPS as api-php-lib does; the parsed answer."""
    if headers is None:
        headers = {
            "HTTP_AUTH_LOGIN": emulator.login,
            "HTTP_AUTH_PASSWD": emulator.password,
        }
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    data = body.encode() if isinstance(body, str) else body
    response = httpx.post(
        emulator.url,
        content=data,
        headers={"Content-Type": "text/xml", **headers},
        verify=context,
    )
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def system_error(root: etree._Element) -> int:
    assert root.find("system") is not None, etree.tostring(root)
    return int(root.findtext("system/errcode", "0"))


def status(root: etree._Element, path: str) -> list[str]:
    return [str(s) for s in root.xpath(f"{path}/result/status/text()")]


@pytest.fixture
def info(emulator: Emulator) -> Account:
    return emulator.store.add_account(SITE_ID, Account(name="info"))


# -- 1. a packet without a version ----------------------------------------------


def test_a_packet_without_version_is_answered_in_the_newest_version(
    tls: TestTLS,
) -> None:
    # Sources: api-php-lib's Client::getPacket() writes no version unless one is
    # set, so every packet of its tests/MailTest.php goes without one; Plesk
    # 12.5's documentation ("Modifying Mail Account Settings", Samples) answers
    # such an update with <packet version="1.6.7.0">, 12.5's newest protocol.
    emulator = new_emulator(tls, versions=["1.6.6.0", "1.6.7.0"]).start()
    try:
        emulator.store.add_account(SITE_ID, Account(name="admin11"))
        root = post(
            emulator,
            tls,
            "<packet><mail><update><add><filter><site-id>1</site-id><mailname>"
            "<name>admin11</name><forwarding><address>bob@advent.co.uk</address>"
            "</forwarding></mailname></filter></add></update></mail></packet>",
        )
    finally:
        emulator.stop()
    assert root.get("version") == "1.6.7.0"
    assert status(root, "mail/update/add") == ["ok"]
    assert root.xpath("//mailname/name/text()") == ["admin11"]
    assert emulator.store.account(SITE_ID, "admin11").forwarding == [  # type: ignore[union-attr]
        "bob@advent.co.uk"
    ]
    assert not emulator.response_errors


# -- 2. an unknown version, also for get_protos ------------------------------------


def test_an_unknown_version_is_1005_for_get_protos_too(
    emulator: Emulator, tls: TestTLS
) -> None:
    # Source: api-php-lib tests/ApiClientTest.php::testWrongProtocol expects
    # exception code 1005 for <packet version="100.0.0"><server><get_protos/>.
    root = post(
        emulator,
        tls,
        '<packet version="100.0.0"><server><get_protos/></server></packet>',
    )
    assert system_error(root) == 1005
    assert root.get("version") == "100.0.0"  # echoed: see test 7
    assert not emulator.response_errors


# -- 3. short versions ------------------------------------------------------------------


@pytest.mark.parametrize("short", ["1.6", "1.6.5"])
def test_a_short_version_is_accepted(
    emulator: Emulator, tls: TestTLS, info: Account, short: str
) -> None:
    # Source: api-php-lib tests/ApiClientTest.php::testLatestMajorProtocol
    # (version "1.6") and ::testLatestMinorProtocol ("1.6.5") expect status ok.
    # Which schema Plesk answers in is not documented; the emulator's choice
    # (the newest it speaks of that major.minor) is README's.
    protos = post(
        emulator,
        tls,
        f'<packet version="{short}"><server><get_protos/></server></packet>',
    )
    assert status(protos, "server/get_protos") == ["ok"]
    mail = post(emulator, tls, f'<packet version="{short}">{GET_INFO}</packet>')
    assert status(mail, "mail/get_info") == ["ok"]
    assert mail.get("version") == short  # the version as asked, echoed
    assert mail.xpath("//mailname/name/text()") == ["info"]
    assert not emulator.response_errors


# -- 4. several operators in one packet ---------------------------------------------------


def test_get_protos_and_mail_in_one_packet(
    emulator: Emulator, tls: TestTLS, info: Account
) -> None:
    # Source: api-php-lib tests/ApiClientTest.php::testMultiRequest sends
    # <server><get_protos/></server> with another operation in one versionless
    # packet and gets both answers; Plesk takes several operators in one packet
    # since protocol 1.4.0.0. The exact packet of issue 20:
    root = post(
        emulator, tls, f"<packet><server><get_protos/></server>{GET_INFO}</packet>"
    )
    assert [child.tag for child in root] == ["server", "mail"]
    assert status(root, "server/get_protos") == ["ok"]
    assert status(root, "mail/get_info") == ["ok"]
    assert root.xpath("//proto/text()") == VERSIONS[::-1]
    assert not emulator.response_errors


# -- 5. per-item errors name their account ------------------------------------------------------


def test_per_item_errors_carry_the_account_name(
    emulator: Emulator, tls: TestTLS, info: Account
) -> None:
    # Source: pmill/php-plesk issue 46 quotes a real Plesk's update answer:
    # <result><status>error</status><errcode>1023</errcode><errtext>...
    # </errtext><mailname><name>user1</name></mailname></result>. The schema
    # allows the same on create, get_info and remove errors; the emulator
    # names the account there too (README).
    filter_ = "<filter><site-id>1</site-id>{}</filter>"
    body = (
        f'<packet version="{LATEST}"><mail>'
        "<create>"
        + filter_.format("<mailname><name>info</name></mailname>")
        + "</create><update><add>"
        + filter_.format("<mailname><name>ghost</name><alias>g</alias></mailname>")
        + "</add></update><get_info>"
        + filter_.format("<name>ghost</name>")
        + "</get_info><remove>"
        + filter_.format("<name>ghost</name>")
        + "</remove></mail></packet>"
    )
    root = post(emulator, tls, body)
    for path, code in [
        ("mail/create", "1007"),
        ("mail/update/add", "1013"),
        ("mail/get_info", "1013"),
        ("mail/remove", "1013"),
    ]:
        [result] = root.xpath(f"{path}/result")
        assert result.findtext("status") == "error"
        assert result.findtext("errcode") == code
        assert result.findtext("mailname/name") in ("info", "ghost"), path
    assert not emulator.response_errors


# -- 6. get_info: an empty <password/>, quota -1 for unlimited ------------------------------------


def test_get_info_answers_an_empty_password_and_quota_minus_one(
    emulator: Emulator, tls: TestTLS
) -> None:
    # Source: Plesk 12.5's documentation, "Getting Mail Account Settings",
    # Samples: every <mailname> of the answer holds <password/>, and a mailbox
    # without a limit <quota>-1</quota>.
    emulator.store.add_account(
        SITE_ID, Account(name="admin", mailbox_enabled=True, password="Mailbox-1")
    )
    emulator.store.add_account(SITE_ID, Account(name="techdept", quota=1024000))
    root = post(
        emulator,
        tls,
        f'<packet version="{LATEST}"><mail><get_info><filter><site-id>1</site-id>'
        "</filter><mailbox/></get_info></mail></packet>",
    )
    names = root.xpath("//mailname")
    assert [n.findtext("name") for n in names] == ["admin", "techdept"]
    for mailname in names:
        [password] = mailname.findall("password")
        assert len(password) == 0 and not (password.text or "").strip()
    assert root.xpath("//mailname/mailbox/quota/text()") == ["-1", "1024000"]
    assert b"Mailbox-1" not in etree.tostring(root)
    assert not emulator.response_errors


def test_the_client_decodes_them_and_still_masks_a_password(
    emulator: Emulator, tls: TestTLS
) -> None:
    # The same answers through the client: <password/> is an empty
    # PasswordInfo, -1 a number; a server that did send a password value
    # (the schema allows <password><value>) still never shows it.
    m = generated_module(LATEST)
    emulator.store.add_account(SITE_ID, Account(name="admin", mailbox_enabled=True))
    with connect_to(emulator, tls) as client:
        [account] = client.get_info(site_id=SITE_ID, mailbox=True).accounts()
    assert account.password == m.PasswordInfo() and account.password.value is None
    assert account.mailbox == m.MailboxInfo(enabled=True, quota=-1)

    emulator.scripted.append(
        RawAnswer(
            f'<packet version="{LATEST}"><mail><get_info><result><status>ok</status>'
            "<mailname><id>1</id><name>admin</name><password><value>Leaked-Secret-9"
            "</value><type>plain</type></password></mailname></result></get_info>"
            "</mail></packet>".encode()
        )
    )
    result = CliRunner().invoke(
        main,
        ["--json", "get-info", "--site-id", "1"],
        env=cli_env(emulator, tls),
    )
    assert result.exit_code == 0, result.output
    assert "Leaked-Secret-9" not in result.output
    [shown] = json.loads(result.stdout)["results"]
    assert shown["mailname"]["password"] == {"value": "***", "type": "plain"}


# -- 7. system errors echo the version; the order of the checks ---------------------------


@pytest.mark.parametrize(
    ("packet", "echoed"),
    [
        (f'<packet version="{LATEST}"><mail><enable/></mail></packet>', LATEST),
        ('<packet version="1.6"><mail><enable/></mail></packet>', "1.6"),
        ('<packet version="9.9.9.9"><mail><enable/></mail></packet>', "9.9.9.9"),
        ("<packet><mail><enable/></mail></packet>", None),
        ("this is not XML", None),
    ],
)
def test_system_errors_echo_the_version_asked(
    emulator: Emulator, tls: TestTLS, packet: str, echoed: str | None
) -> None:
    # Sources: Plesk 9.0's "Handling Errors" answers a 1005 in the version asked
    # (<packet version="1.40.2.0"><system>...), Plesk 12.5's with a bare
    # <packet>: the emulator echoes the request's attribute, or writes none.
    root = post(emulator, tls, packet)
    assert system_error(root) in (1005, 1014)
    assert root.get("version") == echoed
    assert not emulator.response_errors  # the bare packet validates too


@pytest.mark.parametrize(
    ("version", "password", "code"),
    [
        ("100.0.0", "wrong", 1005),  # the version first, as the page lists it
        ("1.6", "wrong", 1001),  # a version it speaks: then the login
        (None, "wrong", 1001),  # api-php-lib testInvalidCredentials: no version
        ("100.0.0", None, 1005),
    ],
)
def test_the_version_is_checked_before_the_login(
    emulator: Emulator,
    tls: TestTLS,
    version: str | None,
    password: str | None,
    code: int,
) -> None:
    # Source: Plesk's "Handling Errors" page (Obsidian) lists the check-ups in
    # order: the HTTP-POST header, "whether the XML API protocol version
    # specified is supported", then "the authentication method", ..., then
    # "the packet validity"; a failed one stops the rest. No source shows a
    # packet failing two at once, so the emulator follows the page (README).
    attribute = f' version="{version}"' if version else ""
    root = post(
        emulator,
        tls,
        f"<packet{attribute}><server><get_protos/></server></packet>",
        {
            "HTTP_AUTH_LOGIN": emulator.login,
            "HTTP_AUTH_PASSWD": password or emulator.password,
        },
    )
    assert system_error(root) == code
    assert root.get("version") == version


# -- the client's side --------------------------------------------------------------------------


def test_results_that_name_their_accounts_out_of_order_match_errors_included(
    tls: TestTLS,
) -> None:
    """The emulator answers every operation's results last item first; each
    names its account (errors too), so every result lands on its own item."""
    m = generated_module(LATEST)
    emulator = new_emulator(tls, result_order="reversed").start()
    try:
        emulator.store.add_account(SITE_ID, Account(name="taken"))
        with connect_to(emulator, tls) as client:
            created = client.create(
                site_id=SITE_ID,
                mailnames=[
                    m.NewMailAccount(name=name) for name in ("anna", "taken", "carl")
                ],
            )
            added = client.update_add(
                site_id=SITE_ID,
                mailnames=[
                    m.MailAccountListChange(name=name, aliases=[f"{name}-alias"])
                    for name in ("ghost", "anna", "phantom", "carl")
                ],
            )
        answered = etree.fromstring(emulator.exchanges[0].answer)
    finally:
        emulator.stop()
    # The wire order really was reversed ...
    assert answered.xpath("//create/result/mailname/name/text()") == [
        "carl",
        "taken",
        "anna",
    ]
    # ... and the results come back in item order, each on its item.
    assert [(r.mailname.name, r.errcode) for r in created] == [
        ("anna", None),
        ("taken", 1007),
        ("carl", None),
    ]
    assert [(r.mailname.name, r.errcode) for r in added] == [
        ("ghost", 1013),
        ("anna", None),
        ("phantom", 1013),
        ("carl", None),
    ]
    assert emulator.store.account(SITE_ID, "anna").aliases == ["anna-alias"]  # type: ignore[union-attr]
    assert not emulator.response_errors


def test_the_cli_matches_rows_by_name_when_answers_come_back_reversed(
    tls: TestTLS, tmp_path: Any
) -> None:
    emulator = new_emulator(tls, result_order="reversed").start()
    try:
        emulator.store.add_account(SITE_ID, Account(name="taken"))
        rows = tmp_path / "rows.csv"
        rows.write_text("name\nanna\ntaken\ncarl\n")
        result = CliRunner().invoke(
            main,
            ["--json", "create", "--site-id", "1", "--from-file", str(rows)],
            env=cli_env(emulator, tls),
        )
    finally:
        emulator.stop()
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert [
        (r["row"], r["mailname"]["name"], r.get("errcode")) for r in document["results"]
    ] == [(2, "anna", None), (3, "taken", 1007), (4, "carl", None)]


def test_an_answer_without_version_is_decoded_as_asked_without_a_warning(
    emulator: Emulator, tls: TestTLS, caplog: pytest.LogCaptureFixture
) -> None:
    """Plesk's 12.5 documentation shows answers without a version: nothing
    says they are another version's, so they are decoded and checked as the
    version asked for, and only a debug line says so."""
    emulator.scripted.append(
        RawAnswer(
            b"<packet><mail><enable><result><status>ok</status></result></enable>"
            b"</mail></packet>"
        )
    )
    with (
        caplog.at_level(logging.DEBUG, "plesk_mail"),
        connect_to(emulator, tls, protocol="1.6.7.0") as client,
    ):
        assert client.enable(site_id=SITE_ID).ok
    assert "names no protocol version; decoded as 1.6.7.0" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_short_version_answer_is_logged_as_another_version(
    emulator: Emulator, tls: TestTLS, caplog: pytest.LogCaptureFixture
) -> None:
    """``1.6`` is not the ``1.6.9.1`` asked for: a warning, decoded as asked."""
    emulator.scripted.append(
        RawAnswer(
            b'<packet version="1.6"><mail><enable><result><status>ok</status>'
            b"</result></enable></mail></packet>"
        )
    )
    with connect_to(emulator, tls) as client:
        assert client.enable(site_id=SITE_ID).ok
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"mail.enable x1: asked in protocol {LATEST}, answered in '1.6'; "
        f"decoded and checked as {LATEST}"
    ]


def test_every_answer_of_the_fidelity_cases_validates(tls: TestTLS) -> None:
    """The emulator's new answers (versionless, echoed, named errors,
    ``<password/>``) against the pinned schemas of their versions."""
    emulator = new_emulator(tls).start()
    try:
        emulator.store.add_account(SITE_ID, Account(name="info"))
        for body in (
            f"<packet>{GET_INFO}</packet>",
            f'<packet version="1.6">{GET_INFO}</packet>',
            f'<packet version="{LATEST}"><mail><remove><filter><site-id>1</site-id>'
            "<name>ghost</name></filter></remove></mail></packet>",
        ):
            post(emulator, tls, body)
    finally:
        emulator.stop()
    for exchange in emulator.exchanges:
        assert_valid(LATEST, "response", exchange.answer)
