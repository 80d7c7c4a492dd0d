"""What a request may ask for, validated: a session name, a window, a page of changes.

Every value from a request is checked here before it reaches a query (as a parameter, never as
SQL) or the report renderer; a bad one is a UsageError whose message the response carries (400).
No value ever names a file: the store is the one given on the command line.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from stswatch.errors import UsageError
from stswatch.reports.window import Moment, WindowRequest, parse_moment

MAX_SESSION_NAME = 256
MAX_QUERY_VALUE = 64
PAGE_DEFAULT = 100
PAGE_MAX = 1_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"^[0-9]{1,19}$")
# A StatefulSet as NAME or NAMESPACE/NAME (DNS labels and subdomains, as the API accepts them).
_STATEFULSET = re.compile(
    r"^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$"
)


@dataclass(frozen=True)
class Page:
    """A page of changes: those with ids above `after`, at most `limit` of them."""

    after: int
    limit: int


def session_name(text: str) -> str:
    """A session name from a request path: any name a recorder may have used, bounded, printable.

    A name is only ever a query parameter, so `../` or markup is just a name no session has.
    """
    if not text or len(text) > MAX_SESSION_NAME or _CONTROL.search(text):
        raise UsageError(f"a session name is 1 to {MAX_SESSION_NAME} printable characters")
    return text


def window_of(query: Mapping[str, str]) -> WindowRequest | None:
    """`?since=&until=&statefulset=` as a window, or None when nothing narrows the session."""
    since = _moment(query, "since")
    until = _moment(query, "until")
    statefulset = _value(query, "statefulset")
    if statefulset is not None and not _STATEFULSET.match(statefulset):
        raise UsageError(
            f"statefulset={statefulset!r} is not a StatefulSet name (NAME or NAMESPACE/NAME)"
        )
    request = WindowRequest(since, until, statefulset)
    return None if request.empty else request


def page_of(query: Mapping[str, str]) -> Page:
    """`?after=ID&limit=N`: changes after id ID (default 0), N of them (default 100, at most
    1,000)."""
    after = _integer(query, "after", default=0, highest=2**62)
    limit = _integer(query, "limit", default=PAGE_DEFAULT, highest=PAGE_MAX)
    if limit < 1:
        raise UsageError(f"limit={limit} is below 1 (a page holds 1 to {PAGE_MAX} changes)")
    return Page(after, limit)


def _value(query: Mapping[str, str], key: str) -> str | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    if len(value) > MAX_QUERY_VALUE or _CONTROL.search(value):
        raise UsageError(f"{key}= is at most {MAX_QUERY_VALUE} printable characters")
    return value


def _moment(query: Mapping[str, str], key: str) -> Moment | None:
    value = _value(query, key)
    if value is None:
        return None
    return parse_moment(value)


def _integer(query: Mapping[str, str], key: str, *, default: int, highest: int) -> int:
    value = _value(query, key)
    if value is None:
        return default
    if not _DIGITS.match(value) or int(value) > highest:
        raise UsageError(f"{key}={value!r} is not a whole number from 0 to {highest:,}")
    return int(value)
