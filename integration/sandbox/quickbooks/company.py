"""One QuickBooks company (a realm): its entities, their SyncTokens and MetaData, and its changes.

Every write goes through `create`/`update`/`delete`/`void`/`merge_customers`, which check the
optimistic lock (SyncToken, error 5010), let `bookkeeping` apply the business rules (totals,
balances, payments settling invoices), stamp `MetaData`, and announce a ChangeEvent to the
listeners (webhook outbox, simulation). Deleted entities stay as tombstones so change data
capture can report them with `status: Deleted`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from integration.sandbox.common.clock import SandboxClock

from . import bookkeeping, settlement
from .company_setup import open_books
from .faults import (
    BusinessValidationError,
    ChangedSinceTooOld,
    InvalidProperty,
    ObjectNotFound,
    RequiredParameterMissing,
    StaleObject,
    UnsupportedOperation,
)
from .query import Query
from .selection import select
from .strictness import Strictness
from .wire import PACIFIC, json_out


@dataclass(frozen=True)
class EntityKind:
    """An entity the sandbox serves: its JSON name, URL resource and allowed operations."""

    name: str
    resource: str
    operations: frozenset[str]
    id_series: str


def _kind(name: str, operations: str, series: str) -> EntityKind:
    return EntityKind(name, name.lower(), frozenset(operations.split()), series)


KINDS: dict[str, EntityKind] = {
    kind.name: kind
    for kind in (
        _kind("Customer", "create update", "name"),
        _kind("Term", "create update", "term"),
        _kind("Invoice", "create update delete void", "txn"),
        _kind("Payment", "create update delete void", "txn"),
        _kind("CreditMemo", "create update delete void", "txn"),
        _kind("Attachable", "create update delete", "attachable"),
        # Name lists: never deleted, made inactive instead (ITEM/ACCT, see products.py and
        # chart_of_accounts.py); each has its own Id series, as in Intuit's sample company.
        _kind("Item", "create update", "item"),
        _kind("Account", "create update", "account"),
        _kind("CompanyInfo", "update", "singleton"),
        _kind("Preferences", "update", "singleton"),
    )
}
KIND_BY_RESOURCE = {kind.resource: kind for kind in KINDS.values()}
CDC_LOOKBACK = timedelta(days=30)  # DCDC: "look-back ≤ 30 days"
CDC_MAX_OBJECTS = 1000  # DCDC: "response ≤ 1000 objects"


@dataclass(frozen=True)
class ChangeEvent:
    """What a webhook announces: one entity changed in one realm."""

    realm_id: str
    entity: str
    entity_id: str
    operation: str  # Create | Update | Delete | Void | Merge | Emailed
    at: datetime
    deleted_id: str | None = None


@dataclass
class StoredEntity:
    """One entity; `body` holds its fields with Decimal money, keys starting `_` are private."""

    kind: str
    id: str
    body: dict[str, Any]
    sync_token: int
    created: datetime
    updated: datetime
    deleted: bool = False

    @property
    def voided(self) -> bool:
        """True once the transaction was voided."""
        return bool(self.body.get("_voided"))

    def view(self) -> dict[str, Any]:
        """The entity as QuickBooks shows it, still with Decimal and datetime values."""
        if self.deleted:
            return {
                "Id": self.id,
                "status": "Deleted",
                "domain": "QBO",
                "MetaData": {"LastUpdatedTime": self.updated},
            }
        shown = {key: value for key, value in self.body.items() if not key.startswith("_")}
        shown.update(
            Id=self.id,
            SyncToken=str(self.sync_token),
            domain="QBO",
            sparse=False,
            MetaData={"CreateTime": self.created, "LastUpdatedTime": self.updated},
        )
        return shown


@dataclass
class Company:
    """A realm and everything in it; all methods are thread-safe."""

    realm_id: str
    name: str
    clock: SandboxClock
    zone: tzinfo = PACIFIC
    strictness: Strictness = field(default_factory=Strictness)
    lock: threading.RLock = field(default_factory=threading.RLock)
    listeners: list[Callable[[ChangeEvent], None]] = field(default_factory=list)
    _entities: dict[str, dict[str, StoredEntity]] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)
    applications: settlement.Applications = field(default_factory=lambda: settlement.Applications())
    _pending: threading.local = field(default_factory=threading.local)

    def __post_init__(self) -> None:
        for name in KINDS:
            self._entities.setdefault(name, {})
        self._counters.update(
            {
                "name": 0,
                "term": 0,
                "txn": 0,
                "attachable": 0,
                "item": 0,
                "account": 0,
                "doc:Invoice": 1000,
                "doc:CreditMemo": 5000,
            }
        )
        open_books(self)

    # -- ids, time, events -------------------------------------------------------------------

    def next_id(self, series: str) -> str:
        """The next Id of a series; Attachable Ids are long, as in Intuit's samples."""
        with self.lock:
            self._counters[series] = self._counters.get(series, 0) + 1
            number = self._counters[series]
        if series == "attachable":
            return str(100000000000000000 + number)
        return str(number)

    def next_doc_number(self, kind: str) -> str:
        """QuickBooks numbers sales forms itself when DocNumber is left out."""
        return self.next_id(f"doc:{kind}")

    def today(self, at: datetime | None = None) -> date:
        """The company's local date, which is what TxnDate and DueDate are in."""
        return (at or self.clock.now()).astimezone(self.zone).date()

    def announce(
        self, entity: StoredEntity, operation: str, deleted_id: str | None = None, first: bool = False
    ) -> None:
        """Tell every listener that an entity changed; inside a write, after the write is done.

        A payment's own Create is announced before the invoice Updates it causes (`first`).
        """
        event = ChangeEvent(self.realm_id, entity.kind, entity.id, operation, entity.updated, deleted_id)
        queue = getattr(self._pending, "queue", None)
        if queue is not None:
            queue.insert(0, event) if first else queue.append(event)
            return
        for listener in list(self.listeners):
            listener(event)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold back announcements until the outermost write of this thread finishes."""
        outermost = getattr(self._pending, "queue", None) is None
        if outermost:
            self._pending.queue = []
        try:
            yield
        finally:
            if outermost:
                queue, self._pending.queue = self._pending.queue, None
                for event in queue:
                    for listener in list(self.listeners):
                        listener(event)

    # -- reading ----------------------------------------------------------------------------

    def find(self, kind: str, entity_id: str) -> StoredEntity | None:
        """A live entity or None."""
        entity = self._entities.get(kind, {}).get(str(entity_id))
        return None if entity is None or entity.deleted else entity

    def get(self, kind: str, entity_id: str) -> StoredEntity:
        """A live entity or Intuit's 610 fault."""
        entity = self.find(kind, entity_id)
        if entity is None:
            raise ObjectNotFound(kind, str(entity_id))
        return entity

    def live(self, kind: str) -> list[StoredEntity]:
        """Every entity of a kind that is not deleted."""
        with self.lock:
            return [e for e in self._entities.get(kind, {}).values() if not e.deleted]

    def run_query(self, query: Query) -> dict[str, Any]:
        """The `QueryResponse` object for a parsed query."""
        with self.lock:
            views = [entity.view() for entity in self.live(query.entity)] if query.entity in KINDS else []
            page, total = select(query, views, self.strictness.change_filter)
        if query.count_only:
            return {"totalCount": total}
        if not page:
            return {}
        # Intuit's reference sample carries totalCount next to startPosition/maxResults (REFINV).
        return {
            query.entity: [json_out(v) for v in page],
            "startPosition": query.start_position,
            "maxResults": len(page),
            "totalCount": len(page),
        }

    def changes_since(self, kinds: Iterable[str], since: datetime) -> list[dict[str, Any]]:
        """The `QueryResponse` list of a change-data-capture answer."""
        now = self.clock.now()
        if since < now - CDC_LOOKBACK:
            raise ChangedSinceTooOld(CDC_LOOKBACK.days)
        names = [name.strip() for name in kinds if name.strip()]
        for name in names:
            if name not in KINDS:
                raise InvalidProperty(
                    f"Unsupported entity for change data capture: {name}", element="entities"
                )
        with self.lock:
            changed = sorted(
                (
                    entity
                    for name in names
                    for entity in self._entities[name].values()
                    if self.strictness.change_filter.admits(entity.updated, since)
                ),
                key=lambda entity: entity.updated,
            )[:CDC_MAX_OBJECTS]
        answer = []
        for name in names:
            of_kind = [json_out(entity.view()) for entity in changed if entity.kind == name]
            answer.append({name: of_kind, "startPosition": 1, "maxResults": len(of_kind)} if of_kind else {})
        return answer

    # -- writing ----------------------------------------------------------------------------

    def _kind(self, kind: str, operation: str) -> EntityKind:
        entity_kind = KINDS.get(kind)
        if entity_kind is None or operation not in entity_kind.operations:
            raise UnsupportedOperation(f"{operation.title()} on {kind}")
        return entity_kind

    def create(
        self,
        kind: str,
        payload: dict[str, Any],
        at: datetime | None = None,
        announce: bool = True,
        entity_id: str | None = None,
    ) -> StoredEntity:
        """Create an entity from a client's JSON (already read by wire.money_in).

        `entity_id` is for the books a company opens with, whose Ids follow Intuit's samples.
        """
        entity_kind = self._kind(kind, "create")
        with self._writing(), self.lock:
            body = bookkeeping.prepare(self, kind, copy.deepcopy(payload), None)
            now = self.clock.now()
            instant = min(at, now) if at else now
            if entity_id is None:
                entity_id = self.next_id(entity_kind.id_series)
            else:
                series = entity_kind.id_series
                self._counters[series] = max(self._counters.get(series, 0), int(entity_id))
            entity = StoredEntity(kind, entity_id, body, 0, instant, instant)
            self._entities[kind][entity.id] = entity
            settlement.after_write(self, entity, None)
            if announce:
                self.announce(entity, "Create", first=True)
        return entity

    def _locked_target(self, kind: str, payload: dict[str, Any]) -> StoredEntity:
        entity_id = payload.get("Id")
        if entity_id in (None, ""):
            raise RequiredParameterMissing("Id")
        entity = self.get(kind, str(entity_id))
        token = payload.get("SyncToken")
        if token in (None, ""):
            raise RequiredParameterMissing("SyncToken")
        if str(token) != str(entity.sync_token):
            raise StaleObject(kind, entity.id)
        return entity

    def revise(
        self,
        entity: StoredEntity,
        body: dict[str, Any],
        operation: str = "Update",
        at: datetime | None = None,
        announce: bool = True,
    ) -> StoredEntity:
        """Store a new version of an entity: SyncToken + 1, LastUpdatedTime now, announce it."""
        with self._writing(), self.lock:
            previous = entity.body
            entity.body = body
            entity.sync_token += 1
            now = self.clock.now()
            entity.updated = max(min(at, now) if at else now, entity.updated)
            if announce:
                self.announce(entity, operation)
            settlement.after_write(self, entity, previous)
        return entity

    def update(self, kind: str, payload: dict[str, Any], at: datetime | None = None) -> StoredEntity:
        """Full update, or sparse when the payload says `"sparse": true` (REFINV)."""
        self._kind(kind, "update")
        with self._writing(), self.lock:
            entity = self._locked_target(kind, payload)
            fields = {k: v for k, v in payload.items() if k not in ("Id", "SyncToken", "sparse", "MetaData")}
            if payload.get("sparse") is True:
                # python-quickbooks sends `"Line": []`, `"LinkedTxn": []`, `"CustomField": []` from a
                # fresh object's defaults; how Intuit treats them in a sparse update is unconfirmed
                # (details §3.7), so an empty list means "not provided" rather than "remove all lines".
                fields = {k: v for k, v in fields.items() if v != []}
                merged = {**copy.deepcopy(entity.body), **copy.deepcopy(fields)}
            else:
                # A full update sets omitted writable fields to NULL; private state carries over.
                merged = {k: v for k, v in entity.body.items() if k.startswith("_")}
                merged.update(copy.deepcopy(fields))
            body = bookkeeping.prepare(self, kind, merged, entity)
            return self.revise(entity, body, at=at)

    def void(self, kind: str, payload: dict[str, Any], at: datetime | None = None) -> StoredEntity:
        """Zero a transaction's amounts but keep it, as voiding does in QuickBooks."""
        self._kind(kind, "void")
        with self._writing(), self.lock:
            entity = self._locked_target(kind, payload)
            if entity.voided:
                raise BusinessValidationError(f"{kind} {entity.id} is already voided")
            return self.revise(entity, settlement.voided_body(self, entity), "Void", at=at)

    def delete(self, kind: str, payload: dict[str, Any], at: datetime | None = None) -> StoredEntity:
        """Delete a transaction or note; it stays as a tombstone for change data capture."""
        self._kind(kind, "delete")
        with self._writing(), self.lock:
            entity = self._locked_target(kind, payload)
            settlement.check_deletable(self, entity)
            previous = entity.body
            entity.deleted = True
            entity.sync_token += 1
            entity.updated = max(at or self.clock.now(), entity.updated)
            self.announce(entity, "Delete")
            settlement.after_write(self, entity, previous)
        return entity

    def merge_customers(
        self, merged_away_id: str, survivor_id: str, at: datetime | None = None
    ) -> StoredEntity:
        """Merge one customer into another (a QuickBooks UI action with its own webhook)."""
        with self._writing(), self.lock:
            gone = self.get("Customer", merged_away_id)
            survivor = self.get("Customer", survivor_id)
            for txn in settlement.transactions_of(self, gone.id):
                body = copy.deepcopy(txn.body)
                body["CustomerRef"] = {"value": survivor.id, "name": survivor.body.get("DisplayName")}
                self.revise(txn, body, at=at)
            gone.deleted = True
            gone.sync_token += 1
            gone.updated = at or self.clock.now()
            self.announce(survivor, "Merge", deleted_id=gone.id, first=True)
        return survivor
