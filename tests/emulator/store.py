"""The emulator's state in SQLite: sites, their mail service, and mail accounts.

A site has a name (Unicode, with its punycode ``ascii_name``), a GUID and a
subscription (webspace): a main domain is its own subscription (its
``webspace_id`` is its id); an add-on domain belongs to another site's
subscription; a subdomain (``blog.example.com`` under ``example.com``) has
that site as ``parent_site_id`` too.

Values are version-independent plain Python (``str`` for enumerations, ISO
text for dates), so an account created through one protocol version reads
back through any other; ``mail.MailOperator`` maps them to and from a
version's models.

One connection (``check_same_thread=False``) serves every thread, guarded by
a re-entrant lock. ``transaction()`` holds the lock and wraps its block in
``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception), so the
emulator applies each operation of a packet atomically; every public method
runs in a transaction of its own, or joins the one already open. The
``UNIQUE (site_id, name)`` constraint is the last line against duplicates.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (
    id           INTEGER PRIMARY KEY CHECK (id > 0),
    mail_enabled INTEGER NOT NULL DEFAULT 1,
    prefs        TEXT    NOT NULL DEFAULT '{}'   -- JSON: the settings set_prefs set
);
CREATE TABLE IF NOT EXISTS accounts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id            INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL COLLATE NOCASE,
    cp_access          INTEGER,
    mailbox_enabled    INTEGER NOT NULL DEFAULT 1,
    quota              INTEGER,
    forwarding_enabled INTEGER NOT NULL DEFAULT 0,
    forwarding         TEXT    NOT NULL DEFAULT '[]',  -- JSON list of addresses
    aliases            TEXT    NOT NULL DEFAULT '[]',  -- JSON list
    autoresponder      TEXT,                           -- JSON object, or NULL
    password           TEXT,
    password_type      TEXT,
    user_guid          TEXT    NOT NULL,
    antivirus          TEXT,
    outgoing_limit     TEXT,
    description        TEXT,
    UNIQUE (site_id, name)
);
"""

ACCOUNT_COLUMNS = (
    "id",
    "site_id",
    "name",
    "cp_access",
    "mailbox_enabled",
    "quota",
    "forwarding_enabled",
    "forwarding",
    "aliases",
    "autoresponder",
    "password",
    "password_type",
    "user_guid",
    "antivirus",
    "outgoing_limit",
    "description",
)


SITE_COLUMNS = {  # added to the sites of a database file an older emulator wrote
    "name": "TEXT",
    "ascii_name": "TEXT",
    "guid": "TEXT",
    "webspace_id": "INTEGER",
    "parent_site_id": "INTEGER",
    "created": "TEXT",
}
DEFAULT_CREATED = "2024-01-15"
"""Creation day of every emulated site: answers stay the same from run to run."""


class NameTaken(Exception):
    """An account of that name exists on the site already."""


class UnknownParent(Exception):
    """A site names a parent site the store does not have."""


class SiteNameTaken(Exception):
    """Another site has that name already."""


def default_site_name(site_id: int) -> str:
    return f"site{site_id}.example"


def ascii_name(name: str) -> str:
    """A domain name in ASCII: its punycode (IDNA) form, lower case."""
    return name.strip().lower().encode("idna").decode("ascii")


@dataclass(frozen=True)
class SiteSpec:
    """A site to seed: ``id``, an optional ``name`` and the ``parent`` site it
    belongs to (an add-on domain of the parent's subscription, or a subdomain
    when its name ends in the parent's)."""

    id: int
    name: str | None = None
    parent: int | None = None


@dataclass
class Attachment:
    tmp_name: str | None = None
    file_name: str | None = None


@dataclass
class Autoresponder:
    enabled: bool | None = None
    subject: str | None = None
    content_type: str | None = None
    charset: str | None = None
    text: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    forward: str | None = None
    end_date: str | None = None  # ISO date; protocol 1.6.7.0 and newer

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Autoresponder:
        data = json.loads(text)
        data["attachments"] = [Attachment(**a) for a in data.get("attachments", [])]
        return cls(**data)


@dataclass
class Account:
    """One mail account with every setting the schemas carry."""

    name: str
    id: int = 0  # assigned by the store
    site_id: int = 0
    cp_access: bool | None = None
    mailbox_enabled: bool = True
    quota: int | None = None
    forwarding_enabled: bool = False
    forwarding: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    autoresponder: Autoresponder | None = None
    password: str | None = field(default=None, repr=False)
    password_type: str | None = None
    user_guid: str = ""
    antivirus: str | None = None
    outgoing_limit: str | None = None
    description: str | None = None


@dataclass
class Site:
    id: int
    mail_enabled: bool = True
    prefs: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    ascii_name: str = ""
    guid: str = ""
    webspace_id: int = 0
    parent_site_id: int | None = None
    created: str = DEFAULT_CREATED

    @property
    def is_main_domain(self) -> bool:
        """The site a subscription is named after (its own webspace)."""
        return self.webspace_id == self.id


class Store:
    """Sites and mail accounts in SQLite: a file path, or ``":memory:"``."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            # Survives the emulator crashing, not the machine: plenty for a
            # stand-in, and commits stop waiting for the disk.
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)
        known = {row["name"] for row in self._db.execute("PRAGMA table_info(sites)")}
        for column, kind in SITE_COLUMNS.items():
            if column not in known:
                self._db.execute(f"ALTER TABLE sites ADD COLUMN {column} {kind}")
        self._db.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS sites_by_name ON sites (ascii_name)"
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything in the block commits together or not at all."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self.transaction():
            return self._db.execute(sql, params).fetchall()

    # -- sites -------------------------------------------------------------

    def add_site(
        self,
        site_id: int,
        mail_enabled: bool = True,
        *,
        name: str | None = None,
        parent: int | None = None,
    ) -> Site:
        """Store a site unless its id exists; raises ``UnknownParent``.

        Without ``parent`` it is a main domain (its own subscription); with
        one, an add-on domain of the parent's subscription, or a subdomain of
        the parent when its name ends in ``.`` and the parent's name.
        """
        with self.transaction():
            known = self.site(site_id)
            if known is not None:
                return known
            name = (name or default_site_name(site_id)).strip()
            webspace_id, parent_site_id = site_id, None
            if parent is not None:
                above = self.site(parent)
                if above is None:
                    raise UnknownParent(f"site {parent} (parent of {site_id})")
                webspace_id = above.webspace_id
                if ascii_name(name).endswith("." + above.ascii_name):
                    parent_site_id = above.id
            try:
                self._db.execute(
                    "INSERT INTO sites (id, mail_enabled, name, ascii_name, guid,"
                    " webspace_id, parent_site_id, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        site_id,
                        int(mail_enabled),
                        name,
                        ascii_name(name),
                        str(uuid.uuid5(uuid.NAMESPACE_DNS, ascii_name(name))),
                        webspace_id,
                        parent_site_id,
                        DEFAULT_CREATED,
                    ),
                )
            except sqlite3.IntegrityError:
                raise SiteNameTaken(name) from None
            site = self.site(site_id)
        assert site is not None
        return site

    def seed(self, spec: SiteSpec | int) -> Site:
        """Add a site as ``--site`` describes it (a bare id is a main domain)."""
        if isinstance(spec, int):
            spec = SiteSpec(spec)
        return self.add_site(spec.id, name=spec.name, parent=spec.parent)

    def site(self, site_id: int) -> Site | None:
        rows = self._query("SELECT * FROM sites WHERE id = ?", site_id)
        return _site(rows[0]) if rows else None

    def sites(self) -> list[Site]:
        """Every site, by id."""
        return [_site(row) for row in self._query("SELECT * FROM sites ORDER BY id")]

    def site_ids(self) -> list[int]:
        return [row["id"] for row in self._query("SELECT id FROM sites ORDER BY id")]

    def set_mail_enabled(self, site_id: int, enabled: bool) -> None:
        self._query(
            "UPDATE sites SET mail_enabled = ? WHERE id = ?", int(enabled), site_id
        )

    def set_prefs(self, site_id: int, prefs: dict[str, Any]) -> None:
        self._query(
            "UPDATE sites SET prefs = ? WHERE id = ?",
            json.dumps(prefs, sort_keys=True),
            site_id,
        )

    # -- accounts ----------------------------------------------------------

    def accounts(self, site_id: int) -> dict[str, Account]:
        """The site's accounts by name, in creation order."""
        rows = self._query(
            "SELECT * FROM accounts WHERE site_id = ? ORDER BY id", site_id
        )
        return {row["name"]: _account(row) for row in rows}

    def all_accounts(self) -> list[Account]:
        return [_account(r) for r in self._query("SELECT * FROM accounts ORDER BY id")]

    def account(self, site_id: int, name: str) -> Account | None:
        rows = self._query(
            "SELECT * FROM accounts WHERE site_id = ? AND name = ?", site_id, name
        )
        return _account(rows[0]) if rows else None

    def add_account(self, site_id: int, account: Account) -> Account:
        """Store a new account on ``site_id``; raises ``NameTaken``."""
        values = _columns(account)
        values["site_id"] = site_id
        values["user_guid"] = account.user_guid or str(uuid.uuid4())
        if not account.id:
            del values["id"]
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        try:
            with self.transaction():
                cursor = self._db.execute(
                    f"INSERT INTO accounts ({names}) VALUES ({marks})",
                    tuple(values.values()),
                )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise NameTaken(account.name) from None
            raise
        return dataclasses.replace(
            account,
            id=int(cursor.lastrowid or account.id),
            site_id=site_id,
            user_guid=values["user_guid"],
        )

    def save_account(self, account: Account) -> None:
        """Write every setting of an existing account (found by its id)."""
        values = _columns(account)
        del values["id"]
        assignments = ", ".join(f"{name} = ?" for name in values)
        try:
            self._query(
                f"UPDATE accounts SET {assignments} WHERE id = ?",
                *values.values(),
                account.id,
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise NameTaken(account.name) from None
            raise

    def remove_account(self, site_id: int, name: str) -> bool:
        with self.transaction():
            cursor = self._db.execute(
                "DELETE FROM accounts WHERE site_id = ? AND name = ?", (site_id, name)
            )
        return cursor.rowcount > 0

    def clear_accounts(self, site_id: int) -> None:
        self._query("DELETE FROM accounts WHERE site_id = ?", site_id)

    def count_accounts(self) -> int:
        return int(self._query("SELECT count(*) FROM accounts")[0][0])


def _site(row: sqlite3.Row) -> Site:
    """A stored site; one a pre-site-names database holds gets its default name."""
    name = row["name"] or default_site_name(row["id"])
    return Site(
        id=row["id"],
        mail_enabled=bool(row["mail_enabled"]),
        prefs=json.loads(row["prefs"]),
        name=name,
        ascii_name=row["ascii_name"] or ascii_name(name),
        guid=row["guid"] or str(uuid.uuid5(uuid.NAMESPACE_DNS, ascii_name(name))),
        webspace_id=row["webspace_id"] or row["id"],
        parent_site_id=row["parent_site_id"],
        created=row["created"] or DEFAULT_CREATED,
    )


def _columns(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "site_id": account.site_id,
        "name": account.name,
        "cp_access": None if account.cp_access is None else int(account.cp_access),
        "mailbox_enabled": int(account.mailbox_enabled),
        "quota": account.quota,
        "forwarding_enabled": int(account.forwarding_enabled),
        "forwarding": json.dumps(account.forwarding),
        "aliases": json.dumps(account.aliases),
        "autoresponder": (
            account.autoresponder.to_json() if account.autoresponder else None
        ),
        "password": account.password,
        "password_type": account.password_type,
        "user_guid": account.user_guid,
        "antivirus": account.antivirus,
        "outgoing_limit": account.outgoing_limit,
        "description": account.description,
    }


def _account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        site_id=row["site_id"],
        name=row["name"],
        cp_access=None if row["cp_access"] is None else bool(row["cp_access"]),
        mailbox_enabled=bool(row["mailbox_enabled"]),
        quota=row["quota"],
        forwarding_enabled=bool(row["forwarding_enabled"]),
        forwarding=json.loads(row["forwarding"]),
        aliases=json.loads(row["aliases"]),
        autoresponder=(
            Autoresponder.from_json(row["autoresponder"])
            if row["autoresponder"]
            else None
        ),
        password=row["password"],
        password_type=row["password_type"],
        user_guid=row["user_guid"],
        antivirus=row["antivirus"],
        outgoing_limit=row["outgoing_limit"],
        description=row["description"],
    )
