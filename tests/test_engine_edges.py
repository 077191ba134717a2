"""The client engine's edges, both clients, against the emulator in this process.

What ``runtime/engine/client.py`` and ``runtime/engine/aio.py`` decide besides moving bytes:
results and their errors, pending answers and batches, how items are packed
into packets and results matched back to them, what ``.progress`` says when
a packet fails, sites by name and accounts by address, answers in another
version or with unknown elements, and the async client's opening and
closing. Each test names the slip it exists to catch; most were written for
mutants that outlived the rest of the suite (tests/mutation). The emulator
runs in this process (``tests/support/inproc.py``), so each test takes
milliseconds and a mutation run can afford them all for every mutant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import plesk_mail
import pytest
from lxml import etree
from plesk_mail.runtime.base.errors import CallProgress
from plesk_mail.runtime.engine.addressing import UnknownSiteError
from plesk_mail.runtime.engine.calls import reached_server

from tests.emulator.fixtures import PINNED, SITE_ID, new_emulator
from tests.emulator.server import Emulator, RawAnswer
from tests.emulator.store import Account, SiteSpec
from tests.support.both import KINDS
from tests.support.corpus import assert_clean_exception
from tests.support.inproc import inproc

M = plesk_mail
LATEST = plesk_mail.LATEST_PROTOCOL


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[Emulator]:
    """An emulator that is never started: the client reaches it in-process."""
    emulator = new_emulator(
        None, sites=(SITE_ID, SiteSpec(2, "two.example"), SiteSpec(3, "three.example"))
    )
    try:
        yield emulator
    finally:
        emulator.store.close()
        assert not emulator.response_errors, emulator.response_errors


def accounts(*names: str) -> list[plesk_mail.NewMailAccount]:
    return [M.NewMailAccount(name=name) for name in names]


def mail_packet(body: str, version: str = LATEST) -> bytes:
    return f'<packet version="{version}"><mail>{body}</mail></packet>'.encode()


# -- results ----------------------------------------------------------------------------


def test_results_say_which_items_failed_and_raise_them_all(
    server: Emulator, kind: str
) -> None:
    """Catches ``failed`` with wrong indexes, ``ok`` true despite a failure, or ItemErrors that drop one."""
    server.store.add_account(SITE_ID, Account(name="b"))
    server.store.add_account(SITE_ID, Account(name="d"))
    with inproc(server, kind=kind) as client:
        results = client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c", "d"))
        empty = client.get_info(site_id=2)
    assert not results.ok and empty.ok
    assert [index for index, _ in results.failed] == [1, 3]
    assert all(result.errcode == 1007 for _, result in results.failed)
    with pytest.raises(plesk_mail.ItemErrors) as caught:
        results.raise_for_errors()
    message = str(caught.value)
    assert message.splitlines() == [
        "create: 2 item(s) failed",
        "  #1: error 1007: Mail name b already exists",
        "  #3: error 1007: Mail name d already exists",
    ]
    assert [i for i, _ in caught.value.failures] == [1, 3]
    assert empty.raise_for_errors() is empty
    assert results.operation == "create"


def test_an_empty_results_list_is_ok() -> None:
    """Catches ``ok`` computed as "some item ok" (false for no items)."""
    from plesk_mail.runtime.engine.results import Results

    assert Results().ok is True
    assert Results().failed == []
    assert Results().raise_for_errors() == []


def test_results_show_no_secret_but_keep_it(server: Emulator, kind: str) -> None:
    """Catches a results repr that shows the login password a server echoed, or a ``mask`` that does nothing."""
    echo = (
        "<enable><result><status>error</status><errcode>1013</errcode>"
        f"<errtext>echo {server.password}</errtext></result></enable>"
    )
    server.scripted.append(RawAnswer(mail_packet(echo)))
    with inproc(server, kind=kind) as client:
        results = client.enable(site_id=SITE_ID)
    assert results[0].errtext == f"echo {server.password}"
    assert server.password not in repr(results)
    assert results.mask(f"x {server.password} y") == "x *** y"


# -- pending answers and batches ----------------------------------------------------------


def test_a_pending_answer_before_and_after_its_batch(
    server: Emulator, kind: str
) -> None:
    """Catches a ``Pending`` that answers before its batch was sent, or shows the wrong state."""
    with inproc(server, kind=kind) as client:
        batch = client.batch()
        pending = batch.enable(site_id=SITE_ID)
        assert not pending.done
        assert repr(pending) == "Pending(enable: not sent)"
        with pytest.raises(
            RuntimeError, match="enable: the batch has not been sent yet"
        ):
            _ = pending.value
        assert len(batch) == 1
        answers = batch.send()
    assert pending.done and pending.value.ok
    assert answers == [pending.value]
    assert repr(pending).startswith("Pending(enable: [")


def test_a_batch_is_sent_once(server: Emulator, kind: str) -> None:
    """Catches a batch that can be sent (or added to) twice."""
    with inproc(server, kind=kind) as client:
        batch = client.batch()
        batch.enable(site_id=SITE_ID)
        batch.send()
        with pytest.raises(RuntimeError, match=ALREADY_SENT):
            batch.send()
        with pytest.raises(RuntimeError, match=ALREADY_SENT):
            batch.disable(site_id=SITE_ID)
    assert len(server.exchanges) == 1


def test_a_batch_sent_inside_its_block_is_not_sent_again_on_leaving(
    server: Emulator, kind: str
) -> None:
    """Catches leaving ``with`` that sends a batch a second time (or fails) after ``send()``."""
    with inproc(server, kind=kind) as client, client.batch() as batch:
        pending = batch.enable(site_id=SITE_ID)
        batch.send()
    assert pending.value.ok
    assert len(server.exchanges) == 1


ALREADY_SENT = r"^this batch was already sent; start a new one$"


def test_an_empty_batch_sends_nothing(server: Emulator, kind: str) -> None:
    """Catches an empty batch that sends an empty packet."""
    with inproc(server, kind=kind) as client, client.batch() as batch:
        assert len(batch) == 0
    assert server.exchanges == []


def test_a_batch_left_by_an_exception_is_not_sent(server: Emulator, kind: str) -> None:
    """Catches a ``with`` block that sends its calls although the block failed."""
    with inproc(server, kind=kind) as client:
        with pytest.raises(KeyError), client.batch() as batch:
            batch.enable(site_id=SITE_ID)
            raise KeyError("stop")
        assert not batch.sent
    assert server.exchanges == []


def test_a_batch_answers_in_call_order(server: Emulator, kind: str) -> None:
    """Catches answers of a batch given to the wrong call."""
    server.store.add_account(SITE_ID, Account(name="old"))
    with inproc(server, kind=kind) as client:
        batch = client.batch()
        created = batch.create(site_id=SITE_ID, mailnames=accounts("n1"))
        renamed = batch.rename(site_id=SITE_ID, name="old", new_name="new")
        found = batch.get_info(site_id=SITE_ID, names=["n1"])
        answers = batch.send()
    assert answers == [created.value, renamed.value, found.value]
    assert [a.name for a in created.value.accounts()] == ["n1"]
    assert renamed.value.ok and len(renamed.value) == 1
    assert [a.name for a in found.value.accounts()] == ["n1"]
    assert len(server.exchanges) == 1


# -- packing items into packets -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "chunk", "expected"),
    [
        ([5], 2, [[2], [2], [1]]),
        ([2], 2, [[2]]),
        ([3], 3, [[3]]),
        ([2, 2], 3, [[2], [2]]),
        ([1, 2], 3, [[1, 2]]),
        ([2, 1, 1], 3, [[2, 1], [1]]),
        ([2, 2, 1], 3, [[2], [2, 1]]),
    ],
    ids=[
        "5-by-2",
        "2-by-2",
        "3-by-3",
        "2+2-by-3",
        "1+2-by-3",
        "2+1+1-by-3",
        "2+2+1-by-3",
    ],
)
def test_calls_are_packed_into_as_few_packets_as_the_chunk_size_allows(
    server: Emulator, kind: str, sizes: list[int], chunk: int, expected: list[list[int]]
) -> None:
    """Catches a chunk one item too big or too small, or calls packed apart that fit together."""
    with inproc(server, kind=kind, chunk_size=chunk) as client, client.batch() as batch:
        for number, size in enumerate(sizes):
            batch.create(
                site_id=SITE_ID,
                mailnames=accounts(*(f"c{number}i{i}" for i in range(size))),
            )
    per_packet = [
        [
            len(op.findall("filter/mailname"))
            for op in etree.fromstring(e.body).iter("create")
        ]
        for e in server.exchanges
    ]
    assert per_packet == expected
    assert len(server.store.accounts(SITE_ID)) == sum(sizes)


def test_a_read_only_batch_is_labelled_and_retried_as_reading(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches a packet of reads and a write marked read-only (it would be retried)."""
    from plesk_mail.runtime.transport.retry import Retry

    caplog.set_level(logging.DEBUG, logger="plesk_mail")
    server.scripted += [RawAnswer(b"", 503), None, RawAnswer(b"", 503)]
    fast = Retry(attempts=2, backoff=0.001, cap=0.001)
    with inproc(server, kind=kind, retry=fast) as client:
        with client.batch() as reads:
            reads.get_info(site_id=SITE_ID)
            reads.get_prefs(site_ids=[SITE_ID])
        with (
            pytest.raises(plesk_mail.ResponseError, match="HTTP 503"),
            client.batch() as mixed,
        ):
            mixed.get_info(site_id=SITE_ID)
            mixed.enable(site_id=SITE_ID)
    assert len(server.exchanges) == 3  # the reads twice, the mixed packet once
    assert "mail.get_info+mail.get_prefs x2" in caplog.text
    assert "mail.enable+mail.get_info x2" in caplog.text


# -- what a failed packet leaves: progress --------------------------------------------------


def test_progress_when_a_later_packet_fails(server: Emulator, kind: str) -> None:
    """Catches progress that counts the failed packet as answered or as unsent."""
    server.scripted += [None, RawAnswer(b"<html/>", 502, content_type="text/html")]
    client = inproc(server, kind=kind, chunk_size=2, retry=None)
    with client, pytest.raises(plesk_mail.ResponseError) as caught:
        client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c", "d", "e"))
    [progress] = caught.value.progress
    assert progress == CallProgress("create", progress.results, (2, 3), (4,))
    assert [r.mailname.name for r in progress.results] == ["a", "b"]


def test_progress_when_the_server_refuses_a_packet_whole(
    server: Emulator, kind: str
) -> None:
    """Catches a packet the server refused (a <system> error) counted as in flight."""
    refusal = (
        f'<packet version="{LATEST}"><system><status>error</status>'
        "<errcode>1014</errcode><errtext>Parser error</errtext></system></packet>"
    )
    server.scripted += [None, RawAnswer(refusal.encode())]
    client = inproc(server, kind=kind, chunk_size=2)
    with client, pytest.raises(plesk_mail.PacketError) as caught:
        client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c", "d", "e"))
    [progress] = caught.value.progress
    assert (progress.in_flight, progress.unsent) == ((), (2, 3, 4))
    assert caught.value.errcode == 1014


def test_progress_of_every_call_in_a_failed_batch(server: Emulator, kind: str) -> None:
    """Catches progress that mixes up the calls of a batch: answered, in flight, unsent."""
    server.scripted += [None, RawAnswer(b"", 502)]
    client = inproc(server, kind=kind, chunk_size=2, retry=None)
    with (
        client,
        pytest.raises(plesk_mail.ResponseError) as caught,
        client.batch() as batch,
    ):
        batch.create(site_id=SITE_ID, mailnames=accounts("a", "b"))  # packet 1
        batch.enable(site_id=SITE_ID)  # packet 2, which fails
        batch.create(site_id=SITE_ID, mailnames=accounts("c"))  # packet 2
        batch.create(site_id=SITE_ID, mailnames=accounts("d", "e"))  # packet 3
    first, enable, shared, last = caught.value.progress
    assert [r.mailname.name for r in first.results] == ["a", "b"]
    assert (first.in_flight, first.unsent) == ((), ())
    assert (list(enable.results), enable.in_flight, enable.unsent) == ([], (0,), ())
    assert (list(shared.results), shared.in_flight, shared.unsent) == ([], (0,), ())
    assert (list(last.results), last.in_flight, last.unsent) == ([], (), (0, 1))
    assert len(server.exchanges) == 2


def test_progress_before_anything_was_sent(server: Emulator, kind: str) -> None:
    """Catches a lookup failure that leaves progress claiming the call's items left."""
    with inproc(server, kind=kind) as client:
        with pytest.raises(UnknownSiteError) as caught:
            client.create(site="nowhere.example", mailnames=accounts("a", "b", "c"))
        with pytest.raises(UnknownSiteError) as single:
            client.enable(site="nowhere.example")
    [progress] = caught.value.progress
    assert (progress.in_flight, progress.unsent, list(progress.results)) == (
        (),
        (0, 1, 2),
        [],
    )
    assert single.value.progress[0].unsent == (0,)
    assert caught.value.sent is False  # type: ignore[attr-defined]


def test_whether_an_error_reached_the_server() -> None:
    """Catches ``reached_server`` reading a refusal, a local error or a lost answer wrongly."""
    lost = plesk_mail.TransportError("lost")
    assert reached_server(lost) is True
    lost.sent = False
    assert reached_server(lost) is False
    assert reached_server(plesk_mail.ValidationError("x", "bad")) is False
    assert reached_server(plesk_mail.ConfigurationError("no host")) is False
    assert reached_server(plesk_mail.PacketError(1014, "refused")) is False
    assert reached_server(plesk_mail.ClientClosedError("closed")) is False
    assert reached_server(plesk_mail.ResponseError("garbage")) is True
    assert reached_server(KeyboardInterrupt()) is True
    interrupt = KeyboardInterrupt()
    interrupt.sent = False  # type: ignore[attr-defined]
    assert reached_server(interrupt) is False


# -- answers ----------------------------------------------------------------------------------


def test_an_answer_without_a_version_is_read_as_asked(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches an answer without ``version`` warned about (or not logged at all)."""
    caplog.set_level(logging.DEBUG, logger="plesk_mail")
    server.scripted.append(
        RawAnswer(
            b"<packet><mail><enable><result><status>ok</status></result></enable></mail></packet>"
        )
    )
    with inproc(server, kind=kind) as client:
        assert client.enable(site_id=SITE_ID).ok
    [line] = [
        r for r in caplog.records if "names no protocol version" in r.getMessage()
    ]
    assert line.levelno == logging.DEBUG
    assert (
        f"mail.enable x1: the answer names no protocol version; decoded as {LATEST}"
        == line.getMessage()
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_answer_in_another_version_is_warned_about(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches the version mismatch logged below WARNING or with the wrong versions."""
    server.scripted.append(
        RawAnswer(
            mail_packet("<enable><result><status>ok</status></result></enable>", "1.6")
        )
    )
    with inproc(server, kind=kind) as client:
        assert client.enable(site_id=SITE_ID).ok
    [line] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert line.getMessage() == (
        f"mail.enable x1: asked in protocol {LATEST}, answered in '1.6'; "
        f"decoded and checked as {LATEST}"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "expected replies for mail.enable; got none"),
        (
            "<disable><result><status>ok</status></result></disable>",
            "expected replies for mail.enable; got mail.disable",
        ),
        (
            "<enable><result><status>ok</status></result></enable>"
            "<enable><result><status>ok</status></result></enable>",
            "got mail.enable, mail.enable",
        ),
    ],
    ids=["none", "another-operation", "one-too-many"],
)
def test_replies_must_be_the_operations_sent(
    server: Emulator, kind: str, body: str, says: str
) -> None:
    """Catches replies accepted for operations that were not sent (or not all answered)."""
    data = (
        mail_packet(body)
        if body
        else f'<packet version="{LATEST}"><mail/></packet>'.encode()
    )
    server.scripted.append(RawAnswer(data))
    with (
        inproc(server, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        client.enable(site_id=SITE_ID)
    assert says in str(caught.value)


def test_a_lenient_client_keeps_unknown_elements_and_says_so(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches unknown elements lost, not logged, or left on the next call's results."""
    odd = "<enable><result><status>ok</status><quantum>42</quantum></result></enable>"
    server.scripted += [RawAnswer(mail_packet(odd)), None]
    with inproc(server, kind=kind, lenient=True) as client:
        results = client.enable(site_id=SITE_ID)
        [unknown] = results.unknown_elements
        assert unknown.path == "/packet/mail/enable/result/quantum"
        assert client.last_unknown_elements == [unknown]
        assert client.disable(site_id=SITE_ID).unknown_elements == []
        assert client.last_unknown_elements == []
    assert "skipped unknown element /packet/mail/enable/result/quantum" in caplog.text


def test_a_lenient_client_keeps_an_element_of_a_newer_version(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches the lenient path raising, or its warning carrying the advice meant for the error."""
    newer = (
        "<get_prefs><result><status>ok</status><site-id>1</site-id><prefs>"
        "<webmail-certificate>c</webmail-certificate></prefs></result></get_prefs>"
    )
    server.scripted.append(RawAnswer(mail_packet(newer, "1.6.6.0")))
    with inproc(server, kind=kind, protocol="1.6.6.0", lenient=True) as client:
        [result] = client.get_prefs(site_ids=[SITE_ID])
    assert result.prefs.webmail_certificate == "c"
    [line] = [
        r.getMessage() for r in caplog.records if "kept (lenient)" in r.getMessage()
    ]
    assert "webmail_certificate" in line and "1.6.8.0" in line
    assert "connect with that protocol" not in line


# -- matching results to items -------------------------------------------------------------


def answer_of(operation: str, *names: str | None) -> bytes:
    items = "".join(
        "<result><status>ok</status>"
        + (f"<mailname><id>{i + 1}</id><name>{n}</name></mailname>" if n else "")
        + "</result>"
        for i, n in enumerate(names)
    )
    return mail_packet(f"<{operation}>{items}</{operation}>")


@pytest.mark.parametrize(
    ("answered", "expected"),
    [
        (("b", "a", "c"), ["a", "b", "c"]),
        (("C", "A", "B"), ["A", "B", "C"]),
        (("a", None, "c"), ["a", None, "c"]),
    ],
    ids=["reversed", "other-case", "one-names-nothing"],
)
def test_results_are_put_back_on_their_items(
    server: Emulator,
    kind: str,
    answered: tuple[str | None, ...],
    expected: list[str | None],
) -> None:
    """Catches results left in the server's order, matched case-sensitively, or a nameless one moved."""
    server.scripted.append(RawAnswer(answer_of("create", *answered)))
    with inproc(server, kind=kind) as client:
        results = client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c"))
    names = [r.mailname.name if r.mailname else None for r in results]
    assert names == expected


@pytest.mark.parametrize(
    ("answered", "says"),
    [
        (
            ("a", "z", "c"),
            "create: result 1 names 'z', but the item sent there is 'b', and the "
            "results do not match the items one to one",
        ),
        (("a", "b"), "create: sent 3 item(s), got 2 result(s)"),
        (("a", "b", "c", "d"), "create: sent 3 item(s), got 4 result(s)"),
    ],
    ids=["names-an-item-not-sent", "one-too-few", "one-too-many"],
)
def test_results_that_do_not_match_the_items_are_refused(
    server: Emulator, kind: str, answered: tuple[str, ...], says: str
) -> None:
    """Catches a result pinned on the wrong item, or a count that does not add up accepted."""
    server.scripted.append(RawAnswer(answer_of("create", *answered)))
    with (
        inproc(server, kind=kind) as client,
        pytest.raises(plesk_mail.ResponseError) as caught,
    ):
        client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c"))
    assert_clean_exception(caught.value, plesk_mail.ResponseError, says)


@pytest.mark.parametrize("version", ["1.6.6.0", "1.6.7.0"])
def test_mail_providers_come_back_alike_in_either_shape(
    server: Emulator, kind: str, version: str
) -> None:
    """Catches the bare 1.6.6.0 answer (no <result>) misread, or the wrapped one unwrapped."""
    with inproc(server, kind=kind, protocol=version) as client:
        results = client.get_available_mail_providers()
    assert results.ok and len(results) == 1
    assert results.operation == "get_available_mail_providers"
    assert results.providers() == results[0].mail_providers


# -- sites by name, accounts by address ---------------------------------------------------------


def test_site_ids_are_looked_up_once_and_kept(server: Emulator, kind: str) -> None:
    """Catches a lookup per call, a cache that is never used, or ``forget_sites`` that keeps it."""
    with inproc(server, kind=kind) as client:
        client.enable(site="two.example")
        client.get_info(site="TWO.example.")
        assert len(server.exchanges) == 3  # one lookup, two calls
        client.forget_sites()
        client.enable(site="two.example")
        assert len(server.exchanges) == 5
        client.know_sites({"three.example": 3})
        client.enable(site="three.example")
        assert len(server.exchanges) == 6
    assert b"<site-id>3</site-id>" in server.exchanges[-1].body
    assert b"<site-id>2</site-id>" in server.exchanges[1].body


def test_accounts_by_address_keep_their_order_over_sites(
    server: Emulator, kind: str
) -> None:
    """Catches results of a call by address in the order of the sites, not of the addresses."""
    addresses = ["x@two.example", "y@site1.example", "z@two.example", "w@three.example"]
    with inproc(server, kind=kind) as client:
        created = client.create(mailnames=[M.NewMailAccount(name=a) for a in addresses])
        found = client.get_info(names=list(reversed(addresses)))
    assert [r.mailname.name for r in created] == ["x", "y", "z", "w"]
    assert [r.mailname.name for r in found] == ["w", "z", "y", "x"]
    assert set(server.store.accounts(2)) == {"x", "z"}
    lookup, create, _ = server.exchanges[0], server.exchanges[1], server.exchanges[2]
    assert lookup.body.count(b"<name>") == 3  # every domain once, in one packet
    assert etree.fromstring(create.body).find("mail") is not None
    assert len(etree.fromstring(create.body).findall("mail/create")) == 3  # a site each


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (
            lambda c: c.create(site_id=1, site="two.example", mailnames=accounts("a")),
            "create: site_id and site= name the site twice; give one",
        ),
        (
            lambda c: c.create(site="two.example", mailnames=accounts("a@two.example")),
            "create: an address names its own site: give no site with it",
        ),
        (
            lambda c: c.create(mailnames=accounts("info")),
            "create: 'info' is no address (info@example.com); with no site_id and no site=",
        ),
        (lambda c: c.enable(), "enable: give site_id or its name (site=...)"),
        (lambda c: c.get_info(), "get_info: give site_id or its name (site=...)"),
    ],
    ids=[
        "site-twice",
        "site-and-address",
        "name-without-site",
        "no-site",
        "no-site-no-names",
    ],
)
def test_a_site_named_twice_or_not_at_all_is_refused_before_sending(
    server: Emulator, kind: str, call: Any, says: str
) -> None:
    """Catches a call whose site is ambiguous or missing sent anyway (or refused with the wrong words)."""
    with (
        inproc(server, kind=kind) as client,
        pytest.raises(plesk_mail.ValidationError) as caught,
    ):
        call(client)
    assert_clean_exception(caught.value, plesk_mail.ValidationError, says)
    assert server.exchanges == []


def test_sites_by_name_beside_site_ids(server: Emulator, kind: str) -> None:
    """Catches ``sites=`` replacing the ``site_ids`` given with it instead of adding to them."""
    with inproc(server, kind=kind) as client:
        results = client.get_prefs(site_ids=[1], sites=["three.example", "two.example"])
    assert [r.site_id for r in results] == [1, 3, 2]


def test_named_sites_say_which_names_no_site_has(server: Emulator, kind: str) -> None:
    """Catches ``named()`` that drops an unknown name or reports a known one."""
    with inproc(server, kind=kind) as client:
        found = client.get_sites(names=["two.example", "three.example"], gen_info=True)
        sites = found.named()
        partly = client.get_sites(names=["two.example", "none.example", "nix.example"])
    assert [(s.id, s.name) for s in sites] == [(2, "two.example"), (3, "three.example")]
    with pytest.raises(UnknownSiteError) as caught:
        partly.named()
    assert_clean_exception(
        caught.value,
        UnknownSiteError,
        "no site named none.example, nix.example on this server (error 1013: no such site)",
    )


# -- the client itself ----------------------------------------------------------------------------


def test_impossible_client_settings_are_refused() -> None:
    """Catches a chunk size of 0 or an unknown protocol accepted (or refused with the wrong words)."""
    with pytest.raises(ValueError, match=r"^chunk_size must be at least 1, got 0$"):
        plesk_mail.connect("h", secret_key="k", chunk_size=0, protocol=PINNED)
    one = plesk_mail.connect("h", secret_key="k", chunk_size=1, protocol=PINNED)
    assert one.chunk_size == 1
    with pytest.raises(plesk_mail.UnknownProtocolError) as caught:
        plesk_mail.connect_async("h", secret_key="k", protocol="9.9")
    assert "unknown Plesk protocol version '9.9'; known: 1.6.6.0, 1.6.7.0" in str(
        caught.value
    )


def test_what_a_client_says_of_itself(server: Emulator, kind: str) -> None:
    """Catches a repr that hides the protocol or shows a secret, and ``supports`` answering for another version."""
    with inproc(server, kind=kind, protocol="1.6.7.0") as client:
        target = getattr(client, "_target", client)
        shown = repr(target)
        assert shown.startswith(
            f"{type(target).__name__}(protocol='1.6.7.0', transport="
        )
        assert server.password not in shown
        assert client.supports(M.Autoresponder, "end_date")
        assert not client.supports(M.MailPreferences, "webmail_certificate")
        assert client.supports("rename")
        with pytest.raises(ValueError):
            client.supports("no_such_operation")
        assert client.mask(f"a {server.password}") == "a ***"


def test_the_async_client_before_it_is_opened() -> None:
    """Catches a protocol version reported before it was negotiated, or a closed client that opens."""
    client = plesk_mail.connect_async("127.0.0.1", secret_key="k", protocol="auto")
    with pytest.raises(RuntimeError, match="not negotiated yet"):
        _ = client.protocol_version

    async def closed() -> None:
        await client.aclose()
        with pytest.raises(plesk_mail.ClientClosedError) as caught:
            await client.open()
        assert str(caught.value) == (
            "this client was closed; make a new one (or use it inside 'async with')"
        )

    asyncio.run(closed())


def test_an_async_client_that_cannot_negotiate_is_closed(server: Emulator) -> None:
    """Catches ``async with`` leaving the connection pool open when negotiation fails."""
    server.scripted.append(RawAnswer(b"not xml at all"))
    import httpx

    from tests.support.inproc import answer

    async def handle(request: httpx.Request) -> httpx.Response:
        await request.aread()
        return answer(server, request)

    own = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    target = plesk_mail.connect_async(
        "127.0.0.1",
        login=server.login,
        password=server.password,
        protocol="auto",
        http_client=own,
    )

    async def run() -> None:
        with pytest.raises(plesk_mail.ResponseError):
            async with target:
                pass
        with pytest.raises(plesk_mail.ClientClosedError):
            await target.enable(site_id=SITE_ID)

    asyncio.run(run())
    assert len(server.exchanges) == 1


def test_calls_without_items_take_one_place_in_a_packet(
    server: Emulator, kind: str
) -> None:
    """Catches a call without a list (enable) or with an empty one (get_info) counted as two items."""
    with inproc(server, kind=kind, chunk_size=2) as client, client.batch() as batch:
        batch.enable(site_id=SITE_ID)
        batch.get_info(site_id=SITE_ID)
        batch.disable(site_id=SITE_ID)
        batch.get_prefs(site_ids=[SITE_ID])
    tags = [
        [op.tag for op in etree.fromstring(e.body).find("mail")]
        for e in server.exchanges
    ]
    assert tags == [["enable", "get_info"], ["disable", "get_prefs"]]


def test_progress_when_the_last_of_three_packets_fails(
    server: Emulator, kind: str
) -> None:
    """Catches progress that counts the packets done wrongly once more than one completed."""
    server.scripted += [None, None, RawAnswer(b"", 502)]
    client = inproc(server, kind=kind, chunk_size=2, retry=None)
    with client, pytest.raises(plesk_mail.ResponseError) as caught:
        client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c", "d", "e"))
    [progress] = caught.value.progress
    assert [r.mailname.name for r in progress.results] == ["a", "b", "c", "d"]
    assert (progress.in_flight, progress.unsent) == ((4,), ())


def test_progress_of_a_single_packet_names_every_item(
    server: Emulator, kind: str
) -> None:
    """Catches a one-packet call whose failure puts only its first item in flight."""
    server.scripted.append(RawAnswer(b"", 502))
    client = inproc(server, kind=kind, retry=None)
    with client, pytest.raises(plesk_mail.ResponseError) as caught:
        client.create(site_id=SITE_ID, mailnames=accounts("a", "b", "c"))
    [progress] = caught.value.progress
    assert (progress.in_flight, progress.unsent) == ((0, 1, 2), ())


def test_progress_of_an_empty_list_call_stopped_before_sending(
    server: Emulator, kind: str
) -> None:
    """Catches a call with an empty list counted as no item when its lookup fails."""
    with inproc(server, kind=kind) as client, pytest.raises(UnknownSiteError) as caught:
        client.get_info(site="nowhere.example", names=[])
    assert caught.value.progress[0].unsent == (0,)


def test_a_batch_of_calls_by_id_and_by_name_looks_the_names_up(
    server: Emulator, kind: str
) -> None:
    """Catches the domains of a batch's later calls missed after a call that names its site by id."""
    with inproc(server, kind=kind) as client, client.batch() as batch:
        batch.enable(site_id=SITE_ID)
        batch.enable(site="two.example")
        batch.enable(site="three.example")
    lookup, sent = server.exchanges
    assert lookup.body.count(b"<name>") == 2
    ids = [e.text for e in etree.fromstring(sent.body).iter("site-id")]
    assert ids == ["1", "2", "3"]


def test_a_packet_refused_without_a_text_says_so(server: Emulator, kind: str) -> None:
    """Catches a <system> error without errtext shown as an empty message."""
    server.scripted.append(
        RawAnswer(
            f'<packet version="{LATEST}"><system><status>error</status>'
            "<errcode>1023</errcode></system></packet>".encode()
        )
    )
    with (
        inproc(server, kind=kind) as client,
        pytest.raises(plesk_mail.PacketError) as caught,
    ):
        client.enable(site_id=SITE_ID)
    assert str(caught.value) == "Plesk error 1023: packet refused"


ACCOUNT_PW = "Acct-Secret-7781"


@pytest.mark.parametrize(
    "answer",
    [
        RawAnswer(f"<html>failed for {ACCOUNT_PW}</html>".encode(), 500),
        RawAnswer(f"<packet>{ACCOUNT_PW}".encode()),
    ],
    ids=["http-500", "not-xml"],
)
def test_an_account_password_echoed_in_a_failed_answer_is_hidden(
    server: Emulator, kind: str, answer: RawAnswer
) -> None:
    """Catches the packet's own secrets (account passwords) left out of what an error shows."""
    server.scripted.append(answer)
    account = plesk_mail.NewMailAccount(
        name="a", password=plesk_mail.Password(value=ACCOUNT_PW)
    )
    client = inproc(server, kind=kind, retry=None)
    with client, pytest.raises(plesk_mail.ResponseError) as caught:
        client.create(site_id=SITE_ID, mailnames=[account])
    assert ACCOUNT_PW not in str(caught.value) + repr(caught.value.excerpt)
    assert "***" in str(caught.value)


def test_a_closed_client_says_so_exactly(server: Emulator, kind: str) -> None:
    """Catches the closed-client refusal with other words (or none)."""
    client = inproc(server, kind=kind)
    client.close()
    with pytest.raises(plesk_mail.ClientClosedError) as caught:
        client.enable(site_id=SITE_ID)
    block = "with" if kind == "sync" else "async with"
    assert str(caught.value) == (
        f"this client was closed; make a new one (or use it inside '{block}')"
    )


def test_an_operation_limited_to_some_versions_is_refused_elsewhere(
    server: Emulator,
) -> None:
    """Catches the operation-level version gate inverted (no operation of today's schemas is limited: a made-up one is)."""
    import dataclasses

    from plesk_mail.client import _ENABLE

    limited = dataclasses.replace(_ENABLE, versions=frozenset({"1.6.6.0"}))
    request = plesk_mail.EnableRequest(site_id=SITE_ID)
    with inproc(server, protocol="1.6.6.0") as client:
        assert client._call(limited, request).ok
    with inproc(server) as client, pytest.raises(plesk_mail.ValidationError) as caught:
        client._call(limited, request)
    assert_clean_exception(
        caught.value,
        plesk_mail.ValidationError,
        f"enable: the operation needs protocol 1.6.6.0 only; this connection speaks protocol {LATEST}",
    )
    assert len(server.exchanges) == 1


def test_a_package_without_a_site_lookup_refuses_names(server: Emulator) -> None:
    """Catches a call by name in a package that cannot look names up (a lock without <site>)."""
    import dataclasses

    from plesk_mail.client import CODEC, MailClient

    class NoLookup(MailClient):
        _codec = dataclasses.replace(CODEC, lookup=None)

    client = inproc(server)
    bare = NoLookup(client.transport, protocol=LATEST)
    with pytest.raises(plesk_mail.ValidationError) as caught:
        bare.enable(site="two.example")
    assert str(caught.value) == "site: this package has no site lookup"
    assert server.exchanges == []


def test_negotiation_is_labelled_in_the_log(
    server: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches the negotiation packet logged under another label than server.get_protos."""
    caplog.set_level(logging.DEBUG, logger="plesk_mail")
    with inproc(server, kind=kind, protocol="auto") as client:
        assert client.protocol_version == LATEST
    assert any(
        r.getMessage().startswith("server.get_protos -> ") for r in caplog.records
    )


def test_an_empty_results_list_names_no_operation() -> None:
    """Catches a default operation name on results made without one."""
    from plesk_mail.runtime.engine.results import Results

    assert Results().operation == ""
