"""The emulator itself: its SQLite store, its protocol front, its semantics.

If these pass, a client tested against the emulator meets the same refusals
Plesk would give: packet-level ``<system>`` errors, schema validation of
every request, per-item errors, and answers that validate against the
version's ``mail_output.xsd``.
"""

from __future__ import annotations

import datetime
import os
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import plesk_mail
import pytest
from lxml import etree

from tests.emulator import mail
from tests.emulator.fixtures import SITE_ID, connect_to, new_emulator
from tests.emulator.server import AGENT_PATH, Emulator
from tests.emulator.store import Account, Attachment, Autoresponder, NameTaken, Store
from tests.emulator.tls import TestTLS
from tests.support.paths import GENERATED_DIR, PROJECT_DIR
from tests.support.protocols import VERSIONS, generated_module

LATEST = VERSIONS[-1]
OTHER_SITE = 2


def post(
    emulator: Emulator, tls: TestTLS, body: bytes, headers: dict[str, str] | None = None
) -> etree._Element:
    """POST raw bytes over HTTPS as a Plesk client would; the parsed answer."""
    if headers is None:
        headers = {
            "HTTP_AUTH_LOGIN": emulator.login,
            "HTTP_AUTH_PASSWD": emulator.password,
        }
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    response = httpx.post(
        emulator.url,
        content=body,
        headers={"Content-Type": "text/xml", **headers},
        verify=context,
    )
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def system_error(root: etree._Element) -> tuple[int, str]:
    assert root.find("mail") is None
    return int(root.findtext("system/errcode", "0")), root.findtext(
        "system/errtext", ""
    )


def mail_packet(body: str, version: str = LATEST) -> bytes:
    return f'<packet version="{version}"><mail>{body}</mail></packet>'.encode()


def connect(emulator: Emulator, tls: TestTLS, version: str = LATEST) -> Any:
    return connect_to(emulator, tls, protocol=version)


# -- the store -------------------------------------------------------------------


def full_account(name: str = "info") -> Account:
    return Account(
        name=name,
        cp_access=True,
        mailbox_enabled=False,
        quota=2**30,
        forwarding_enabled=True,
        forwarding=["a@example.com", "b@example.com"],
        aliases=["contact", "hello"],
        autoresponder=Autoresponder(
            enabled=True,
            subject="Away",
            content_type="text/plain",
            text="Back soon",
            attachments=[Attachment(tmp_name="t1", file_name="cv.pdf")],
            end_date="2026-12-31",
        ),
        password="Mailbox-Secret-1",
        password_type="plain",
        antivirus="inout",
        outgoing_limit="100",
        description="Front desk",
    )


def test_store_keeps_every_setting_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "plesk.sqlite"
    store = Store(path)
    store.add_site(SITE_ID)
    stored = store.add_account(SITE_ID, full_account())
    assert stored.id > 0 and stored.site_id == SITE_ID and stored.user_guid
    store.set_prefs(SITE_ID, {"greylisting": False})
    store.set_mail_enabled(SITE_ID, False)
    store.close()

    reopened = Store(path)
    assert reopened.accounts(SITE_ID) == {"info": stored}
    site = reopened.site(SITE_ID)
    assert site is not None and site.mail_enabled is False
    assert site.prefs == {"greylisting": False}
    reopened.close()


def test_store_refuses_duplicates_case_insensitively() -> None:
    store = Store()
    store.add_site(SITE_ID)
    store.add_site(OTHER_SITE)
    store.add_account(SITE_ID, Account(name="info"))
    with pytest.raises(NameTaken, match=r"^INFO$"):
        store.add_account(SITE_ID, Account(name="INFO"))
    store.add_account(OTHER_SITE, Account(name="info"))  # another site: fine
    assert store.count_accounts() == 2


def test_store_transaction_is_all_or_nothing() -> None:
    store = Store()
    store.add_site(SITE_ID)
    with pytest.raises(RuntimeError, match="half-way"), store.transaction():
        store.add_account(SITE_ID, Account(name="a"))
        store.add_account(SITE_ID, Account(name="b"))
        raise RuntimeError("half-way")
    assert store.accounts(SITE_ID) == {}
    with store.transaction():
        store.add_account(SITE_ID, Account(name="a"))
    assert list(store.accounts(SITE_ID)) == ["a"]


def test_store_lets_exactly_one_of_many_threads_take_a_name() -> None:
    store = Store()
    store.add_site(SITE_ID)
    barrier = threading.Barrier(16)
    winners: list[int] = []

    def take(index: int) -> None:
        barrier.wait()
        try:
            store.add_account(SITE_ID, Account(name="shared"))
            winners.append(index)
        except NameTaken:
            pass

    threads = [threading.Thread(target=take, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert store.count_accounts() == 1


def test_store_never_shows_a_password() -> None:
    assert "Mailbox-Secret-1" not in repr(full_account())


# -- the protocol front ------------------------------------------------------------


def test_get_protos_lists_every_version_newest_first(
    emulator: Emulator, tls: TestTLS
) -> None:
    root = post(emulator, tls, b"<packet><server><get_protos/></server></packet>")
    assert root.get("version") == LATEST
    result = root.find("server/get_protos/result")
    assert result is not None and result.findtext("status") == "ok"
    assert [p.text for p in result.iterfind("protos/proto")] == VERSIONS[::-1]
    assert emulator.responses_checked == 1 and not emulator.response_errors


def test_get_protos_with_a_version_and_a_configured_list(tls: TestTLS) -> None:
    emulator = new_emulator(tls, protos=["1.6.9.1", "1.6.8.0"]).start()
    try:
        root = post(
            emulator,
            tls,
            b'<packet version="1.6.6.0"><server><get_protos/></server></packet>',
        )
    finally:
        emulator.stop()
    assert root.get("version") == "1.6.6.0"
    assert root.xpath("//proto/text()") == ["1.6.9.1", "1.6.8.0"]
    assert not emulator.response_errors and emulator.responses_checked == 1


@pytest.mark.parametrize(
    ("body", "headers", "code", "text"),
    [
        pytest.param(
            b"<packet><server><get_protos/></server></packet>",
            {"HTTP_AUTH_LOGIN": "admin", "HTTP_AUTH_PASSWD": "wrong"},
            1001,
            "Authentication failed",
            id="get-protos-needs-login",
        ),
        pytest.param(
            b"<packet><server><get_protos/><reboot/></server></packet>",
            None,
            1014,
            "reboot",
            id="get-protos-with-more",
        ),
        pytest.param(
            mail_packet("<enable><site-id>1</site-id></enable>"),
            {"KEY": "not-the-key"},
            11003,
            "Secret key",
            id="bad-secret-key",
        ),
        pytest.param(
            mail_packet("<enable><site-id>1</site-id></enable>", "1.5.0.0"),
            None,
            1005,
            "1.5.0.0",
            id="unknown-version",
        ),
        pytest.param(b"this is not XML", None, 1014, "Parser error", id="not-xml"),
        pytest.param(
            mail_packet("<rename><name>a</name><site-id>1</site-id></rename>"),
            None,
            1014,
            "site-id",
            id="out-of-order",
        ),
        pytest.param(
            mail_packet("<enable><site-id>0</site-id></enable>"),
            None,
            1014,
            "site-id",
            id="site-id-zero",
        ),
        pytest.param(
            mail_packet(
                "<set_prefs><filter/><prefs><webmail-certificate>c</webmail-certificate>"
                "</prefs></set_prefs>",
                "1.6.7.0",
            ),
            None,
            1014,
            "webmail-certificate",
            id="newer-element-on-1.6.7.0",
        ),
        pytest.param(
            b'<packet version="1.6.9.1"><dns><get_rec/></dns></packet>',
            None,
            1014,
            "dns",
            id="other-operator",
        ),
    ],
)
def test_packet_level_refusals(
    emulator: Emulator,
    tls: TestTLS,
    body: bytes,
    headers: dict[str, str] | None,
    code: int,
    text: str,
) -> None:
    errcode, errtext = system_error(post(emulator, tls, body, headers))
    assert (errcode, text in errtext) == (code, True), errtext
    assert emulator.store.accounts(SITE_ID) == {}


def test_version_specific_element_is_accepted_where_it_exists(
    emulator: Emulator, tls: TestTLS
) -> None:
    body = mail_packet(
        "<set_prefs><filter><site-id>1</site-id></filter><prefs>"
        "<webmail-certificate>cert-1</webmail-certificate></prefs></set_prefs>"
        "<get_prefs><filter><site-id>1</site-id></filter></get_prefs>",
        "1.6.8.0",
    )
    root = post(emulator, tls, body)
    assert root.xpath("//set_prefs/result/status/text()") == ["ok"]
    assert root.xpath("//get_prefs//webmail-certificate/text()") == ["cert-1"]
    older = post(
        emulator,
        tls,
        mail_packet(
            "<get_prefs><filter><site-id>1</site-id></filter></get_prefs>", "1.6.7.0"
        ),
    )
    assert older.xpath("//webmail-certificate") == []  # 1.6.7.0 has no such element


def test_only_post_to_the_agent(emulator: Emulator, tls: TestTLS) -> None:
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    with httpx.Client(verify=context) as client:
        got = client.get(emulator.url)
        other = client.post(emulator.url.replace(AGENT_PATH, "/api/v2/"), content=b"")
    assert got.status_code == 405 and got.headers["Allow"] == "POST"
    assert other.status_code == 404


def test_an_invalid_answer_is_a_loud_emulator_bug(
    tls: TestTLS, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = generated_module(LATEST)
    # <enable> needs at least one <result>: this answer breaks mail_output.xsd.
    monkeypatch.setattr(
        mail.MailOperator, "enable", lambda self, request: m.EnableResponse(results=[])
    )
    emulator = new_emulator(tls).start()
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    try:
        response = httpx.post(
            emulator.url,
            content=mail_packet("<enable><site-id>1</site-id></enable>"),
            headers={"KEY": emulator.secret_key},
            verify=context,
        )
    finally:
        emulator.stop()
    assert response.status_code == 500
    assert "does not validate" in response.text
    assert emulator.response_errors and "result" in emulator.response_errors[0]


def test_an_operation_that_breaks_half_way_changes_nothing(
    tls: TestTLS, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = generated_module(LATEST)
    emulator = new_emulator(tls).start()
    for name in ("a", "b"):
        emulator.store.add_account(SITE_ID, Account(name=name))
    real = Store.save_account

    def save_account(store: Store, account: Account) -> None:
        if account.name == "b":
            raise RuntimeError("disk on fire")
        real(store, account)

    monkeypatch.setattr(Store, "save_account", save_account)
    try:
        with connect(emulator, tls) as client, pytest.raises(plesk_mail.ResponseError):
            client.update_set(
                site_id=SITE_ID,
                mailnames=[
                    m.MailAccountUpdate(name=n, description="changed") for n in "ab"
                ],
            )
    finally:
        emulator.stop()
    assert "disk on fire" in emulator.response_errors[0]
    account = emulator.store.account(SITE_ID, "a")
    assert account is not None and account.description is None  # rolled back


# -- semantics, through the generated client ------------------------------------------


@pytest.fixture
def two_sites(emulator: Emulator) -> Emulator:
    emulator.store.add_site(OTHER_SITE)
    return emulator


def test_unknown_site_is_1013_for_every_operation(
    emulator: Emulator, tls: TestTLS
) -> None:
    m = generated_module(LATEST)
    ghost = 99
    with connect(emulator, tls) as client:
        answers = [
            *client.create(site_id=ghost, mailnames=[m.NewMailAccount(name="a")]),
            *client.update_add(
                site_id=ghost, mailnames=[m.MailAccountListChange(name="a")]
            ),
            *client.update_set(
                site_id=ghost, mailnames=[m.MailAccountUpdate(name="a")]
            ),
            *client.get_info(site_id=ghost),
            *client.remove(site_id=ghost, all_accounts=True),
            *client.enable(site_id=ghost),
            *client.disable(site_id=ghost),
            *client.set_prefs(
                site_ids=[ghost], prefs=m.MailPreferences(greylisting=True)
            ),
            *client.get_prefs(site_ids=[ghost]),
            *client.rename(site_id=ghost, name="a", new_name="b"),
        ]
    assert [a.errcode for a in answers] == [1013] * len(answers)
    assert emulator.store.count_accounts() == 0


def test_update_add_remove_set_on_every_list_setting(
    emulator: Emulator, tls: TestTLS
) -> None:
    m = generated_module(LATEST)
    attachment = m.AutoresponderAttachment(tmp_name="t1", file_name="a.pdf")
    other = m.AutoresponderAttachment(tmp_name="t2", file_name="b.pdf")
    with connect(emulator, tls) as client:
        client.create(
            site_id=SITE_ID,
            mailnames=[
                m.NewMailAccount(
                    name="info",
                    aliases=["a1"],
                    forwarding=m.Forwarding(enabled=True, addresses=["f1@x.org"]),
                    autoresponder=m.Autoresponder(
                        subject="Away", attachments=[attachment]
                    ),
                )
            ],
        ).raise_for_errors()
        client.update_add(
            site_id=SITE_ID,
            mailnames=[
                m.MailAccountListChange(
                    name="info",
                    aliases=["a2", "a1"],
                    forwarding=m.ForwardingListChange(addresses=["f2@x.org"]),
                    autoresponder=m.Autoresponder(attachments=[other], text="Later"),
                )
            ],
        ).raise_for_errors()
        added = emulator.store.account(SITE_ID, "info")
        client.update_remove(
            site_id=SITE_ID,
            mailnames=[
                m.MailAccountListChange(
                    name="info",
                    aliases=["a1"],
                    forwarding=m.ForwardingListChange(
                        addresses=["f1@x.org", "f2@x.org"]
                    ),
                    autoresponder=m.Autoresponder(attachments=[attachment]),
                )
            ],
        ).raise_for_errors()
        removed = emulator.store.account(SITE_ID, "info")
        client.update_set(
            site_id=SITE_ID,
            mailnames=[
                m.MailAccountUpdate(
                    name="info",
                    aliases=["z1", "z2"],
                    mailbox=m.MailboxUpdate(enabled=False, quota=1000),
                    forwarding=m.ForwardingUpdate(enabled=True, addresses=["s@x.org"]),
                    autoresponder=m.Autoresponder(
                        enabled=True, end_date=datetime.date(2027, 1, 31)
                    ),
                    password=m.PasswordUpdate(
                        value="New-Secret-2", type=m.PasswordType.PLAIN
                    ),
                    antivirus=m.Antivirus.IN,
                    outgoing_messages_mbox_limit="50",
                    description="set",
                    cp_access=True,
                )
            ],
        ).raise_for_errors()
        missing = client.update_add(
            site_id=SITE_ID, mailnames=[m.MailAccountListChange(name="nobody")]
        )
    assert added is not None and removed is not None
    assert added.aliases == ["a1", "a2"]
    assert added.forwarding == ["f1@x.org", "f2@x.org"] and added.forwarding_enabled
    assert added.autoresponder is not None
    assert [a.tmp_name for a in added.autoresponder.attachments] == ["t1", "t2"]
    assert (added.autoresponder.subject, added.autoresponder.text) == ("Away", "Later")
    assert removed.aliases == ["a2"]
    assert removed.forwarding == [] and not removed.forwarding_enabled
    assert removed.autoresponder is not None
    assert [a.tmp_name for a in removed.autoresponder.attachments] == ["t2"]
    final = emulator.store.account(SITE_ID, "info")
    assert final is not None and final.autoresponder is not None
    assert final.aliases == ["z1", "z2"]
    assert (final.mailbox_enabled, final.quota) == (False, 1000)
    assert (final.forwarding_enabled, final.forwarding) == (True, ["s@x.org"])
    assert (final.autoresponder.enabled, final.autoresponder.end_date) == (
        True,
        "2027-01-31",
    )
    assert final.autoresponder.subject == "Away"  # not given: kept
    assert (final.password, final.password_type) == ("New-Secret-2", "plain")
    assert (final.antivirus, final.outgoing_limit, final.description) == (
        "in",
        "50",
        "set",
    )
    assert final.cp_access is True
    assert missing[0].errcode == 1013


def test_get_info_of_a_site_without_accounts_is_ok_and_empty(
    emulator: Emulator, tls: TestTLS
) -> None:
    """As real Plesk answers (api-php-lib's ``testGetAllWithoutMailnames``):
    one ``ok`` result without ``<mailname>``, not an error."""
    with connect(emulator, tls) as client:
        results = client.get_info(site_id=SITE_ID)
        assert results.ok and len(results) == 1 and results[0].mailname is None
        assert results.accounts() == []
        client.create(
            site_id=SITE_ID, mailnames=[plesk_mail.NewMailAccount(name="a")]
        ).raise_for_errors()
        assert [a.name for a in client.get_info(site_id=SITE_ID).accounts()] == ["a"]
        missing = client.get_info(site_id=SITE_ID, names=["a", "ghost"])
        with pytest.raises(plesk_mail.ItemErrors, match="#1: error 1013"):
            missing.accounts()
    assert b"<mailname>" not in emulator.exchanges[0].answer


def test_get_info_honours_the_flags(emulator: Emulator, tls: TestTLS) -> None:
    m = generated_module(LATEST)
    emulator.store.add_account(SITE_ID, full_account("info"))
    emulator.store.add_account(SITE_ID, Account(name="bare"))
    with connect(emulator, tls) as client:
        plain = client.get_info(site_id=SITE_ID, names=["info"])
        everything = client.get_info(
            site_id=SITE_ID,
            mailbox=True,
            mailbox_usage=True,
            forwarding=True,
            aliases=True,
            autoresponder=True,
        )
    basic = plain[0].mailname
    assert (basic.name, basic.description, basic.antivirus) == (
        "info",
        "Front desk",
        m.Antivirus.INOUT,
    )
    assert basic.mailbox is None and basic.forwarding is None
    assert basic.aliases == [] and basic.autoresponder is None
    # An empty <password/>, as Plesk 12.5's get_info sample shows: never the password.
    assert basic.password == m.PasswordInfo() and basic.password.value is None
    assert [r.mailname.name for r in everything] == ["info", "bare"]  # creation order
    info = everything[0].mailname
    assert info.mailbox == m.MailboxInfo(enabled=False, quota=2**30, usage=0)
    assert info.forwarding == m.ForwardingInfo(
        enabled=True, addresses=["a@example.com", "b@example.com"]
    )
    assert info.aliases == ["contact", "hello"]
    assert info.autoresponder.end_date == datetime.date(2026, 12, 31)
    assert info.autoresponder.attachments == [
        m.AutoresponderAttachment(tmp_name="t1", file_name="cv.pdf")
    ]


def test_remove_without_names_empties_one_site_only(
    two_sites: Emulator, tls: TestTLS
) -> None:
    m = generated_module(LATEST)
    with connect(two_sites, tls) as client:
        for site in (SITE_ID, OTHER_SITE):
            client.create(
                site_id=site, mailnames=[m.NewMailAccount(name=n) for n in "abc"]
            ).raise_for_errors()
        gone = client.remove(site_id=SITE_ID, all_accounts=True)
        again = client.remove(site_id=SITE_ID, all_accounts=True)
    assert [r.mailname.name for r in gone] == ["a", "b", "c"] and gone.ok
    assert again.ok and again[0].mailname is None
    assert two_sites.store.accounts(SITE_ID) == {}
    assert list(two_sites.store.accounts(OTHER_SITE)) == ["a", "b", "c"]


def test_rename_refuses_unknown_and_taken_names(
    emulator: Emulator, tls: TestTLS
) -> None:
    m = generated_module(LATEST)
    with connect(emulator, tls) as client:
        client.create(
            site_id=SITE_ID, mailnames=[m.NewMailAccount(name=n) for n in ("a", "b")]
        ).raise_for_errors()
        [unknown] = client.rename(site_id=SITE_ID, name="ghost", new_name="c")
        [taken] = client.rename(site_id=SITE_ID, name="a", new_name="B")
        [renamed] = client.rename(site_id=SITE_ID, name="a", new_name="c")
    assert (unknown.errcode, taken.errcode, renamed.ok) == (1013, 1007, True)
    assert list(emulator.store.accounts(SITE_ID)) == ["c", "b"]


def test_mail_service_and_preferences_per_site(
    two_sites: Emulator, tls: TestTLS
) -> None:
    m = generated_module(LATEST)
    with connect(two_sites, tls) as client:
        assert client.disable(site_id=SITE_ID).ok
        before = client.get_prefs()
        assert client.set_prefs(
            site_ids=[OTHER_SITE],
            prefs=m.MailPreferences(
                nonexistent_user=m.NonexistentUserPolicy(forward="catch@x.org"),
                greylisting=False,
                ip_addresses=["192.0.2.1"],
            ),
        ).ok
        everywhere = client.set_prefs(
            prefs=m.MailPreferences(spam_protect_sign=True), all_sites=True
        )
        nothing = client.set_prefs(prefs=m.MailPreferences(none=True), all_sites=True)
        bad_webmail = client.set_prefs(
            site_ids=[SITE_ID], prefs=m.MailPreferences(webmail="squirrel")
        )
        after = client.get_prefs(site_ids=[SITE_ID, OTHER_SITE])
    assert [(r.site_id, r.prefs.mailservice) for r in before] == [
        (SITE_ID, False),
        (OTHER_SITE, True),
    ]
    assert [r.site_id for r in everywhere] == [SITE_ID, OTHER_SITE] and nothing.ok
    assert bad_webmail[0].errcode == 1050
    first, second = (r.prefs for r in after)
    assert first.greylisting is True and first.spam_protect_sign is True
    assert first.webmail == "roundcube"  # the refused change left nothing behind
    assert second.nonexistent_user == m.NonexistentUserPolicy(forward="catch@x.org")
    assert (second.greylisting, second.ip_addresses) == (False, ["192.0.2.1"])
    assert second.spam_protect_sign is True


# -- standalone ---------------------------------------------------------------------------


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Any]:
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--port", "0", *args],
            cwd=PROJECT_DIR,
            env={
                **os.environ,
                "PYTHONPATH": f"{PROJECT_DIR}{os.pathsep}{GENERATED_DIR}",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        exported = next((line for line in lines if line.startswith("export ")), "")
        assert exported, "".join(lines) + (
            process.stderr.read() if process.stderr else ""
        )
        settings = dict(word.split("=", 1) for word in exported.split()[1:])
        settings["banner"] = "".join(lines)
        return process, settings

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_standalone_prints_how_to_connect_and_keeps_its_database(
    standalone: Any, tmp_path: Path
) -> None:
    database = tmp_path / "state.sqlite"
    args = ["--db", str(database), "--site", "5", "--ca-dir", str(tmp_path / "ca")]
    process, env = standalone(*args, "--protos", "1.6.9.1,1.6.8.0")
    assert "https://127.0.0.1:" in env["banner"] and AGENT_PATH in env["banner"]
    assert "protocols: 1.6.9.1, 1.6.8.0; sites: 5=site5.example;" in env["banner"]
    assert env["PLESK_LOGIN"] == "admin" and env["PLESK_PASSWORD"]

    def client(protocol: str) -> Any:
        return plesk_mail.connect(
            "127.0.0.1",
            login=env["PLESK_LOGIN"],
            password=env["PLESK_PASSWORD"],
            port=int(env["PLESK_PORT"]),
            verify=env["PLESK_CA_FILE"],
            protocol=protocol,
            timeout=10,
        )

    m = generated_module(LATEST)
    with client(LATEST) as c:
        assert c.create(site_id=5, mailnames=[m.NewMailAccount(name="kept")]).ok
    with (
        client("1.6.6.0") as c,
        pytest.raises(plesk_mail.ProtocolVersionError, match=r"^Plesk error 1005: "),
    ):
        c.enable(site_id=5)  # not among --protos
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0

    _, env = standalone(*args)
    with client(LATEST) as c:
        info = c.get_info(site_id=5)
    assert [r.mailname.name for r in info] == ["kept"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--protos", "1.6.9.1,9.9"], 2, "unknown protocol version(s) 9.9"),
        (["--db", "/nonexistent/folder/x.sqlite"], 1, "cannot open database"),
    ],
    ids=["unknown-protocol", "database-folder-missing"],
)
def test_standalone_refuses_bad_options(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.emulator",
            "--port",
            "0",
            "--ca-dir",
            str(tmp_path),
            *args,
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": f"{PROJECT_DIR}{os.pathsep}{GENERATED_DIR}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
