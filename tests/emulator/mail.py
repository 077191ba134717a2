"""What the mail operator does with each request, the way Plesk does it.

Requests and responses are the generated package's version-neutral models;
an answer carries only what the protocol version asked for has (a field it
lacks is left out, and the codec refuses to write one), and the state lives
in a version-independent ``Store``. Each operation runs in one
store transaction; per-item failures are results, never exceptions:

- ``create``: 1013 for an unknown site, 1007 for a name the site has (also
  a name repeated in the same packet), per item.
- Every per-item error about a named account carries ``<mailname><name>``
  (create, update, get_info, remove): a real Plesk's update answer does
  (pmill/php-plesk issue 46 quotes ``<status>error</status><errcode>1023
  </errcode>...<mailname><name>user1</name></mailname>``); the schema allows
  it for the others, and the emulator does the same there.
- ``update`` ``add`` / ``remove``: add to or remove from the list-valued
  settings (aliases, forwarding addresses, autoresponder attachments);
  scalar settings given with ``add`` are set. Removing the last forwarding
  address switches forwarding off. ``set``: every setting given replaces the
  stored one (lists replace the whole list). 1013 for an unknown name.
- ``get_info``: id, name, user GUID, antivirus, outgoing limit and
  description always; mailbox, mailbox usage, forwarding, aliases and
  autoresponder only with their flag elements. Without names: every account
  of the site, in creation order; a site without accounts answers one ``ok``
  result without ``mailname``, as real Plesk does (api-php-lib's
  ``MailTest::testGetAllWithoutMailnames`` expects no account and no error).
  Every account carries an empty ``<password/>`` (never the password; the
  schema's choice of ``password`` or ``user-guid`` then leaves the GUID out)
  and, with ``mailbox``, a quota of -1 when none was set: both as in the
  ``get_info`` sample of Plesk 12.5's documentation ("Getting Mail Account
  Settings").
- ``remove``: the named accounts, or all accounts of the site without names.
- ``enable`` / ``disable``: the site's mail service (``mailservice`` in prefs).
- ``set_prefs`` / ``get_prefs``: per site (all sites without ids); settings
  given replace stored ones; a webmail that is not installed is error 1050.
- ``rename``: 1013 for an unknown name, 1007 if the new name exists.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any

from plesk_mail.rules import RULES

from .operator import DATA_ALREADY_EXISTS, OBJECT_DOES_NOT_EXIST, Operator
from .store import Account, Attachment, Autoresponder, NameTaken, Site

WEBMAIL_NOT_INSTALLED = 1050

WEBMAILS = ("roundcube", "horde", "none")
MAILBOX_USAGE = 0  # bytes; nothing is ever delivered to an emulated mailbox
UNLIMITED = -1
"""The quota of a mailbox created without one: the emulator's sites set no
limit, and Plesk reports an unlimited mailbox as -1."""
DEFAULT_PREFS: dict[str, Any] = {
    "nonexistent_user": {"bounce": "This address no longer accepts mail."},
    "webmail": "roundcube",
    "spam_protect_sign": False,
    "greylisting": True,
    "mail_provider": {"local": True},
}


def plain(value: Any) -> Any:
    """A request value as the store keeps it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class MailOperator(Operator):
    """Answers the mail operator's requests of one protocol version."""

    def _date(self, text: str | None) -> datetime.date | None:
        return datetime.date.fromisoformat(text) if text else None

    # -- create ---------------------------------------------------------------

    def create(self, request: Any) -> Any:
        site = self.store.site(request.site_id)
        results = []
        for spec in request.mailnames:
            if site is None:
                results.append(
                    self.error(
                        "CreateResult",
                        OBJECT_DOES_NOT_EXIST,
                        "Site does not exist",
                        mailname=self._named("CreatedMailname", spec.name),
                    )
                )
                continue
            try:
                account = self.store.add_account(site.id, self._new_account(spec))
            except NameTaken:
                results.append(
                    self.error(
                        "CreateResult",
                        DATA_ALREADY_EXISTS,
                        f"Mail name {spec.name} already exists",
                        mailname=self._named("CreatedMailname", spec.name),
                    )
                )
                continue
            results.append(
                self.ok(
                    "CreateResult",
                    mailname=self.m.CreatedMailname(id=account.id, name=account.name),
                )
            )
        return self.m.CreateResponse(results=results)

    def _new_account(self, spec: Any) -> Account:
        account = Account(
            name=spec.name,
            cp_access=spec.cp_access,
            aliases=_unique(spec.aliases),
            antivirus=plain(spec.antivirus),
            outgoing_limit=spec.outgoing_messages_mbox_limit,
            description=spec.description,
        )
        if spec.mailbox is not None:
            account.mailbox_enabled = spec.mailbox.enabled
            account.quota = spec.mailbox.quota
        if spec.forwarding is not None:
            account.forwarding_enabled = spec.forwarding.enabled
            account.forwarding = _unique(spec.forwarding.addresses)
        if spec.autoresponder is not None:
            account.autoresponder = _responder(Autoresponder(), spec.autoresponder)
        if spec.password is not None:
            account.password = spec.password.value
            account.password_type = plain(spec.password.type)
        return account

    # -- update add / remove / set -------------------------------------------

    def _update(self, request: Any, change: str) -> Any:
        site = self.store.site(request.site_id)
        results = []
        for spec in request.mailnames:
            account = self.store.account(site.id, spec.name) if site else None
            if account is None:
                text = (
                    "Site does not exist"
                    if site is None
                    else f"Mail name {spec.name} does not exist"
                )
                results.append(
                    self.error(
                        "MailnameResult",
                        OBJECT_DOES_NOT_EXIST,
                        text,
                        mailname=self._named("MailnameRef", spec.name),
                    )
                )
                continue
            getattr(self, f"_{change}")(account, spec)
            self.store.save_account(account)
            results.append(
                self.ok("MailnameResult", mailname=self.m.MailnameRef(name=spec.name))
            )
        return self.m.MailnameResponse(results=results)

    def _add(self, account: Account, spec: Any) -> None:
        account.aliases = _unique(account.aliases + spec.aliases)
        if spec.cp_access is not None:
            account.cp_access = spec.cp_access
        if spec.forwarding is not None:
            account.forwarding = _unique(account.forwarding + spec.forwarding.addresses)
            if spec.forwarding.enabled is not None:
                account.forwarding_enabled = spec.forwarding.enabled
        if spec.autoresponder is not None:
            base = account.autoresponder or Autoresponder()
            account.autoresponder = _responder(base, spec.autoresponder, append=True)

    def _remove(self, account: Account, spec: Any) -> None:
        account.aliases = [a for a in account.aliases if a not in spec.aliases]
        if spec.forwarding is not None:
            gone = set(spec.forwarding.addresses)
            account.forwarding = [a for a in account.forwarding if a not in gone]
            if not account.forwarding:
                account.forwarding_enabled = False
        if spec.autoresponder is not None and account.autoresponder is not None:
            gone_files = [_attachment(a) for a in spec.autoresponder.attachments]
            account.autoresponder.attachments = [
                a for a in account.autoresponder.attachments if a not in gone_files
            ]

    def _set(self, account: Account, spec: Any) -> None:
        if spec.cp_access is not None:
            account.cp_access = spec.cp_access
        if spec.mailbox is not None:
            if spec.mailbox.enabled is not None:
                account.mailbox_enabled = spec.mailbox.enabled
            if spec.mailbox.quota is not None:
                account.quota = spec.mailbox.quota
        if spec.forwarding is not None:
            if spec.forwarding.enabled is not None:
                account.forwarding_enabled = spec.forwarding.enabled
            if spec.forwarding.addresses:
                account.forwarding = _unique(spec.forwarding.addresses)
        if spec.aliases:
            account.aliases = _unique(spec.aliases)
        if spec.autoresponder is not None:
            base = account.autoresponder or Autoresponder()
            account.autoresponder = _responder(base, spec.autoresponder)
        if spec.password is not None:
            if spec.password.value is not None:
                account.password = spec.password.value
            if spec.password.type is not None:
                account.password_type = plain(spec.password.type)
        if spec.user_guid is not None:
            account.user_guid = spec.user_guid
        for name, value in (
            ("antivirus", plain(spec.antivirus)),
            ("outgoing_limit", spec.outgoing_messages_mbox_limit),
            ("description", spec.description),
        ):
            if value is not None:
                setattr(account, name, value)

    def update_add(self, request: Any) -> Any:
        return self._update(request, "add")

    def update_remove(self, request: Any) -> Any:
        return self._update(request, "remove")

    def update_set(self, request: Any) -> Any:
        return self._update(request, "set")

    # -- get_info ---------------------------------------------------------------

    def get_info(self, request: Any) -> Any:
        site = self.store.site(request.site_id)
        if site is None:
            return self.m.GetInfoResponse(
                results=[
                    self.error(
                        "GetInfoResult", OBJECT_DOES_NOT_EXIST, "Site does not exist"
                    )
                ]
            )
        accounts = self.store.accounts(site.id)
        names = request.names or list(accounts)
        results = []
        for name in names:
            account = self.store.account(site.id, name)
            if account is None:
                results.append(
                    self.error(
                        "GetInfoResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Mail name {name} does not exist",
                        mailname=self._named("MailAccountInfo", name),
                    )
                )
                continue
            results.append(
                self.ok("GetInfoResult", mailname=self._info(account, request))
            )
        if not results:  # a site without accounts: ok, and no mailname
            results.append(self.ok("GetInfoResult"))
        return self.m.GetInfoResponse(results=results)

    def _named(self, cls: str, name: str) -> Any:
        """The ``<mailname><name>`` a per-item error carries (see the module)."""
        return self.new(cls, name=name)

    def _info(self, account: Account, flags: Any) -> Any:
        info = self.m.MailAccountInfo(
            id=account.id,
            name=account.name,
            password=self.m.PasswordInfo(),  # <password/>: never the password
            antivirus=self._enum("Antivirus", account.antivirus),
            outgoing_messages_mbox_limit=account.outgoing_limit,
            description=account.description,
        )
        if flags.mailbox or flags.mailbox_usage:
            info.mailbox = self.m.MailboxInfo()
            if flags.mailbox:
                info.mailbox.enabled = account.mailbox_enabled
                info.mailbox.quota = (
                    UNLIMITED if account.quota is None else account.quota
                )
            if flags.mailbox_usage:
                info.mailbox.usage = MAILBOX_USAGE
        if flags.forwarding:
            info.forwarding = self.m.ForwardingInfo(
                enabled=account.forwarding_enabled, addresses=list(account.forwarding)
            )
        if flags.aliases:
            info.aliases = list(account.aliases)
        if flags.autoresponder and account.autoresponder is not None:
            responder = account.autoresponder
            info.autoresponder = self.new(
                "AutoresponderInfo",
                enabled=responder.enabled,
                subject=responder.subject,
                content_type=self._enum("ContentType", responder.content_type),
                charset=responder.charset,
                text=responder.text,
                attachments=[
                    self.m.AutoresponderAttachment(
                        tmp_name=a.tmp_name, file_name=a.file_name
                    )
                    for a in responder.attachments
                ],
                forward=responder.forward,
                end_date=self._date(responder.end_date),
            )
        return info

    # -- remove -----------------------------------------------------------------

    def remove(self, request: Any) -> Any:
        site = self.store.site(request.site_id)
        if site is None:
            return self.m.MailnameResponse(
                results=[
                    self.error(
                        "MailnameResult", OBJECT_DOES_NOT_EXIST, "Site does not exist"
                    )
                ]
            )
        names = request.names or list(self.store.accounts(site.id))
        results = []
        for name in names:
            if self.store.remove_account(site.id, name):
                results.append(
                    self.ok("MailnameResult", mailname=self.m.MailnameRef(name=name))
                )
            else:
                results.append(
                    self.error(
                        "MailnameResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Mail name {name} does not exist",
                        mailname=self._named("MailnameRef", name),
                    )
                )
        if not results:
            results.append(self.ok("MailnameResult"))
        return self.m.MailnameResponse(results=results)

    # -- mail service -------------------------------------------------------------

    def _switch(self, request: Any, enabled: bool, response: str) -> Any:
        if self.store.site(request.site_id) is None:
            result = self.error("Result", OBJECT_DOES_NOT_EXIST, "Site does not exist")
        else:
            self.store.set_mail_enabled(request.site_id, enabled)
            result = self.ok("Result")
        return getattr(self.m, response)(results=[result])

    def enable(self, request: Any) -> Any:
        return self._switch(request, True, "EnableResponse")

    def disable(self, request: Any) -> Any:
        return self._switch(request, False, "DisableResponse")

    def _sites(self, ids: list[int]) -> list[tuple[int, Site | None]]:
        return [
            (site_id, self.store.site(site_id))
            for site_id in (ids or self.store.site_ids())
        ]

    def set_prefs(self, request: Any) -> Any:
        changes = _prefs(request.prefs)
        mailservice = changes.pop("mailservice", None)
        webmail = changes.get("webmail")
        results = []
        for site_id, site in self._sites(request.site_ids):
            if site is None:
                results.append(
                    self.error(
                        "SetPrefsResult",
                        OBJECT_DOES_NOT_EXIST,
                        "Site does not exist",
                        site_id=site_id,
                    )
                )
            elif webmail is not None and webmail not in WEBMAILS:
                results.append(
                    self.error(
                        "SetPrefsResult",
                        WEBMAIL_NOT_INSTALLED,
                        f"Webmail {webmail} is not installed",
                        site_id=site_id,
                    )
                )
            else:
                if mailservice is not None:
                    self.store.set_mail_enabled(site_id, mailservice)
                self.store.set_prefs(site_id, {**site.prefs, **changes})
                results.append(self.ok("SetPrefsResult", site_id=site_id))
        return self.m.SetPrefsResponse(results=results or [self.ok("SetPrefsResult")])

    def get_prefs(self, request: Any) -> Any:
        results = []
        for site_id, site in self._sites(request.site_ids):
            if site is None:  # site-id and prefs come together or not at all
                results.append(
                    self.error(
                        "GetPrefsResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Site {site_id} does not exist",
                    )
                )
            else:
                results.append(
                    self.ok("GetPrefsResult", site_id=site_id, prefs=self._prefs(site))
                )
        return self.m.GetPrefsResponse(results=results or [self.ok("GetPrefsResult")])

    def _prefs(self, site: Site) -> Any:
        values = {**DEFAULT_PREFS, **site.prefs}
        provider = values["mail_provider"]
        return self.new(
            "MailPreferences",
            nonexistent_user=self.m.NonexistentUserPolicy(**values["nonexistent_user"]),
            webmail=values["webmail"],
            spam_protect_sign=values["spam_protect_sign"],
            greylisting=values["greylisting"],
            mailservice=site.mail_enabled,
            ip_addresses=list(values.get("ip_addresses", [])),
            mail_provider=self.m.MailProvider(
                local=provider.get("local", False),
                aps=(
                    self.m.ApsProvider(**provider["aps"]) if "aps" in provider else None
                ),
            ),
            webmail_certificate=values.get("webmail_certificate"),
        )

    # -- rename and providers ---------------------------------------------------------

    def rename(self, request: Any) -> Any:
        site = self.store.site(request.site_id)
        account = self.store.account(site.id, request.name) if site else None
        taken = self.store.account(site.id, request.new_name) if site else None
        if account is None:
            result = self.error(
                "Result",
                OBJECT_DOES_NOT_EXIST,
                f"Mail name {request.name} does not exist",
            )
        elif taken is not None:
            result = self.error(
                "Result",
                DATA_ALREADY_EXISTS,
                f"Mail name {request.new_name} already exists",
            )
        else:
            account.name = request.new_name
            self.store.save_account(account)
            result = self.ok("Result")
        return self.m.RenameResponse(result=result)

    def get_available_mail_providers(self, request: Any) -> Any:
        providers = [self.m.MailProvider(local=True)]
        if RULES.has(self.version, self.m.GetAvailableMailProvidersResult):
            return self.new(
                "GetAvailableMailProvidersResponse",
                results=[
                    self.ok("GetAvailableMailProvidersResult", mail_providers=providers)
                ],
            )
        return self.new("GetAvailableMailProvidersResponse", mail_providers=providers)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _attachment(value: Any) -> Attachment:
    return Attachment(tmp_name=value.tmp_name, file_name=value.file_name)


def _responder(base: Autoresponder, spec: Any, append: bool = False) -> Autoresponder:
    """``base`` with every autoresponder setting ``spec`` gives replaced.

    Attachments are added to the list with ``append``, replace it otherwise.
    """
    result = dataclasses.replace(base, attachments=list(base.attachments))
    for name in ("enabled", "subject", "content_type", "charset", "text", "forward"):
        value = getattr(spec, name)
        if value is not None:
            setattr(result, name, plain(value))
    end_date = spec.end_date  # protocol 1.6.7.0 and newer
    if end_date is not None:
        result.end_date = plain(end_date)
    files = [_attachment(a) for a in spec.attachments]
    if append:
        result.attachments += [a for a in files if a not in result.attachments]
    elif files:
        result.attachments = files
    return result


def _prefs(prefs: Any) -> dict[str, Any]:
    """The settings a ``MailPreferences`` gives, as the store keeps them."""
    if prefs.none:
        return {}
    changes: dict[str, Any] = {}
    policy = prefs.nonexistent_user
    if policy is not None:
        if policy.bounce is not None:
            changes["nonexistent_user"] = {"bounce": policy.bounce}
        elif policy.forward is not None:
            changes["nonexistent_user"] = {"forward": policy.forward}
        elif policy.reject:
            changes["nonexistent_user"] = {"reject": True}
    for name in ("webmail", "spam_protect_sign", "greylisting", "mailservice"):
        value = getattr(prefs, name)
        if value is not None:
            changes[name] = value
    if prefs.ip_addresses:
        changes["ip_addresses"] = list(prefs.ip_addresses)
    provider = prefs.mail_provider
    if provider is not None:
        changes["mail_provider"] = (
            {"aps": {"package_uid": provider.aps.package_uid}}
            if provider.aps is not None
            else {"local": True}
        )
    certificate = prefs.webmail_certificate  # 1.6.8.0 and newer
    if certificate is not None:
        changes["webmail_certificate"] = certificate
    return changes
