"""What the mail operator does with each request, the way Plesk does it.

State is kept in a ``Store``; requests and responses are the generated
package's own models, so the emulator speaks exactly the schema's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

OBJECT_DOES_NOT_EXIST = 1013
DATA_ALREADY_EXISTS = 1007


@dataclass
class Account:
    id: int
    name: str
    aliases: list[str] = field(default_factory=list)
    forwarding: list[str] = field(default_factory=list)
    forwarding_enabled: bool = False
    mailbox_enabled: bool = True
    quota: int | None = None
    description: str | None = None


@dataclass
class Site:
    id: int
    mail_enabled: bool = True
    accounts: dict[str, Account] = field(default_factory=dict)
    prefs: Any = None


@dataclass
class Store:
    sites: dict[int, Site] = field(default_factory=dict)
    next_id: int = 1

    def add_site(self, site_id: int) -> Site:
        return self.sites.setdefault(site_id, Site(site_id))


class MailOperator:
    """Answers the requests of one protocol version against a store."""

    def __init__(self, module: ModuleType, store: Store) -> None:
        self.m = module
        self.store = store

    def ok(self, cls: str, **fields: Any) -> Any:
        return getattr(self.m, cls)(status=self.m.ResultStatus.OK, **fields)

    def error(self, cls: str, code: int, text: str, **fields: Any) -> Any:
        return getattr(self.m, cls)(
            status=self.m.ResultStatus.ERROR, errcode=code, errtext=text, **fields
        )

    def answer(self, operation: str, request: Any) -> Any:
        return getattr(self, operation)(request)

    # -- operations ----------------------------------------------------------

    def create(self, request: Any) -> Any:
        site = self.store.sites.get(request.site_id)
        results = []
        for spec in request.mailnames:
            if site is None:
                results.append(
                    self.error(
                        "CreateResult", OBJECT_DOES_NOT_EXIST, "Site does not exist"
                    )
                )
            elif spec.name in site.accounts:
                results.append(
                    self.error(
                        "CreateResult",
                        DATA_ALREADY_EXISTS,
                        f"Mail name {spec.name} already exists",
                    )
                )
            else:
                account = Account(
                    id=self.store.next_id, name=spec.name, aliases=list(spec.aliases)
                )
                if spec.mailbox is not None:
                    account.mailbox_enabled = spec.mailbox.enabled
                    account.quota = spec.mailbox.quota
                if spec.forwarding is not None:
                    account.forwarding_enabled = spec.forwarding.enabled
                    account.forwarding = list(spec.forwarding.addresses)
                account.description = spec.description
                self.store.next_id += 1
                site.accounts[spec.name] = account
                results.append(
                    self.ok(
                        "CreateResult",
                        mailname=self.m.CreatedMailname(
                            id=account.id, name=account.name
                        ),
                    )
                )
        return self.m.CreateResponse(results=results)

    def _update(self, request: Any, change: str) -> Any:
        site = self.store.sites.get(request.site_id)
        results = []
        for spec in request.mailnames:
            account = site.accounts.get(spec.name) if site else None
            if account is None:
                results.append(
                    self.error(
                        "MailnameResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Mail name {spec.name} does not exist",
                    )
                )
                continue
            if change == "add":
                account.aliases += [a for a in spec.aliases if a not in account.aliases]
            elif change == "remove":
                account.aliases = [a for a in account.aliases if a not in spec.aliases]
            else:
                if spec.aliases:
                    account.aliases = list(spec.aliases)
                if spec.description is not None:
                    account.description = spec.description
                if spec.mailbox is not None and spec.mailbox.quota is not None:
                    account.quota = spec.mailbox.quota
            results.append(
                self.ok("MailnameResult", mailname=self.m.MailnameRef(name=spec.name))
            )
        return self.m.MailnameResponse(results=results)

    def update_add(self, request: Any) -> Any:
        return self._update(request, "add")

    def update_remove(self, request: Any) -> Any:
        return self._update(request, "remove")

    def update_set(self, request: Any) -> Any:
        return self._update(request, "set")

    def get_info(self, request: Any) -> Any:
        site = self.store.sites.get(request.site_id)
        if site is None:
            return self.m.GetInfoResponse(
                results=[
                    self.error(
                        "GetInfoResult", OBJECT_DOES_NOT_EXIST, "Site does not exist"
                    )
                ]
            )
        names = request.names or sorted(site.accounts)
        results = []
        for name in names:
            account = site.accounts.get(name)
            if account is None:
                results.append(
                    self.error(
                        "GetInfoResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Mail name {name} does not exist",
                    )
                )
                continue
            info = self.m.MailAccountInfo(
                id=account.id, name=account.name, description=account.description
            )
            if request.mailbox:
                info.mailbox = self.m.MailboxInfo(
                    enabled=account.mailbox_enabled, quota=account.quota
                )
            if request.aliases:
                info.aliases = list(account.aliases)
            if request.forwarding:
                info.forwarding = self.m.ForwardingInfo(
                    enabled=account.forwarding_enabled,
                    addresses=list(account.forwarding),
                )
            results.append(self.ok("GetInfoResult", mailname=info))
        if not results:
            results.append(
                self.error("GetInfoResult", OBJECT_DOES_NOT_EXIST, "No mail names")
            )
        return self.m.GetInfoResponse(results=results)

    def remove(self, request: Any) -> Any:
        site = self.store.sites.get(request.site_id)
        if site is None:
            return self.m.MailnameResponse(
                results=[
                    self.error(
                        "MailnameResult", OBJECT_DOES_NOT_EXIST, "Site does not exist"
                    )
                ]
            )
        names = request.names or sorted(site.accounts)
        results = []
        for name in names:
            if site.accounts.pop(name, None) is None:
                results.append(
                    self.error(
                        "MailnameResult",
                        OBJECT_DOES_NOT_EXIST,
                        f"Mail name {name} does not exist",
                    )
                )
            else:
                results.append(
                    self.ok("MailnameResult", mailname=self.m.MailnameRef(name=name))
                )
        if not results:
            results.append(self.ok("MailnameResult"))
        return self.m.MailnameResponse(results=results)

    def _switch(self, request: Any, enabled: bool, response: str) -> Any:
        site = self.store.sites.get(request.site_id)
        if site is None:
            result = self.error("Result", OBJECT_DOES_NOT_EXIST, "Site does not exist")
        else:
            site.mail_enabled = enabled
            result = self.ok("Result")
        return getattr(self.m, response)(results=[result])

    def enable(self, request: Any) -> Any:
        return self._switch(request, True, "EnableResponse")

    def disable(self, request: Any) -> Any:
        return self._switch(request, False, "DisableResponse")

    def set_prefs(self, request: Any) -> Any:
        results = []
        for site_id in request.site_ids or sorted(self.store.sites):
            site = self.store.sites.get(site_id)
            if site is None:
                results.append(
                    self.error(
                        "SetPrefsResult",
                        OBJECT_DOES_NOT_EXIST,
                        "Site does not exist",
                        site_id=site_id,
                    )
                )
            else:
                site.prefs = request.prefs
                results.append(self.ok("SetPrefsResult", site_id=site_id))
        return self.m.SetPrefsResponse(results=results or [self.ok("SetPrefsResult")])

    def get_prefs(self, request: Any) -> Any:
        results = []
        for site_id in request.site_ids or sorted(self.store.sites):
            site = self.store.sites.get(site_id)
            if site is None:
                results.append(
                    self.error(
                        "GetPrefsResult",
                        OBJECT_DOES_NOT_EXIST,
                        "Site does not exist",
                        site_id=site_id,
                    )
                )
            else:
                prefs = site.prefs or self.m.MailPreferences(
                    greylisting=True, mailservice=site.mail_enabled
                )
                results.append(self.ok("GetPrefsResult", site_id=site_id, prefs=prefs))
        return self.m.GetPrefsResponse(results=results or [self.ok("GetPrefsResult")])

    def rename(self, request: Any) -> Any:
        site = self.store.sites.get(request.site_id)
        account = site.accounts.get(request.name) if site else None
        if site is None or account is None:
            result = self.error(
                "Result",
                OBJECT_DOES_NOT_EXIST,
                f"Mail name {request.name} does not exist",
            )
        elif request.new_name in site.accounts:
            result = self.error(
                "Result",
                DATA_ALREADY_EXISTS,
                f"Mail name {request.new_name} already exists",
            )
        else:
            del site.accounts[request.name]
            account.name = request.new_name
            site.accounts[account.name] = account
            result = self.ok("Result")
        return self.m.RenameResponse(result=result)

    def get_available_mail_providers(self, request: Any) -> Any:
        providers = [self.m.MailProvider(local=True)]
        if hasattr(self.m, "GetAvailableMailProvidersResult"):
            return self.m.GetAvailableMailProvidersResponse(
                results=[
                    self.ok("GetAvailableMailProvidersResult", mail_providers=providers)
                ]
            )
        return self.m.GetAvailableMailProvidersResponse(mail_providers=providers)
