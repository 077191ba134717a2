"""The masker's edges: what ``runtime/base/masking.py`` hides, how, and what it leaves (issue 18).

The rule (the user guide, generated/README.md, "Secrets: masking is presentation"): a secret of at least
``MIN_IN_PLACE`` characters is replaced by ``***`` where it stands, in every
escaped form; a text in which a secret can still be read once unescaped, or
that holds a shorter secret, is replaced whole, by a mask that is no secret
itself. These are the cases at each line, written as exact expectations so a
loosened rule fails; ``tests/test_secret_property.py`` draws random secrets.
"""

from __future__ import annotations

import dataclasses
import logging

import pytest
from plesk_mail.runtime.base import masking
from plesk_mail.runtime.base.masking import (
    MASK,
    MIN_IN_PLACE,
    NO_SECRETS,
    Masker,
    escaped_forms,
    mask_log_lines,
    secret_values,
)


def test_a_secret_of_four_characters_is_cut_out_and_one_of_three_hides_the_text() -> (
    None
):
    """Catches the in-place length moved by one (a 3-character secret cut out of words, or a 4-character one hiding all)."""
    assert MIN_IN_PLACE == 4
    assert Masker(["abcd"]).text("x abcd y") == "x *** y"
    assert Masker(["abc"]).text("x abc y") == MASK
    assert Masker(["abc"]).text("x ab c y") == "x ab c y"


def test_no_secret_and_no_text_change_nothing() -> None:
    """Catches a masker without secrets (or with empty ones) that rewrites text."""
    assert NO_SECRETS.text("plain *** text") == "plain *** text"
    assert not NO_SECRETS and not Masker([None, ""])
    assert Masker(["secret"]).text("") == ""
    assert Masker([" "]).text("a b") == "a b"
    assert repr(Masker(["a", "", None, "b"])) == "Masker(2 secret(s))"
    assert Masker(["word"])("a word") == "a ***"


def test_the_longest_secret_is_hidden_first() -> None:
    """Catches a shorter secret cut out of a longer one, leaving its end (``***ef``)."""
    assert Masker(["abcd", "abcdef"]).text("see abcdef") == "see ***"
    assert Masker(["abcdef", "abcd"]).text("see abcd") == "see ***"


@pytest.mark.parametrize(
    ("secret", "whole"),
    [("x", "***"), ("*", "###"), ("#", "***"), ("***", "###")],
)
def test_a_whole_text_is_hidden_by_a_mask_that_holds_no_secret(
    secret: str, whole: str
) -> None:
    """Catches a whole-text mask that is (or shows) the secret itself."""
    assert Masker([secret]).text(f"a {secret} b") == whole


def test_the_last_mask_and_then_none() -> None:
    """Catches a fallback mask skipped, or a mask shown that holds a secret."""
    assert Masker(["**", "##"]).text("a ** b") == "[hidden]"
    assert Masker(["*", "#", "d"]).text("a d b") == ""


@pytest.mark.parametrize(
    "form",
    [
        "p&amp;w&lt;&gt;d",
        "&#112;&#38;&#119;&#60;&#62;&#100;",
        "&#x70;&#x26;&#x77;&#x3c;&#x3e;&#x64;",
        "&#x70;&#x26;&#x77;&#x3C;&#x3E;&#x64;",
        "p%26w%3C%3Ed",
        "p%26w%3c%3ed",
        "p&w<>d",
    ],
)
def test_every_escaped_form_is_cut_out_where_it_stands(form: str) -> None:
    """Catches an escaped form of a secret left readable in a message."""
    assert Masker(["p&w<>d"]).text(f"echo {form} end") == "echo *** end"


def test_escaped_forms_of_a_secret() -> None:
    """Catches a form missing from the list the masker cuts out (quotes, non-ASCII, JSON, Python)."""
    forms = escaped_forms('it\'s "ä"')
    for expected in (
        "it&#x27;s &quot;ä&quot;",
        "it&#039;s &#34;&auml;&#34;",
        "it&apos;s &#x22;&#xe4;&#x22;",
        "it&#39;s &quot;&#228;&quot;",
        'it\'s \\"\\u00e4\\"',
        'it\'s \\"ä\\"',
        'it\\\'s "ä"',
        "it%27s+%22%C3%A4%22",
        "it%27s%20%22%c3%a4%22",
    ):
        assert expected in forms, expected
    assert "" not in escaped_forms("")


@pytest.mark.parametrize(
    "view",
    [
        "s\\u0065cr\\u0065t",
        "s&#101;cr&#x65;t",
        "s%65cr%65t",
        "s%2565cr%2565t",
        "s\\x65cret",
        "s&amp;#101;cret",
        "s&#101;cr%65t",
    ],
)
def test_a_mix_of_forms_nobody_listed_hides_the_whole_text(view: str) -> None:
    """Catches a secret readable after unescaping a form the list does not have."""
    assert Masker(["secret"]).text(f"said {view} here") == MASK


def test_white_space_and_composition_do_not_hide_a_secret() -> None:
    """Catches a secret with two spaces (or a decomposed ä) read as another text."""
    assert Masker(["a b c d"]).text("x a  b\u00a0c d y") == MASK
    assert Masker(["caf\u00e9"]).text("x cafe\u0301 y") == MASK


def test_adding_secrets_keeps_the_earlier_ones() -> None:
    """Catches ``adding`` that forgets the login secrets when the account passwords join."""
    login = Masker(["login-pw"])
    both = login.adding(lambda: ["account-pw"]).adding(lambda: ["third-pw"])
    assert both.text("login-pw account-pw third-pw") == "*** *** ***"
    assert login.text("account-pw") == "account-pw"
    assert Masker([]).adding(lambda: ["late-secret"]).text("a late-secret") == "a ***"


def test_a_cut_excerpt_never_ends_in_the_start_of_a_secret() -> None:
    """Catches an excerpt whose end shows the first characters of a secret it cut."""
    masker = Masker(["sesame42"])
    assert masker.cut("open sesame42 now") == "open *** now"
    assert masker.cut("open sesa") == "open "
    assert masker.cut("open s") == "open "
    assert masker.cut("open x") == "open x"
    assert masker.cut("open sesame") == "open "
    assert Masker(["abc"]).cut("x abc") == MASK
    assert NO_SECRETS.cut("open sesa") == "open sesa"


def test_secret_values_of_nested_requests() -> None:
    """Catches a secret field of a nested or listed model not found (an account password in a list)."""

    @dataclasses.dataclass
    class Password:
        value: str = dataclasses.field(repr=False)

    @dataclasses.dataclass
    class Account:
        name: str
        password: Password | None = None
        note: str = dataclasses.field(default="", repr=False)
        count: int = 0

    items = [
        Account("a", Password("pw-1")),
        Account("b", None, note="pw-2"),
        (Account("c"),),
    ]
    assert sorted(secret_values(items)) == ["", "", "pw-1", "pw-2"]
    assert list(secret_values("plain")) == []
    assert list(secret_values(Account)) == []


def test_log_lines_are_masked_inside_a_call_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Catches log lines of a call left unmasked, or masking that outlives the call."""
    logger = logging.getLogger("plesk_mail.test_masking_edges")
    mask_log_lines(logger)
    mask_log_lines(logger)
    assert sum(isinstance(f, masking.MaskingFilter) for f in logger.filters) == 1
    caplog.set_level(logging.INFO, logger=logger.name)
    with masking.masking(Masker(["hidden-pw"])):
        logger.info("during %s", "hidden-pw")
    logger.info("after %s", "hidden-pw")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["during ***", "after hidden-pw"]
