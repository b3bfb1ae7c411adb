"""English and French from the start: every string of the UI is translatable and translated.

The UI's strings are extracted here exactly as `make translations` does (babel.cfg), and each
must have a French translation in web/translations/fr (the catalogue the build compiles). A
template's visible text must go through the translation functions; the check reads every
template's text outside Jinja's tags (a template that is not yet converted fails it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.conftest import REPO

FRENCH = REPO / "web" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
# Words that read the same in both languages, or are names: they need no translation.
SAME_IN_BOTH = {"Relance", "Xero", "QuickBooks", "Intuit", "CSV", "PDF", "DSO", "CEI", "OK", "Email", "Total"}


def extracted() -> set[str]:
    with (REPO / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(REPO),
        method_map,
        options_map,
        keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_of_the_ui_has_a_french_translation() -> None:
    with FRENCH.open("rb") as source:
        french = read_po(source)
    translated = {
        (message.id if isinstance(message.id, str) else message.id[0])
        for message in french
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else (message.string,))
    }
    missing = sorted(extracted() - translated)
    assert missing == [], (
        f"not translated into French ({len(missing)}); run `make translations` and translate"
    )


_JINJA = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated_text(template: str) -> list[str]:
    """Visible text written straight into a template instead of through ``_()``/``{% trans %}``."""
    without_trans = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", template, flags=re.S)
    text = _ENTITY.sub(" ", _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", _JINJA.sub(" ", without_trans))))
    # Attributes people read (placeholder, title, aria-label, alt) count as visible text too.
    attributes = re.findall(
        r'\b(?:placeholder|title|aria-label|alt)="([^"{]*)"', _JINJA.sub("", without_trans)
    )
    words = [chunk.strip() for chunk in re.split(r"\n|\s{2,}", text) + attributes]
    return [chunk for chunk in words if set(_WORD.findall(chunk)) - SAME_IN_BOTH]


def staff_and_portal_templates() -> list[Path]:
    return sorted((REPO / "web").rglob("templates/**/*.html"))


@pytest.mark.parametrize(
    "template", staff_and_portal_templates(), ids=lambda path: path.relative_to(REPO / "web").as_posix()
)
def test_templates_write_no_text_outside_the_translation_functions(template: Path) -> None:
    assert untranslated_text(template.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    ["<p>Your organisations</p>", '<input placeholder="Search">', "{% if x %}Connected{% endif %}"],
)
def test_the_template_check_finds_bare_text(snippet: str) -> None:
    assert untranslated_text(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    [
        "<p>{{ _('Your organisations') }}</p>",
        "{% trans %}Hello{% endtrans %}",
        "<td>{{ customer.name }}</td>",
        "<b>PDF</b>",
    ],
)
def test_the_template_check_lets_translated_text_through(snippet: str) -> None:
    assert untranslated_text(snippet) == []


def test_a_person_who_chooses_french_reads_the_app_in_french(app, client, session) -> None:  # type: ignore[no-untyped-def]
    from runtime.tenancy import Membership, Organisation, User
    from tests.web.test_receivables import sign_in

    organisation = Organisation(name="Boulangerie Dupont", base_currency="EUR", timezone="Europe/Paris")
    person = User(email="owner@dupont.example", name="Owner")
    session.add_all([organisation, person])
    session.flush()
    session.add(Membership(user_id=person.id, organisation_id=organisation.id))
    session.commit()
    sign_in(client, person.id)

    page = client.get(f"/organisations/{organisation.id}", headers={"Accept-Language": "en-GB"})
    assert "Sign out" in page.text and 'lang="en"' in page.text

    app.config["WTF_CSRF_ENABLED"] = False  # CSRF on this form is the hostile-input tests' subject
    chosen = client.post("/language", data={"language": "fr", "next": f"/organisations/{organisation.id}"})
    assert chosen.status_code == 303 and chosen.headers["Location"].endswith(
        f"/organisations/{organisation.id}"
    )
    page = client.get(chosen.headers["Location"], headers={"Accept-Language": "en-GB"})
    assert 'lang="fr"' in page.text and "Se déconnecter" in page.text and "Sign out" not in page.text


def test_the_language_switcher_only_goes_back_to_this_site(app, client) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.post("/language", data={"language": "fr", "next": elsewhere})
        assert answer.status_code == 303 and answer.headers["Location"] in ("/", "http://localhost/")
