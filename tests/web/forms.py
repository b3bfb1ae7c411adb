"""Reading the forms of a page in the web tests."""

from __future__ import annotations

import re


def csrf_of(page: str) -> str:
    """The CSRF token of the page's first form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)
