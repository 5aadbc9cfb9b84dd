"""signalkit's "Signal receivers" admin page: access, content, filters, read-only, setting."""

from __future__ import annotations

import functools
import html
import re
import sys
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.dispatch import Signal
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from signalkit import registry
from signalkit.admin import SEARCH_MAX_LENGTH, ReceiverAdmin
from signalkit.conf import conf
from signalkit.discovery import catalogue
from signalkit.models import Receiver
from signalkit.presentation import count
from signalkit.registry import snapshot
from tests.conftest import DEAD_RECEIVER_UID
from tests.factories import (
    ReceiversViewerFactory,
    StaffUserFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.processes import REPO_ROOT, run_python
from tests.registry_app import hostile

pytestmark = pytest.mark.django_db

URL = "/admin/signalkit/receiver/"
LOGIN_URL = "/admin/login/"


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def viewer_client(client: Client) -> Client:
    """A client logged in as staff holding signalkit.view_receiver (not a superuser)."""
    client.force_login(ReceiversViewerFactory())
    return client


@pytest.fixture
def viewer() -> User:
    """Staff holding signalkit.view_receiver (not a superuser)."""
    return ReceiversViewerFactory()


def get_page(user: User, **params: str) -> TemplateResponse:
    """The page rendered for ``user`` through the admin's URL and its ``admin_view``.

    Not through the test client: it connects receivers of its own while a request runs.
    """
    request = RequestFactory().get(URL, params)
    request.user = user
    response = resolve(URL).func(request)
    assert response.status_code == 200, response
    assert isinstance(response, TemplateResponse)
    return response.render()


def client_get(client: Client, **params: str) -> HttpResponse:
    response = client.get(URL, params)
    assert response.status_code == 200, response
    return response


def text_of(fragment: str) -> str:
    """The text a browser shows for an HTML fragment, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", fragment.replace("<wbr>", ""))
    return " ".join(html.unescape(without_tags).split())


def receiver_rows(response: HttpResponse) -> list[tuple[str, str]]:
    """(receiver path, the row's whole text) for every receiver row, in page order."""
    content = response.content.decode()
    rows = []
    for row in re.findall(r'<tr class="sk-receiver[^"]*">(.*?)</tr>', content, re.DOTALL):
        path = re.search(r'<code class="sk-path">(.*?)</code>', row, re.DOTALL)
        assert path is not None, row
        rows.append((text_of(path.group(1)), text_of(row)))
    return rows


def listed_paths(response: HttpResponse) -> list[str]:
    return [path for path, _ in receiver_rows(response)]


def row_of(response: HttpResponse, path: str) -> str:
    texts = [text for listed, text in receiver_rows(response) if listed == path]
    assert len(texts) == 1, (path, listed_paths(response))
    return texts[0]


def group_titles(response: HttpResponse) -> list[str]:
    content = response.content.decode()
    return [
        text_of(title)
        for title in re.findall(r'<tr class="sk-signal">(.*?)</tr>', content, re.DOTALL)
    ]


def errors(response: HttpResponse) -> list[str]:
    content = response.content.decode()
    return [text_of(e) for e in re.findall(r'<p class="errornote">(.*?)</p>', content, re.DOTALL)]


# Receivers the tests connect to the probe signal (tests.probe, see conftest.py).


def probe_receiver(sender: object, **kwargs: Any) -> None:
    pass


async def async_probe_receiver(sender: object, **kwargs: Any) -> None:
    pass


def receiver_without_kwargs(sender: object) -> None:
    pass


def numbered_receiver(number: int, sender: object, **kwargs: Any) -> int:
    return number


PROBE_PATH = f"{__name__}.probe_receiver"


class UniqueSender:
    """A sender no other receiver of the test settings is connected for."""


UNIQUE_SENDER = f"{__name__}.UniqueSender"


@pytest.fixture
def connect(probe: Signal) -> Iterator[Callable[..., None]]:
    """``connect(receiver, **connect_kwargs)`` on the probe signal, disconnected after."""
    connected: list[tuple[Any, dict[str, Any]]] = []

    def connect_(receiver: Any, **kwargs: Any) -> None:
        probe.connect(receiver, **kwargs)
        connected.append((receiver, kwargs))

    yield connect_
    for receiver, kwargs in connected:
        probe.disconnect(
            receiver, sender=kwargs.get("sender"), dispatch_uid=kwargs.get("dispatch_uid")
        )


# --- who may see it ---------------------------------------------------------------------


def test_anonymous_users_are_redirected_to_the_admin_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={URL}"


def test_active_users_who_are_not_staff_are_redirected_to_the_admin_login(
    client: Client,
) -> None:
    client.force_login(UserFactory())

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={URL}"


def test_non_staff_users_with_the_permission_are_still_redirected_to_the_login(
    client: Client,
) -> None:
    client.force_login(ReceiversViewerFactory(is_staff=False))

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_inactive_superusers_are_redirected_to_the_admin_login(client: Client) -> None:
    user = SuperuserFactory(is_active=False)
    client.force_login(user)  # as if deactivated after logging in

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_staff_without_the_view_permission_are_forbidden(client: Client) -> None:
    client.force_login(StaffUserFactory())

    response = client.get(URL)

    assert response.status_code == 403


def test_staff_with_the_view_permission_see_the_page(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())

    response = client.get(URL)

    assert response.status_code == 200
    assert "<h1>Signal receivers</h1>" in response.content.decode()


def test_superusers_see_the_page(client: Client) -> None:
    client.force_login(SuperuserFactory())

    response = client.get(URL)

    assert response.status_code == 200
    assert "<h1>Signal receivers</h1>" in response.content.decode()


def test_the_model_has_exactly_one_permission_view_receiver() -> None:
    permissions = Permission.objects.filter(content_type__app_label="signalkit")

    assert [(p.codename, p.name) for p in permissions] == [
        ("view_receiver", "Can view signal receivers")
    ]


def test_the_page_is_registered_on_the_stock_admin_site() -> None:
    assert isinstance(admin.site._registry[Receiver], ReceiverAdmin)
    assert reverse("admin:signalkit_receiver_changelist") == URL


def test_the_admin_index_links_to_the_page_for_a_viewer(viewer_client: Client) -> None:
    content = viewer_client.get("/admin/").content.decode()

    assert f'<a href="{URL}">Signal receivers</a>' in content


def test_the_admin_index_hides_the_page_from_staff_without_the_permission(
    client: Client,
) -> None:
    client.force_login(StaffUserFactory())

    content = client.get("/admin/").content.decode()

    assert URL not in content


def test_the_admin_index_offers_no_add_link_for_the_page(viewer_client: Client) -> None:
    content = viewer_client.get("/admin/").content.decode()

    assert f"{URL}add/" not in content


@pytest.mark.parametrize("suffix", ["add/", "1/", "1/change/", "1/delete/", "1/history/"])
def test_the_other_admin_urls_of_the_model_do_not_exist(client: Client, suffix: str) -> None:
    client.force_login(SuperuserFactory())

    response = client.get(f"{URL}{suffix}")

    assert response.status_code == 404


def test_the_page_refuses_post(client: Client) -> None:
    client.force_login(SuperuserFactory())

    response = client.post(URL, {"q": "x"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_the_page_answers_head(client: Client) -> None:
    client.force_login(SuperuserFactory())

    response = client.head(URL)

    assert response.status_code == 200


def test_the_admin_refuses_adding_changing_and_deleting_for_superusers_too(
    rf: RequestFactory,
) -> None:
    request = rf.get(URL)
    request.user = SuperuserFactory()
    model_admin = admin.site._registry[Receiver]

    assert model_admin.get_model_perms(request) == {
        "add": False,
        "change": False,
        "delete": False,
        "view": True,
    }


# --- read-only ------------------------------------------------------------------------


def test_viewing_the_page_runs_only_select_queries(viewer_client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        client_get(viewer_client)

    statements = [query["sql"].lstrip().split()[0].upper() for query in queries]
    assert statements
    assert set(statements) == {"SELECT"}, statements


def test_viewing_the_page_imports_and_connects_nothing(viewer_client: Client) -> None:
    viewer_client.get("/admin/")  # the admin's templates and template tags load here
    modules = set(sys.modules)
    receivers = {path: list(signal.receivers) for path, signal in catalogue().items()}

    client_get(viewer_client, q="update", app="auth")

    assert set(sys.modules) - modules == set()
    assert {path: list(signal.receivers) for path, signal in catalogue().items()} == receivers


def test_the_query_count_does_not_depend_on_the_number_of_receivers(
    client: Client, connect: Callable[..., None]
) -> None:
    client.force_login(ReceiversViewerFactory())
    for number in range(10):
        connect(functools.partial(numbered_receiver, number), weak=False)
    with CaptureQueriesContext(connection) as with_10:
        assert "(10 receivers)" in text_of(
            client_get(client, signal="tests.probe").content.decode()
        )
    for number in range(10, 1_000):
        connect(functools.partial(numbered_receiver, number), weak=False)

    with CaptureQueriesContext(connection) as with_1000:
        content = client_get(client, signal="tests.probe").content.decode()

    assert "(1000 receivers)" in text_of(content)
    assert len(with_1000) == len(with_10), [q["sql"] for q in with_1000]


# --- escaping ---------------------------------------------------------------------------


def script_receiver(sender: object, **kwargs: Any) -> None:
    pass


script_receiver.__qualname__ = "<script>alert('receiver')</script>"


class HtmlSender:
    """A sender whose repr is markup: the page must print it, never interpret it."""

    def __repr__(self) -> str:
        return '<img src=x onerror="alert(1)"><b>sender</b>'


HTML_SENDER = HtmlSender()  # module level: Django < 6.0 keeps only id(sender)


def test_receiver_and_sender_names_are_escaped(viewer: User, connect: Callable[..., None]) -> None:
    connect(script_receiver, sender=HTML_SENDER)

    content = get_page(viewer).content.decode()

    assert "<script>alert" not in content
    assert "<img src=x" not in content
    assert "<b>sender</b>" not in content
    shown = content.replace("<wbr>", "")  # line-break opportunities after dots and slashes
    assert "&lt;script&gt;alert(&#x27;receiver&#x27;)&lt;/script&gt;" in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;b&gt;sender&lt;/b&gt;" in shown


def test_a_search_for_markup_is_escaped_in_the_search_box(viewer: User) -> None:
    content = get_page(viewer, q='"><script>alert(1)</script>').content.decode()

    assert "<script>alert(1)" not in content
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in content


def test_an_unknown_filter_value_with_markup_is_escaped_in_the_message(
    viewer: User,
) -> None:
    content = get_page(viewer, app="<b>x</b>").content.decode()

    assert "<b>x</b>" not in content
    assert "&lt;b&gt;x&lt;/b&gt;" in content


# --- receivers, senders and uids built to crash it -------------------------------------


@pytest.mark.parametrize("case", hostile.CONNECTIONS.values(), ids=hostile.CONNECTIONS.keys())
def test_the_page_lists_a_hostile_receiver(viewer_client: Client, case: hostile.Hostile) -> None:
    # user_login_failed is a plain Signal: ModelSignal.connect() asks a sender for its class.
    user_login_failed.connect(case.receiver, **case.connect_kwargs)
    try:
        response = client_get(viewer_client, signal="user_login_failed")
    finally:
        user_login_failed.disconnect(
            case.receiver,
            sender=case.connect_kwargs.get("sender"),
            dispatch_uid=case.connect_kwargs.get("dispatch_uid"),
        )

    assert case.shown in row_of(response, case.listed_as)


# --- a long search -----------------------------------------------------------------------


def test_a_search_longer_than_the_limit_is_reported_and_ignored(viewer: User) -> None:
    query = "x" * (SEARCH_MAX_LENGTH + 1)

    response = get_page(viewer, q=query)

    assert errors(response) == [
        f"The search '{'x' * 58}… is {SEARCH_MAX_LENGTH + 1} characters long, longer than "
        f"the {SEARCH_MAX_LENGTH} allowed; it is ignored."
    ]
    assert listed_paths(response) == [r.path for r in snapshot().receivers]


def test_a_100_kb_search_makes_a_page_no_bigger_than_an_unfiltered_one(viewer: User) -> None:
    unfiltered = len(get_page(viewer).content)

    size = len(get_page(viewer, q="x" * 100_000).content)

    assert size < unfiltered + 500


def test_a_100_kb_unknown_filter_value_makes_a_page_no_bigger_than_an_unfiltered_one(
    viewer: User,
) -> None:
    unfiltered = len(get_page(viewer).content)

    response = get_page(viewer, app="x" * 100_000)

    assert len(response.content) < unfiltered + 1_000
    assert errors(response)[0].startswith(f"Unknown app '{'x' * 58}… in the 'app' filter")


def test_an_over_long_search_with_markup_is_escaped_in_the_message(viewer: User) -> None:
    content = get_page(viewer, q="<b>x</b>" * SEARCH_MAX_LENGTH).content.decode()

    assert "<b>x</b>" not in content
    assert "The search &#x27;&lt;b&gt;x&lt;/b&gt;" in content


def test_a_search_at_the_limit_is_applied_and_kept_in_the_filter_links(viewer: User) -> None:
    term = "update_last_login"
    query = term + " " * (SEARCH_MAX_LENGTH - 2 * len(term)) + term

    response = get_page(viewer, q=query)

    assert errors(response) == []
    assert listed_paths(response) == ["django.contrib.auth.models.update_last_login"]
    assert f'<a href="?{urlencode({"q": query})}&amp;async=yes">Yes</a>' in (
        response.content.decode()
    )


def test_the_search_box_lets_a_browser_type_no_more_than_the_limit(viewer: User) -> None:
    content = get_page(viewer).content.decode()

    assert f'name="q" maxlength="{SEARCH_MAX_LENGTH}" value=""' in content


# --- what it shows ----------------------------------------------------------------------


def test_every_signal_with_receivers_is_listed_with_its_receiver_count(
    viewer: User,
) -> None:
    expected = [
        f"{info.path} ({len(info.receivers)} receiver{'s' if len(info.receivers) > 1 else ''})"
        for info in snapshot().signals
        if info.receivers
    ]

    assert group_titles(get_page(viewer)) == expected


def test_every_receiver_is_listed_under_its_signal(viewer: User) -> None:
    expected = [receiver.path for receiver in snapshot().receivers]

    assert listed_paths(get_page(viewer)) == expected


def test_the_summary_counts_receivers_signals_pending_and_problems(
    viewer: User,
) -> None:
    registry = snapshot()
    signals = sum(1 for info in registry.signals if info.receivers)
    expected = (
        f"{count(len(registry.receivers), 'receiver')} on {count(signals, 'signal')}, "
        f"0 pending, {count(len(registry.problems()), 'problem')}."
    )

    content = get_page(viewer).content.decode()

    assert f'<p class="sk-summary">{expected}</p>' in content


def test_a_receiver_row_shows_its_source_line_app_and_sender(viewer: User) -> None:
    receiver = next(
        r
        for r in snapshot().receivers
        if r.app and r.file and r.file.startswith(str(REPO_ROOT)) and r.sender_label != "any"
    )
    source = f"{Path(receiver.file or '').relative_to(REPO_ROOT)}:{receiver.line}"

    rows = receiver_rows(get_page(viewer, signal=receiver.signal_path, app=receiver.app or ""))

    row = next(text for path, text in rows if path == receiver.path)
    assert row.startswith(f"{receiver.path} {source} {receiver.app} {receiver.sender_label}")


def test_the_source_of_an_installed_package_reads_as_its_import_path(
    viewer: User,
) -> None:
    row = row_of(
        get_page(viewer, signal="django.core.signals.request_started"),
        "django.db.reset_queries",
    )

    assert " django/db/__init__.py:" in row


def test_the_full_source_path_is_in_the_title(viewer: User) -> None:
    import django.db

    content = get_page(viewer, signal="django.core.signals.request_started").content
    assert f'title="{django.db.__file__}:'.encode() in content


def test_receivers_outside_any_app_show_a_dash(viewer: User) -> None:
    row = row_of(
        get_page(viewer, signal="django.core.signals.request_started"),
        "django.db.reset_queries",
    )

    assert row.split(" ")[-2:] == ["-", "any"]


def test_signals_without_receivers_are_listed_in_a_collapsed_section(
    viewer: User, probe: Signal
) -> None:
    content = get_page(viewer).content.decode()

    section = re.search(r'<details class="sk-empty-signals">(.*?)</details>', content, re.DOTALL)
    assert section is not None  # no "open" attribute: collapsed
    assert "<code>tests.probe</code>" in section.group(1)
    assert "tests.probe (" not in " ".join(group_titles(get_page(viewer)))


def test_signals_without_receivers_are_not_listed_under_a_filter(
    viewer: User, probe: Signal
) -> None:
    content = get_page(viewer, app="shop").content.decode()

    assert "sk-empty-signals" not in content


def test_the_page_has_the_admin_breadcrumbs(viewer: User) -> None:
    content = get_page(viewer).content.decode()

    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', content, re.DOTALL)
    assert breadcrumbs is not None
    assert text_of(breadcrumbs.group(1)) == "Home \u203a signalkit \u203a Signal receivers"
    assert '<a href="/admin/signalkit/">signalkit</a>' in breadcrumbs.group(1)


def test_the_page_is_an_admin_page_with_its_stylesheets(viewer: User) -> None:
    content = get_page(viewer).content.decode()

    assert 'id="site-name"' in content  # admin/base_site.html
    assert "/static/admin/css/base.css" in content
    assert "/static/admin/css/changelists.css" in content
    assert "/static/signalkit/admin/receivers.css" in content


def test_the_page_uses_no_form_that_posts(viewer: User) -> None:
    content = get_page(viewer).content.decode()
    page_forms = content.split('<div id="content-main">', 1)[1]

    assert 'method="post"' not in page_forms


# --- flags ------------------------------------------------------------------------------


def test_async_receivers_are_flagged_async(viewer: User, connect: Callable[..., None]) -> None:
    connect(async_probe_receiver)

    row = row_of(get_page(viewer), f"{__name__}.async_probe_receiver")

    assert row.endswith(" async")


def test_strongly_connected_receivers_are_flagged_strong(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver, weak=False)

    assert row_of(get_page(viewer), PROBE_PATH).endswith(" any strong")


def test_weakly_connected_receivers_carry_no_strong_flag(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)

    assert row_of(get_page(viewer), PROBE_PATH).endswith(" any")


def test_a_dispatch_uid_is_shown(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver, dispatch_uid="tests.admin.uid")

    assert row_of(get_page(viewer), PROBE_PATH).endswith(" uid=tests.admin.uid")


def test_a_receiver_connected_twice_is_flagged_duplicate_on_both_rows(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver, dispatch_uid="first")
    connect(probe_receiver, dispatch_uid="second")

    rows = [text for path, text in receiver_rows(get_page(viewer)) if path == PROBE_PATH]

    assert [row.split(" ")[-2:] for row in rows] == [
        ["uid=first", "DUPLICATE"],
        ["uid=second", "DUPLICATE"],
    ]


def test_a_receiver_without_kwargs_is_flagged(viewer: User, connect: Callable[..., None]) -> None:
    connect(receiver_without_kwargs)

    row = row_of(get_page(viewer), f"{__name__}.receiver_without_kwargs")

    assert row.endswith(" no **kwargs")


@pytest.mark.usefixtures("dead_receiver")
def test_dead_receivers_are_listed_flagged_dead(viewer: User) -> None:
    row = row_of(get_page(viewer), "<dead weak reference>")

    assert row.endswith(f" uid={DEAD_RECEIVER_UID} dead")


@pytest.mark.usefixtures("pending_cleanup")
def test_receivers_waiting_for_a_missing_model_are_listed_as_pending(
    viewer: User, probe: Signal
) -> None:
    probe.connect(probe_receiver, sender="nosuchapp.Invoice")

    response = get_page(viewer)

    assert group_titles(response)[-1] == (
        "Pending: waiting for a sender model that is not installed (1 receiver)"
    )
    row = row_of(response, PROBE_PATH)
    assert "signal tests.probe" in row
    assert row.endswith(" - nosuchapp.invoice pending")


def test_an_abstract_model_sender_is_flagged(viewer: User, connect: Callable[..., None]) -> None:
    from tests.registry_app.models import Timestamped

    connect(probe_receiver, sender=Timestamped)

    row = row_of(get_page(viewer), PROBE_PATH)

    assert row.endswith(" registry_app.Timestamped abstract"), row


# --- filters and search -------------------------------------------------------------------


def test_filtering_by_app_lists_only_that_apps_receivers(viewer: User) -> None:
    expected = [r.path for r in snapshot().receivers if r.app == "auth"]

    assert expected
    assert listed_paths(get_page(viewer, app="auth")) == expected


def test_filtering_by_no_app_lists_receivers_outside_every_app(viewer: User) -> None:
    expected = [r.path for r in snapshot().receivers if r.app is None]

    assert expected
    assert listed_paths(get_page(viewer, app="-")) == expected


def test_filtering_by_signal_lists_only_that_signals_receivers(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)

    response = get_page(viewer, signal="tests.probe")

    assert group_titles(response) == ["tests.probe (1 receiver)"]
    assert listed_paths(response) == [PROBE_PATH]


def test_filtering_by_sender_lists_the_receivers_connected_for_it(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver, sender=UniqueSender)
    connect(async_probe_receiver)

    assert listed_paths(get_page(viewer, sender=UNIQUE_SENDER)) == [PROBE_PATH]


def test_filtering_by_async_lists_only_async_receivers(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(async_probe_receiver)

    assert listed_paths(get_page(viewer, **{"async": "yes"})) == [
        f"{__name__}.async_probe_receiver"
    ]


def test_filtering_by_not_async_leaves_async_receivers_out(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(async_probe_receiver)
    connect(probe_receiver)

    paths = listed_paths(get_page(viewer, **{"async": "no"}))

    assert PROBE_PATH in paths
    assert f"{__name__}.async_probe_receiver" not in paths


def test_problems_only_lists_the_receivers_with_a_problem(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(receiver_without_kwargs)
    connect(probe_receiver)

    assert listed_paths(get_page(viewer, problems="yes")) == [f"{__name__}.receiver_without_kwargs"]


def test_filters_combine(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver)
    connect(async_probe_receiver)
    user_login_failed.connect(async_probe_receiver)
    try:
        response = get_page(viewer, signal="tests.probe", **{"async": "yes"})
    finally:
        user_login_failed.disconnect(async_probe_receiver)

    assert listed_paths(response) == [f"{__name__}.async_probe_receiver"]


def test_the_search_matches_receiver_paths_ignoring_case(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)
    connect(receiver_without_kwargs)

    assert listed_paths(get_page(viewer, q="PROBE_receiver")) == [PROBE_PATH]


def test_the_search_matches_signal_paths(viewer: User, connect: Callable[..., None]) -> None:
    connect(receiver_without_kwargs)
    user_login_failed.connect(probe_receiver)
    try:
        paths = listed_paths(get_page(viewer, q="tests.probe"))
    finally:
        user_login_failed.disconnect(probe_receiver)

    assert paths == [f"{__name__}.receiver_without_kwargs"]


def test_the_search_matches_sender_labels(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver, sender=UniqueSender)
    connect(async_probe_receiver)

    assert listed_paths(get_page(viewer, q="uniquesender")) == [PROBE_PATH]


def test_every_search_term_must_match(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver)
    connect(receiver_without_kwargs)
    user_login_failed.connect(probe_receiver)
    try:
        paths = listed_paths(get_page(viewer, q="probe_receiver tests.probe"))
    finally:
        user_login_failed.disconnect(probe_receiver)

    assert paths == [PROBE_PATH]


def test_a_search_without_match_says_so(viewer: User) -> None:
    response = get_page(viewer, q="no-such-receiver")

    assert listed_paths(response) == []
    assert "No receiver matches these filters." in text_of(response.content.decode())


def test_the_search_box_keeps_the_active_filters(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update").content.decode()

    assert '<input type="hidden" name="app" value="auth">' in content
    assert 'value="update" id="searchbar"' in content


def test_the_filtered_page_counts_what_it_shows(viewer: User) -> None:
    total = len(snapshot().receivers)

    content = get_page(viewer, q="django.contrib.auth.models.update_last_login").content.decode()

    assert f"1 of {total} receivers" in text_of(content)


def test_filter_choices_come_from_the_receivers(viewer: User) -> None:
    response = get_page(viewer)
    apps = sorted({r.app for r in snapshot().receivers if r.app})

    by_app = response.context_data["page"].filters[0]

    assert by_app.title == "app"
    assert [choice.display for choice in by_app.choices] == ["All", *apps, "(no app)"]


def test_a_filter_link_keeps_the_other_filters_and_the_search(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update").content.decode()

    assert '<a href="?app=auth&amp;q=update&amp;async=yes">Yes</a>' in content


def test_the_selected_choice_is_marked(viewer: User) -> None:
    content = get_page(viewer, app="auth").content.decode()

    assert '<li class="selected"><a href="?app=auth">auth</a></li>' in content


def test_clear_all_filters_keeps_the_search(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update").content.decode()

    assert '<a href="?q=update">&#10006; Clear all filters</a>' in content


def test_an_unknown_filter_value_is_reported_and_ignored(viewer: User) -> None:
    response = get_page(viewer, app="nosuchapp")

    assert errors(response) == [
        f"Unknown app 'nosuchapp' in the 'app' filter; it is ignored. Choose one of: "
        f"{', '.join(sorted({r.app for r in snapshot().receivers if r.app}))}, - (no app)."
    ]
    assert listed_paths(response) == [r.path for r in snapshot().receivers]


def test_an_unknown_signal_is_reported_by_name(viewer: User) -> None:
    response = get_page(viewer, signal="post_savee")

    assert errors(response)[0].startswith("Unknown signal 'post_savee' in the 'signal' filter")


def test_an_unknown_async_value_is_reported(viewer: User) -> None:
    response = get_page(viewer, **{"async": "maybe"})

    assert errors(response) == [
        "Unknown async 'maybe' in the 'async' filter; it is ignored. Choose one of: yes, no."
    ]


def test_signals_sharing_a_name_are_listed_by_path_in_the_filter(
    viewer: User, connect: Callable[..., None]
) -> None:
    twin = registry.register_signal(Signal(), "tests.elsewhere.probe")
    connect(probe_receiver)
    twin.connect(probe_receiver)
    try:
        by_signal = get_page(viewer).context_data["page"].filters[1]
    finally:
        twin.disconnect(probe_receiver)

    displays = [choice.display for choice in by_signal.choices]
    assert "tests.probe" in displays
    assert "tests.elsewhere.probe" in displays
    assert "request_started" in displays  # a name no other signal has


# --- the admin site ----------------------------------------------------------------


def test_a_superuser_logged_in_with_a_password_sees_the_page_and_its_link(
    client: Client,
) -> None:
    SuperuserFactory(username="admin")
    assert client.login(username="admin", password="password")

    index = client.get("/admin/").content.decode()
    response = client.get(URL)

    assert f'<a href="{URL}">Signal receivers</a>' in index
    assert response.status_code == 200


def test_the_admin_registration_passes_the_system_checks() -> None:
    call_command("check", "signalkit", "admin", stdout=StringIO())  # raises on an error


# --- the setting --------------------------------------------------------------------------


def test_signalkit_admin_defaults_to_true() -> None:
    assert conf.ADMIN is True


def test_signalkit_admin_must_be_a_bool(settings: Any) -> None:
    settings.SIGNALKIT_ADMIN = "no"

    with pytest.raises(ImproperlyConfigured, match=r"SIGNALKIT_ADMIN must be True or False, "):
        conf.ADMIN  # noqa: B018


HIDDEN_PROBE = """
import django
from django.conf import settings

from tests import settings as test_settings

values = {name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
settings.configure(**values, SIGNALKIT_ADMIN=False)
django.setup()

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from signalkit.models import Receiver
from signalkit.presentation import count

try:
    reverse("admin:signalkit_receiver_changelist")
except NoReverseMatch:
    url = None
else:
    url = "routed"
print(admin.site.is_registered(Receiver), url)
"""


def test_signalkit_admin_false_keeps_the_page_off_the_admin_site() -> None:
    completed = run_python("-c", HIDDEN_PROBE, timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["False", "None"]
