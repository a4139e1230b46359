"""The accesslog backlog is streamed page by page from the real slapd, never gathered in memory (#13)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from connectors.ldap import accesslog
from connectors.ldap.connection import connect, read_password
from connectors.ldap.values import text
from tests.connectors.ldap.conftest import Traffic
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import LdapSource


def test_accesslog_is_read_lazily_across_pages_with_the_newest_start_kept(
    context_for: Callable[[str], CollectContext], traffic: Traffic,
) -> None:
    registered = context_for("dirco-starttls").source
    assert isinstance(registered, LdapSource) and registered.accesslog_base
    source = registered.model_copy(update={"page_size": 2})  # small pages: the backlog spans many
    assert source.accesslog_base
    directory = connect(source, read_password(source))
    try:
        everything = list(directory.paged(source.accesslog_base, accesslog.search_filter(None),
                                          accesslog.ACCESSLOG_ATTRIBUTES, "test: whole accesslog"))
        assert len(everything) > 2 * source.page_size  # several pages
        newest = accesslog.NewestStart()
        stream = newest.seen(accesslog.get_accesslog(directory, source.accesslog_base, None))
        assert isinstance(stream, Iterator) and not isinstance(stream, list)
        first = next(stream)  # the first page is there before the rest is asked for
        assert newest.value == text(first.attributes, "reqstart")
        rest = sum(1 for _ in stream)
    finally:
        directory.connection.unbind()
    assert rest + 1 == len(everything)
    assert newest.value == max(s for e in everything if (s := text(e.attributes, "reqstart")))
