"""Who may connect to what: developer apps, sandbox users, and the connections between them.

In Xero a connection links one app to one organisation for the user who consented; GET
/connections lists them and DELETE /connections/{id} removes one (OAS-ID). A token reaches a
tenant only while such a connection is active, which is how the sandbox answers 403.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class WebhookSubscription:
    """An app's webhook: where to deliver and the key to sign with; enabled once intent is proven."""

    url: str
    signing_key: str
    enabled: bool = False
    disabled_reason: str | None = None


@dataclass
class XeroApp:
    """A developer app (client) registered with the sandbox."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: list[str] = field(default_factory=list)
    webhook: WebhookSubscription | None = None


@dataclass(frozen=True)
class SandboxUser:
    """A Xero login that can see every organisation in the sandbox."""

    user_id: str
    email: str
    password: str
    first_name: str = "Sandy"
    last_name: str = "Box"


@dataclass
class Connection:
    """One app connected to one tenant by one user."""

    connection_id: str
    client_id: str
    user_id: str
    tenant_id: str
    auth_event_id: str
    created_at: datetime
    updated_at: datetime
    active: bool = True


class Directory:
    """Apps, users and connections, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.apps: dict[str, XeroApp] = {}
        self.users: dict[str, SandboxUser] = {}
        self.connections: dict[str, Connection] = {}

    def register_app(
        self,
        redirect_uris: list[str] | None = None,
        name: str = "Relance",
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> XeroApp:
        """A new app with fresh (or given) credentials."""
        app = XeroApp(
            client_id=client_id or secrets.token_hex(16).upper(),
            client_secret=client_secret or secrets.token_urlsafe(36),
            name=name,
            redirect_uris=list(redirect_uris or []),
        )
        with self._lock:
            self.apps[app.client_id] = app
        return app

    def add_user(self, email: str, password: str) -> SandboxUser:
        """A login for the authorize page."""
        user = SandboxUser(str(uuid.uuid4()), email, password)
        with self._lock:
            self.users[user.user_id] = user
        return user

    def user_by_login(self, email: str, password: str) -> SandboxUser | None:
        """The user whose email and password match, if any."""
        with self._lock:
            return next(
                (
                    u
                    for u in self.users.values()
                    if u.email.lower() == email.strip().lower() and u.password == password
                ),
                None,
            )

    def connect(
        self, client_id: str, user_id: str, tenant_id: str, auth_event_id: str, now: datetime
    ) -> Connection:
        """Create or refresh the connection of an app to a tenant for a user."""
        with self._lock:
            for connection in self.connections.values():
                if (connection.client_id, connection.user_id, connection.tenant_id) == (
                    client_id,
                    user_id,
                    tenant_id,
                ):
                    connection.auth_event_id = auth_event_id
                    connection.updated_at = now
                    connection.active = True
                    return connection
            connection = Connection(str(uuid.uuid4()), client_id, user_id, tenant_id, auth_event_id, now, now)
            self.connections[connection.connection_id] = connection
            return connection

    def connections_of(self, client_id: str, user_id: str) -> list[Connection]:
        """Active connections an app's token for this user reaches."""
        with self._lock:
            return [
                c
                for c in self.connections.values()
                if c.client_id == client_id and c.user_id == user_id and c.active
            ]

    def reaches(self, client_id: str, user_id: str, tenant_id: str) -> bool:
        """True if the tenant is connected for this app and user."""
        return any(c.tenant_id == tenant_id for c in self.connections_of(client_id, user_id))

    def disconnect(self, connection_id: str) -> Connection | None:
        """Deactivate one connection; None if unknown or already gone."""
        with self._lock:
            connection = self.connections.get(connection_id)
            if connection is None or not connection.active:
                return None
            connection.active = False
            return connection

    def disconnect_all(self, client_id: str, user_id: str) -> int:
        """Deactivate every connection of an app for a user (token revocation)."""
        with self._lock:
            gone = [
                c
                for c in self.connections.values()
                if c.client_id == client_id and c.user_id == user_id and c.active
            ]
            for connection in gone:
                connection.active = False
            return len(gone)

    def tenants_connected_to(self, client_id: str) -> set[str]:
        """Tenants with at least one active connection to the app (webhooks go only there)."""
        with self._lock:
            return {c.tenant_id for c in self.connections.values() if c.client_id == client_id and c.active}
