"""How strictly the sandbox reads what clients send, where Intuit's behaviour is not published.

Each setting is one question no source settles, so tests can run Relance against both answers:

- ``change_filter``: whether CDC's ``changedSince`` and a query's ``MetaData.LastUpdatedTime >=``
  keep a record stamped in the bound's own second (common/change_filter.py). INCLUSIVE, the
  default, is what the sandbox always did;
- ``one_sort_key``: Intuit documents ORDERBY with one sort attribute (DQ: ``[ORDERBY
  OrderByClause]``, one ``PropertyName [ASC|DESC]``) and no example sorts by two. With it on, a
  second key is a syntax error (QueryParserError 4000, the parser's "Encountered … Was expecting
  one of" form). Off by default, as before, since no source says Intuit refuses it either;
- ``unknown_fields``: a write body with a property the entity does not have is refused with
  Intuit's 2010 (python-quickbooks#38 and #80 show the answer); on by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from integration.sandbox.common.change_filter import ChangeFilter


@dataclass(frozen=True)
class Strictness:
    """The sandbox's answers to what Intuit does not document (defaults: the lenient ones)."""

    change_filter: ChangeFilter = ChangeFilter.INCLUSIVE
    one_sort_key: bool = False
    unknown_fields: bool = True
