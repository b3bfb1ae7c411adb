"""Every route answers hostile input with a 4xx, never a 5xx: a property-based fuzzer (hypothesis).

It walks ``app.url_map``, so a new route is fuzzed without editing this file. Signed in as the
owner of one organisation, it sends hostile path values, query strings and form bodies (with a
valid CSRF token, so forms are really parsed and validated, and starting from the page's own
form so that one hostile field can pass the rest), and after anything that was accepted it opens
the organisation's pages again: a value that saves and then breaks a page is found too. The
budget is the "hostile-input" settings profile: derandomised, so CI sees the same examples.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.routing import Rule

from integration.connections import Connection
from reminders.dispatch.models import ReminderAction
from reminders.disputes import Dispute
from reminders.logos import check_logo, keep_logo
from reminders.portal.attachments import DisputeAttachment
from reminders.portal.links import live_link, new_link
from reminders.promises import Promise
from reminders.schedules.defaults import DEFAULT_SCHEDULE
from reminders.schedules.models import Schedule, Stage, schedule_from
from runtime import clock
from runtime.db import db
from runtime.tenancy import Membership, Organisation, Role, User
from sync.models import Customer, Invoice, SyncState
from tests.web.test_receivables import sign_in
from tests.web.test_settings import png
from web.portal import SESSION_KEY as PORTAL_SESSION_KEY
from web.request_limits import LARGEST_ID

settings.register_profile(
    "hostile-input",
    max_examples=15,  # per route and method; a form gets FORM_EXAMPLES
    derandomize=True,  # the same examples on every run: CI stays stable
    deadline=None,  # a PDF takes a while; the budget is the number of examples
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "hostile-input-thorough", parent=settings.get_profile("hostile-input"), max_examples=500
)
PROFILE = "hostile-input"
FORM_EXAMPLES = 4  # times the profile's examples: a form has many fields to get wrong

# Values that broke something once, or break things in general.
NASTY = [
    "",
    "\x00",
    "%00",
    "a\x00b",
    "\ud800",
    "\udfff\ud800",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999999",
    "-1e999999",
    "1e-999999",
    "9" * 5000,
    "100000000000000000000",
    str(2**31),
    str(2**31 - 1),
    str(2**63),
    str(2**64),
    "-1",
    "0",
    "1_000",
    "٣٠",
    "0x1F",
    "9999-12-31",
    "0001-01-01",
    "99999-01-01",
    "2026-02-30",
    "30, 60, 90, 100000000000000000000",
    "30,,,60",
    "60, 30",
    " ",
    "../../../etc/passwd",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "Europe/London\x00",
    "Etc/GMT+5",
    "a" * 10_000,
]
hostile_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers().map(str))
hostile_id = st.one_of(
    st.sampled_from([0, 1, LARGEST_ID, LARGEST_ID + 1, 2**63 - 1, 2**63, 2**64, 10**20, -1]),
    st.integers(min_value=-(2**70), max_value=2**70),
    hostile_text,
)
# What a form field gets: the nasty strings, and numbers and lists of numbers of any size.
form_value = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NASTY),  # twice: the values that broke things before come up more often
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.lists(st.integers(min_value=1, max_value=10**30), min_size=1, max_size=9, unique=True).map(
        lambda days: ", ".join(map(str, sorted(days)))
    ),
    st.text(max_size=20),
    st.sampled_from(["NaN", "Infinity", "1e999999", "-0", "1E+30"]),  # numbers Decimal reads
    st.integers(min_value=4, max_value=30).map(
        lambda digits: f"30, 60, {10**digits}"
    ),  # 10**4 to 10**30 days
)
QUERY_NAMES = ["realmId", "as_of", "detail", "state", "code", "error", "error_description", "next", "scope"]


def encoded(value: object) -> str:
    """Percent-encoded as a hostile client would send it: lone surrogates as the bytes they would be."""
    return quote(str(value), safe="", errors="surrogatepass")


def query_string(pairs: dict[str, str]) -> str:
    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in pairs.items())


class FormReader(HTMLParser):
    """The fields of a page's forms and their current values (inputs, selected options, text areas)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields[name] = found.get("value") or ""
        elif tag in ("select", "textarea") and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and ("selected" in found or self._select not in self.fields):
            self.fields[self._select] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("select", "textarea"):
            self._select = None


def fields_of(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    return reader.fields


def _blank_pdf() -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter

    writer, out = PdfWriter(), BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def owner(session, redis_client):  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd", base_currency="NZD")
    user = User(email="owner@harbour.example", name="Owner")
    session.add_all([organisation, user])
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=Role.OWNER.value))
    # Connected, so that every page of the organisation exists (Disconnect's confirmation too).
    connection = Connection(
        organisation_id=organisation.id, provider="xero", tenant_id="t-1", tenant_name="Harbour"
    )
    session.add(connection)
    session.flush()
    session.add(SyncState(connection_id=connection.id, first_completed_at=clock.now()))  # the mirror is whole
    keep_logo(session, organisation.id, check_logo(png()))  # so that its logo's address answers too
    # A customer whose id is the organisation's: own_pages() fills every ``…_id`` with that id.
    session.add(
        Customer(
            id=organisation.id,
            organisation_id=organisation.id,
            ledger_id="c-1",
            name="Tui Catering",
            ledger_updated_at=clock.now(),
        )
    )
    session.flush()
    # A letter to post whose id is the organisation's too (the reminders pages about one).
    session.add(
        ReminderAction(
            id=organisation.id, organisation_id=organisation.id, customer_id=organisation.id,
            key="letter", stage_key="final", stage_name="Final demand", channel="letter", cycle="x",
            planned_for=clock.today(), status="sent", letter_pdf=_blank_pdf(),
        )
    )  # fmt: skip
    # A promise to pay whose id is the organisation's too (the routes about one).
    session.add(
        Promise(
            id=organisation.id, organisation_id=organisation.id, customer_id=organisation.id,
            amount=Decimal("10.00"), currency="NZD", promised_on=clock.today(), until=clock.today(),
        )
    )  # fmt: skip
    # The portal's: an open invoice and a dispute of that customer whose ids are the organisation's.
    session.add(
        Invoice(
            id=organisation.id, organisation_id=organisation.id, ledger_id="i-1", customer_ledger_id="c-1",
            number="INV-1", status="open", currency="NZD", issued_on=clock.today(), due_on=clock.today(),
            total=Decimal("100.00"), amount_due=Decimal("100.00"), amount_paid=Decimal(0),
            amount_credited=Decimal(0), ledger_updated_at=clock.now(),
        )
    )  # fmt: skip
    session.add(
        Dispute(
            id=organisation.id,
            organisation_id=organisation.id,
            customer_id=organisation.id,
            invoice_ledger_id="i-0",
        )
    )
    session.flush()
    session.add(
        DisputeAttachment(
            id=organisation.id, dispute_id=organisation.id, organisation_id=organisation.id,
            filename="photo.png", content_type="image/png", size=8, data=b"\x89PNG\r\n\x1a\n",
        )
    )  # fmt: skip
    # A schedule and a stage whose ids are the organisation's too (one stage: no other id to clash).
    schedule = schedule_from(DEFAULT_SCHEDULE, organisation.id, "en", id=organisation.id, is_default=True)
    schedule.stages = schedule.stages[:1]
    schedule.stages[0].id = organisation.id
    session.add(schedule)
    session.commit()
    # PostgreSQL's sequences do not see ids given by hand (nor are they reset between tests): move
    # each past the ids taken above, or the first row a route adds collides with one of them.
    if session.get_bind().dialect.name == "postgresql":
        for model in (
            Customer,
            ReminderAction,
            Promise,
            Schedule,
            Stage,
            Invoice,
            Dispute,
            DisputeAttachment,
        ):
            table = model.__table__.name
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
        session.commit()
    return organisation.id, user.id


def fuzzable(app) -> list[tuple[Rule, str]]:  # type: ignore[no-untyped-def]
    """Every route and method the app answers, but the static files (werkzeug serves those)."""
    return [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
        if rule.endpoint != "static"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def path_of(rule: Rule, values: dict[str, object]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: encoded(values[match.group(1)]), rule.rule)


def own_pages(app, organisation_id: int, *, printed: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page of the organisation a person opens with GET: what a saved value could break
    (``printed=False`` leaves out the PDFs, which print what the HTML page shows, slowly)."""
    return [
        path_of(rule, {name: organisation_id for name in rule.arguments})
        for rule, method in fuzzable(app)
        if method == "GET" and rule.arguments and all(name.endswith("_id") for name in rule.arguments)
        if printed or not rule.rule.endswith(".pdf")
    ]


# Every route of the app, a few dozen hypothesis examples each: minutes, more than the suite's
# default per-test timeout (pyproject.toml) on a loaded 2-core machine.
@pytest.mark.timeout(1200)
def test_every_route_answers_hostile_input_without_a_5xx(app, client, owner) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = owner
    routes = fuzzable(app)
    assert len(routes) >= 15  # the fuzzer really walks the app
    pages = own_pages(app, organisation_id, printed=False)
    assert any(page.endswith("/settings") for page in pages)

    for rule, method in routes:
        fuzz(app, client, rule, method, organisation_id, user_id, pages)


def fuzz(app, client, rule: Rule, method: str, organisation_id: int, user_id: int, pages: list[str]) -> None:  # type: ignore[no-untyped-def]
    own = st.just(organisation_id)
    ids = st.one_of(own, own, own, hostile_id)  # mostly the organisation's own id, so forms are reached
    path_values = st.fixed_dictionaries(
        {
            name: ids
            if name.endswith("_id")
            else st.one_of(st.sampled_from(["xero", "quickbooks"]), hostile_text)
            for name in rule.arguments
        }
    )
    query = st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), hostile_text), hostile_text, max_size=3)

    examples = settings.get_profile(PROFILE).max_examples

    @settings(settings.get_profile(PROFILE))
    @given(path=path_values, query=query)
    def hostile_address(path: dict[str, object], query: dict[str, str]) -> None:
        """Hostile path values and query strings (a POST carries the page's own valid form)."""
        sign_in(client, user_id)  # again: the fuzzer may have signed out
        enter_portal(client, rule, organisation_id)
        url = path_of(rule, path) + (f"?{query_string(query)}" if query else "")
        answer = (
            client.get(url) if method == "GET" else post(url, form_for(client, rule, path, organisation_id))
        )
        assert answer.status_code < 500, f"{method} {url} -> {answer.status_code}"
        after_saving(answer, f"{method} {url}")

    @settings(settings.get_profile(PROFILE), max_examples=examples * FORM_EXAMPLES)
    @given(changes=st.data())
    def hostile_form(changes: st.DataObject) -> None:
        """The organisation's own address, and one or two fields of its form hostile."""
        sign_in(client, user_id)
        enter_portal(client, rule, organisation_id)
        path = {name: organisation_id for name in rule.arguments}
        url = path_of(rule, path)
        form = form_for(client, rule, path, organisation_id)
        field = st.sampled_from(sorted(set(form) - {"csrf_token"}) or ["name"])
        names = st.one_of(*[field] * 6, hostile_text)  # mostly the form's own fields
        form.update(changes.draw(st.dictionaries(names, form_value, min_size=1, max_size=2), label="form"))
        answer = post(url, form)
        assert answer.status_code < 500, f"{method} {url} with {form} -> {answer.status_code}"
        after_saving(answer, f"{method} {url} with {form}")

    def post(url: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
        body = "&".join(f"{encoded(name)}={encoded(value)}" for name, value in form.items())
        return client.post(url, data=body, content_type="application/x-www-form-urlencoded")

    saved: list[str] = []

    def after_saving(answer, what: str) -> None:  # type: ignore[no-untyped-def]
        if answer.status_code < 400 and method == "POST":
            saved.append(what)

    def pages_still_open() -> None:
        """After the route's accepted saves, do the pages still open? What a hostile save broke
        stays broken in the database, so one look after the route's examples finds it (one look
        per save made the walk grow as routes times pages times examples)."""
        if not saved:
            return
        sign_in(client, user_id)
        for page in pages:
            assert client.get(page).status_code < 500, f"{page} broke after one of {saved[-5:]}"
        saved.clear()

    hostile_address()
    pages_still_open()
    if method == "POST" and all(name.endswith("_id") for name in rule.arguments):
        hostile_form()
        pages_still_open()


def enter_portal(client, rule: Rule, organisation_id: int) -> None:  # type: ignore[no-untyped-def]
    """For the portal's routes, hold the customer's link in this browser's session."""
    if rule.endpoint.startswith("portal."):
        hold_portal_link(client, organisation_id)


def hold_portal_link(client, organisation_id: int) -> None:  # type: ignore[no-untyped-def]
    """Hold the customer's link in this browser's session, as a customer who followed it does (a
    link the fuzzer revoked on the customer's page is made again), with no portal request counted
    against the rate limits (they would turn the examples into 429s, and the pages' forms into
    nothing to fuzz)."""
    counts = client.application.extensions["redis"]
    for key in counts.scan_iter("relance:rate:*"):
        counts.delete(key)
    link = live_link(db.session(), organisation_id, organisation_id) or new_link(
        db.session(), organisation_id, organisation_id
    )
    db.session.commit()
    with client.session_transaction() as flask_session:
        flask_session[PORTAL_SESSION_KEY] = [link.id, link.nonce]


def form_for(client, rule: Rule, path: dict[str, object], organisation_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The form the route's own page shows (so one hostile field can pass all the others) with a
    valid CSRF token; a route without a page of its own gets just the token."""
    own = {name: organisation_id for name in rule.arguments if name.endswith("_id")}
    page = client.get(path_of(rule, {**path, **own})) if "GET" in rule.methods else None
    fields = fields_of(page.text) if page is not None and page.status_code == 200 else {}
    if "csrf_token" not in fields:
        fields["csrf_token"] = fields_of(client.get(f"/organisations/{organisation_id}/settings").text)[
            "csrf_token"
        ]
    return fields


@pytest.mark.parametrize(
    "hostile", [str(LARGEST_ID + 1), str(2**63), str(2**64), "10" * 20, "0", "-1", "1e3"]
)
def test_an_id_past_what_the_database_holds_is_a_404_on_every_route(app, client, owner, hostile: str) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = owner
    sign_in(client, user_id)
    token = fields_of(client.get(f"/organisations/{organisation_id}/settings").text)["csrf_token"]
    routes = [
        (rule, method)
        for rule, method in fuzzable(app)
        if any(name.endswith("_id") for name in rule.arguments)
    ]
    assert routes

    for rule, method in routes:
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+_id)>", hostile, rule.rule)
        answer = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert answer.status_code == 404, f"{method} {url} -> {answer.status_code}"


def test_a_nul_in_the_query_string_is_a_400(client, owner) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/marketplace/quickbooks/disconnect?realmId=%00",
        "/connect/quickbooks/callback?realmId=1%002&state=x",
    ):
        assert client.get(url).status_code == 400, url


@pytest.mark.parametrize(
    "field, value",
    [
        ("aging_edges", "30, 60, 100000000000000000000"),
        ("aging_edges", "30, 60, 3651"),
        ("aging_edges", "1_000"),
        ("large_account_threshold", "1e999999"),
        ("large_account_threshold", "NaN"),
        ("large_account_threshold", "Infinity"),
        ("large_account_threshold", "1000000000000.01"),
    ],
)
def test_a_setting_that_would_break_the_pages_is_refused(app, client, owner, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = owner
    sign_in(client, user_id)
    path = f"/organisations/{organisation_id}/settings"
    form = fields_of(client.get(path).text)

    answer = client.post(path, data={**form, field: value})

    assert answer.status_code == 400
    hold_portal_link(client, organisation_id)  # the customer's portal ages too
    for page in own_pages(app, organisation_id):
        assert client.get(page).status_code == 200, page
