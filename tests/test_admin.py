"""signalkit's "Signal receivers" admin page: access, content, filters, read-only, setting."""

from __future__ import annotations

import functools
import gc
import html
import re
import sys
import weakref
from collections.abc import Callable
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

from signalkit import admin as admin_page
from signalkit import registry
from signalkit.admin import SEARCH_MAX_LENGTH, Filter, ReceiverAdmin
from signalkit.conf import conf
from signalkit.discovery import catalogue
from signalkit.models import Receiver
from signalkit.presentation import count
from signalkit.registry import ReceiverInfo, is_project_file, snapshot
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
    """(receiver path, the row's whole text) for every receiver, in page order: a row of
    identical receivers (shown once, with their number) counts as each of them."""
    content = response.content.decode()
    rows = []
    for row in re.findall(r'<tr class="sk-receiver[^"]*">(.*?)</tr>', content, re.DOTALL):
        path = re.search(r'<code class="sk-path">(.*?)</code>', row, re.DOTALL)
        assert path is not None, row
        times = re.search(r'<span class="sk-times"[^>]*>&times;(\d+)</span>', row)
        rows += [(text_of(path.group(1)), text_of(row))] * (int(times.group(1)) if times else 1)
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


def project_first(receivers: list[ReceiverInfo]) -> list[str]:
    """The paths of ``receivers`` in the order the page lists them: the project's first."""
    return [r.path for r in receivers if r.in_project] + [
        r.path for r in receivers if not r.in_project
    ]


def project_receivers() -> list[str]:
    """The paths the first view lists: the project's receivers, pending ones last."""
    registry = snapshot()
    return [r.path for r in [*registry.receivers, *registry.pending] if r.in_project]


def filter_of(response: TemplateResponse, parameter: str) -> Filter:
    [found] = [f for f in response.context_data["page"].filters if f.parameter == parameter]
    return found


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
    assert listed_paths(response) == project_receivers()


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

    response = get_page(viewer, q=query, scope="all")

    assert errors(response) == []
    assert listed_paths(response) == ["django.contrib.auth.models.update_last_login"]
    link = f"?{urlencode({'async': 'no', 'q': query, 'scope': 'all'})}".replace("&", "&amp;")
    assert f'<a href="{link}">No <span class="sk-facet">(1)</span></a>' in (
        response.content.decode()
    )


def test_the_search_box_lets_a_browser_type_no_more_than_the_limit(viewer: User) -> None:
    content = get_page(viewer).content.decode()

    assert f'name="q" maxlength="{SEARCH_MAX_LENGTH}" value=""' in content


# --- what it shows ----------------------------------------------------------------------


def test_every_signal_with_receivers_of_the_project_is_listed_with_their_count(
    viewer: User,
) -> None:
    expected = []
    for info in snapshot().signals:
        ours = sum(1 for receiver in info.receivers if receiver.in_project)
        if ours:
            expected.append(f"{info.path} ({count(ours, 'receiver')})")

    assert group_titles(get_page(viewer)) == expected


def test_every_receiver_of_the_project_is_listed_under_its_signal(viewer: User) -> None:
    assert listed_paths(get_page(viewer)) == project_receivers()


def test_with_the_toggle_every_receiver_is_listed_the_projects_first(viewer: User) -> None:
    expected = project_first(snapshot().receivers)

    assert listed_paths(get_page(viewer, scope="all")) == expected


def test_the_summary_counts_receivers_signals_pending_and_problems(
    viewer: User,
) -> None:
    registry = snapshot()
    signals = sum(1 for info in registry.signals if info.receivers)
    ours = sum(1 for receiver in registry.receivers if receiver.in_project)
    expected = (
        f"{count(len(registry.receivers), 'receiver')} on {count(signals, 'signal')}, "
        f"0 pending, {count(len(registry.problems()), 'problem')}; {ours} of them the "
        f"project&#x27;s."
    )

    content = get_page(viewer).content.decode()

    assert f'<p class="sk-summary">{expected}</p>' in content


def test_a_receiver_row_shows_its_source_line_app_and_sender(viewer: User) -> None:
    receiver = next(
        r
        for r in snapshot().receivers
        # A file of the project's own: a mixin's receiver is the project's too, but its file
        # is signalkit's, outside the checkout when signalkit is installed (tox).
        if r.file
        and is_project_file(r.file)
        and r.app
        and r.sender_label != "any"
        and r.kind == "function"
    )
    source = f"{Path(receiver.file or '').relative_to(REPO_ROOT)}:{receiver.line}"

    rows = receiver_rows(get_page(viewer, signal=receiver.signal_path, app=receiver.app or ""))

    row = next(text for path, text in rows if path == receiver.path)
    assert row.startswith(f"{receiver.path} {source} {receiver.app} {receiver.sender_label}")


def test_the_source_of_an_installed_package_reads_as_its_import_path(
    viewer: User,
) -> None:
    row = row_of(
        get_page(viewer, signal="django.core.signals.request_started", scope="all"),
        "django.db.reset_queries",
    )

    assert " django/db/__init__.py:" in row


def test_the_full_source_path_is_in_the_title(viewer: User) -> None:
    import django.db

    content = get_page(viewer, signal="django.core.signals.request_started", scope="all").content
    assert f'title="{django.db.__file__}:'.encode() in content


def test_receivers_outside_any_app_show_a_dash(viewer: User) -> None:
    row = row_of(
        get_page(viewer, signal="django.core.signals.request_started", scope="all"),
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
    row = row_of(get_page(viewer, scope="all"), "<dead weak reference>")

    assert row.endswith(f" uid={DEAD_RECEIVER_UID} dead")


def test_viewing_the_page_keeps_no_weakly_connected_receiver_alive(
    viewer: User, probe: Signal
) -> None:
    token = object()

    def short_lived(sender: object, **kwargs: Any) -> object:
        return token

    probe.connect(short_lived)
    path = f"{__name__}.{short_lived.__qualname__}"
    for _ in range(3):
        assert path in listed_paths(get_page(viewer, signal="tests.probe"))
    watched = weakref.ref(short_lived)

    del short_lived
    gc.collect()

    assert watched() is None
    assert listed_paths(get_page(viewer, scope="all", signal="tests.probe")) == [
        "<dead weak reference>"
    ]


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
    assert listed_paths(get_page(viewer, app="auth", scope="all")) == expected


def test_filtering_by_no_app_lists_receivers_outside_every_app(viewer: User) -> None:
    expected = project_first([r for r in snapshot().receivers if r.app is None])

    assert expected
    assert listed_paths(get_page(viewer, app="-", scope="all")) == expected


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
    response = get_page(viewer, q="no-such-receiver", scope="all")

    assert listed_paths(response) == []
    assert "No receiver matches these filters." in text_of(response.content.decode())


def test_the_search_box_keeps_the_active_filters(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update").content.decode()

    assert '<input type="hidden" name="app" value="auth">' in content
    assert 'value="update" id="searchbar"' in content


def test_the_filtered_page_counts_what_it_shows(viewer: User) -> None:
    total = len(snapshot().receivers)

    content = get_page(
        viewer, q="django.contrib.auth.models.update_last_login", scope="all"
    ).content.decode()

    assert f"1 of {total} receivers" in text_of(content)


def test_filter_choices_come_from_the_receivers(viewer: User) -> None:
    response = get_page(viewer, scope="all")
    apps = sorted({r.app for r in snapshot().receivers if r.app})

    by_app = filter_of(response, "app")

    assert by_app.title == "app"
    assert [choice.display for choice in by_app.choices] == ["All", *apps, "(no app)"]


def test_the_first_views_filter_choices_come_from_the_projects_receivers(viewer: User) -> None:
    apps = sorted({r.app for r in snapshot().receivers if r.app and r.in_project})

    by_app = filter_of(get_page(viewer), "app")

    assert [choice.display for choice in by_app.choices] == ["All", *apps]


def test_a_filter_link_keeps_the_other_filters_and_the_search(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update", scope="all").content.decode()

    assert '<a href="?app=auth&amp;async=no&amp;q=update&amp;scope=all">No ' in content


def test_the_selected_choice_is_marked(viewer: User) -> None:
    content = get_page(viewer, app="auth", scope="all").content.decode()

    assert '<li class="selected"><a href="?app=auth&amp;scope=all">auth <span' in content


def test_clear_all_filters_keeps_the_search(viewer: User) -> None:
    content = get_page(viewer, app="auth", q="update").content.decode()

    assert '<a href="?q=update">&#10006; Clear all filters</a>' in content


def test_an_unknown_filter_value_is_reported_and_ignored(viewer: User) -> None:
    response = get_page(viewer, app="nosuchapp")

    assert errors(response) == [
        f"Unknown app 'nosuchapp' in the 'app' filter; it is ignored. Choose one of: "
        f"{', '.join(sorted({r.app for r in snapshot().receivers if r.app}))}, - (no app)."
    ]
    assert listed_paths(response) == project_receivers()


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
        by_signal = filter_of(get_page(viewer, scope="all"), "signal")
    finally:
        twin.disconnect(probe_receiver)

    displays = [choice.display for choice in by_signal.choices]
    assert "tests.probe" in displays
    assert "tests.elsewhere.probe" in displays
    assert "request_started" in displays  # a name no other signal has


# --- the project's receivers first, the others behind one toggle ------------------------


def toggle(response: HttpResponse) -> tuple[str, str] | None:
    """(href, text) of the one link that shows or folds the framework and library receivers."""
    content = response.content.decode()
    found = re.findall(r'<a class="sk-toggle" href="([^"]*)"[^>]*>(.*?)</a>', content, re.DOTALL)
    assert len(found) <= 1, found
    return (html.unescape(found[0][0]), text_of(found[0][1])) if found else None


def libraries(registry: Any = None) -> int:
    registry = registry or snapshot()
    return sum(1 for r in [*registry.receivers, *registry.pending] if not r.in_project)


def test_the_first_view_lists_none_of_the_framework_and_library_receivers(
    viewer: User,
) -> None:
    registry = snapshot()
    theirs = {r.path for r in registry.receivers if not r.in_project}
    ours = {r.path for r in registry.receivers if r.in_project}

    listed = set(listed_paths(get_page(viewer)))

    assert theirs - ours
    assert listed & (theirs - ours) == set()
    assert listed == ours


def test_the_framework_and_library_receivers_are_folded_behind_one_link_with_their_count(
    viewer: User,
) -> None:
    assert toggle(get_page(viewer)) == (
        "?scope=all",
        f"Show {libraries()} framework and library receivers",
    )


def test_the_toggle_is_a_plain_link_so_it_works_without_javascript(viewer: User) -> None:
    content = get_page(viewer).content.decode()

    assert '<a class="sk-toggle" href="?scope=all" aria-expanded="false">' in content
    assert "<script" not in content.split('<div id="content-main">', 1)[1]


def test_unfolded_the_toggle_folds_them_again(viewer: User) -> None:
    assert toggle(get_page(viewer, scope="all")) == (
        "?",
        f"Hide the {libraries()} framework and library receivers",
    )


def test_unfolded_the_page_heads_the_projects_receivers_and_then_the_others(
    viewer: User,
) -> None:
    content = get_page(viewer, scope="all").content.decode()

    sections = re.findall(r'<tr class="sk-section"><th[^>]*>(.*?)</th>', content)
    assert [html.unescape(section) for section in sections] == [
        "The project's receivers",
        "Framework and library receivers",
    ]


def test_the_toggles_count_follows_the_filters_and_the_search(viewer: User) -> None:
    response = get_page(viewer, q="update_last_login")

    assert toggle(response) == (
        "?q=update_last_login&scope=all",
        "Show 1 framework or library receiver",
    )


def test_the_toggle_keeps_the_filters_and_the_search(viewer: User) -> None:
    response = get_page(viewer, app="auth", q="update")

    assert toggle(response) == (
        "?app=auth&q=update&scope=all",
        "Show 1 framework or library receiver",
    )


def test_when_only_framework_receivers_match_the_page_says_so_and_offers_them(
    viewer: User,
) -> None:
    response = get_page(viewer, q="update_last_login")

    assert listed_paths(response) == []
    assert "No receiver of the project matches these filters." in text_of(response.content.decode())
    assert toggle(response) is not None


def test_no_toggle_is_offered_when_no_framework_receiver_matches(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)

    assert toggle(get_page(viewer, signal="tests.probe")) is None


def test_an_unknown_scope_is_reported_and_ignored(viewer: User) -> None:
    response = get_page(viewer, scope="everything")

    assert errors(response) == [
        "Unknown scope 'everything' in the 'scope' filter; it is ignored. Choose one of: all."
    ]
    assert listed_paths(response) == project_receivers()


def test_the_search_box_keeps_the_scope(viewer: User) -> None:
    content = get_page(viewer, scope="all").content.decode()

    assert '<input type="hidden" name="scope" value="all">' in content


# --- filter counts and choices that narrow ------------------------------------------------


def choices(response: TemplateResponse, parameter: str) -> dict[str, int | None]:
    return {choice.display: choice.count for choice in filter_of(response, parameter).choices}


def test_each_filter_choice_shows_how_many_receivers_it_would_list(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)
    connect(async_probe_receiver)
    connect(receiver_without_kwargs)

    response = get_page(viewer, signal="tests.probe")

    assert choices(response, "async") == {"All": None, "Yes": 1, "No": 2}
    assert choices(response, "problems") == {"All": None, "Problems only": 1}
    assert '<a href="?signal=tests.probe&amp;async=no">No <span class="sk-facet">(2)</span>' in (
        response.content.decode()
    )


def test_a_choices_count_is_what_it_would_list_given_the_other_filters(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)
    connect(async_probe_receiver)

    response = get_page(viewer, signal="tests.probe", **{"async": "yes"})

    # With async=yes the probe signal lists one receiver; with async=no it would list one.
    assert choices(response, "async") == {"All": None, "Yes": 1, "No": 1}
    assert choices(response, "signal")["probe"] == 1
    assert listed_paths(response) == [f"{__name__}.async_probe_receiver"]


def test_the_counts_follow_the_search(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver)
    connect(async_probe_receiver)

    response = get_page(viewer, q="async_probe")

    assert choices(response, "async") == {"All": None, "Yes": 1}


def test_a_choice_that_would_list_nothing_is_not_offered(viewer: User) -> None:
    # The first view lists the project's receivers, and none of them is auth's.
    auth = sum(1 for receiver in snapshot().receivers if receiver.app == "auth")

    assert "auth" not in choices(get_page(viewer), "app")
    assert choices(get_page(viewer, scope="all"), "app")["auth"] == auth


def test_a_selected_choice_is_offered_even_when_it_lists_nothing(viewer: User) -> None:
    response = get_page(viewer, app="auth")

    assert choices(response, "app")["auth"] == 0
    assert filter_of(response, "app").choices[1].selected


def test_a_filter_that_offers_nothing_but_all_is_left_out(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)

    response = get_page(viewer, signal="tests.probe")

    assert [f.parameter for f in response.context_data["page"].filters] == [
        "app",
        "signal",
        "sender",
        "async",
    ]


# --- problem rows --------------------------------------------------------------------------


def problem_notes(response: HttpResponse) -> list[str]:
    """The text under each row with a problem: its check ids and messages."""
    content = response.content.decode()
    return [
        text_of(note)
        for note in re.findall(r'<tr class="sk-problem-detail">(.*?)</tr>', content, re.DOTALL)
    ]


def test_a_problem_row_shows_its_check_id_and_message(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(receiver_without_kwargs)

    response = get_page(viewer, signal="tests.probe")

    assert problem_notes(response) == [
        f"signalkit.W002 {__name__}.receiver_without_kwargs does not accept **kwargs; Django "
        f"passes signal= and every argument of tests.probe as keywords. Add **kwargs to its "
        f"signature."
    ]


def test_every_row_of_a_duplicate_shows_the_duplicate_check(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver, dispatch_uid="first")
    connect(probe_receiver, dispatch_uid="second")

    notes = problem_notes(get_page(viewer, signal="tests.probe"))

    assert len(notes) == 2
    assert all(note.startswith(f"signalkit.W001 {PROBE_PATH} is connected to ") for note in notes)


@pytest.mark.usefixtures("pending_cleanup")
def test_a_receiver_waiting_for_a_missing_model_shows_djangos_check_id(
    viewer: User, probe: Signal
) -> None:
    probe.connect(probe_receiver, sender="nosuchapp.Invoice")

    notes = problem_notes(get_page(viewer, problems="yes"))

    assert notes == [
        f"signals.E001 {PROBE_PATH} waits for sender 'nosuchapp.invoice' of tests.probe, "
        f"which is not an installed model."
    ]


def test_rows_without_a_problem_have_no_note(viewer: User, connect: Callable[..., None]) -> None:
    connect(probe_receiver)

    assert problem_notes(get_page(viewer, signal="tests.probe")) == []


def test_every_problem_kind_of_the_registry_has_a_check_id() -> None:
    from signalkit.checks import check_id

    kinds = [
        "duplicate",
        "dead",
        "no_kwargs",
        "unresolved_sender",
        "abstract_sender",
        "swapped_sender",
        "unreachable_task",
    ]

    assert {kind: check_id(kind) for kind in kinds} == {
        "duplicate": "signalkit.W001",
        "dead": "signalkit.W005",
        "no_kwargs": "signalkit.W002",
        "unresolved_sender": "signals.E001",
        "abstract_sender": "signalkit.W003",
        "swapped_sender": "signalkit.W004",
        "unreachable_task": "signalkit.W008",
    }


# --- bound methods, identical rows, sender names ------------------------------------------


class Notifier:
    def handle(self, sender: object, **kwargs: Any) -> None:
        pass

    @classmethod
    def on_class(cls, sender: object, **kwargs: Any) -> None:
        pass


class SmsNotifier(Notifier):
    pass


HANDLE_PATH = f"{__name__}.Notifier.handle"


def test_a_bound_method_row_names_the_class_of_its_object(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(SmsNotifier().handle, weak=False)

    row = row_of(get_page(viewer, signal="tests.probe"), HANDLE_PATH)

    assert "method, self: SmsNotifier" in row


def test_a_class_method_row_names_its_class(viewer: User, connect: Callable[..., None]) -> None:
    connect(SmsNotifier.on_class, weak=False)

    row = row_of(get_page(viewer, signal="tests.probe"), f"{__name__}.Notifier.on_class")

    assert "method, cls: SmsNotifier" in row


def test_identical_rows_are_shown_once_with_their_number(
    viewer: User, connect: Callable[..., None]
) -> None:
    for _ in range(3):
        connect(Notifier().handle, weak=False)

    response = get_page(viewer, signal="tests.probe")
    content = response.content.decode()

    assert content.count('<tr class="sk-receiver') == 1
    assert '<span class="sk-times" title="3 identical receivers">&times;3</span>' in content
    assert group_titles(response) == ["tests.probe (3 receivers)"]


def test_rows_that_differ_are_not_folded(viewer: User, connect: Callable[..., None]) -> None:
    connect(Notifier().handle, weak=False)
    connect(SmsNotifier().handle, weak=False)

    content = get_page(viewer, signal="tests.probe").content.decode()

    assert content.count('<tr class="sk-receiver') == 2
    assert '<span class="sk-times" title=' not in content


def test_an_app_config_sender_is_offered_by_its_app_label(viewer: User) -> None:
    senders = choices(get_page(viewer, scope="all"), "sender")

    assert "contenttypes app config" in senders
    assert [label for label in senders if label.startswith("<")] == []


# --- pages ----------------------------------------------------------------------------


@pytest.fixture
def per_page_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_page, "PER_PAGE", 3)


def test_a_page_lists_at_most_per_page_receivers(
    viewer: User, connect: Callable[..., None], per_page_3: None
) -> None:
    for number in range(7):
        connect(functools.partial(numbered_receiver, number), weak=False)

    first = get_page(viewer, signal="tests.probe")
    last = get_page(viewer, signal="tests.probe", p="3")

    assert len(listed_paths(first)) == 3
    assert len(listed_paths(last)) == 1
    assert "receivers 7\N{EN DASH}7 of 7" in text_of(last.content.decode())


def test_a_signal_split_over_pages_keeps_its_total_and_says_it_continues(
    viewer: User, connect: Callable[..., None], per_page_3: None
) -> None:
    for number in range(5):
        connect(functools.partial(numbered_receiver, number), weak=False)

    assert group_titles(get_page(viewer, signal="tests.probe")) == ["tests.probe (5 receivers)"]
    assert group_titles(get_page(viewer, signal="tests.probe", p="2")) == [
        "tests.probe (5 receivers, continued)"
    ]


def test_the_page_links_keep_the_filters_the_search_and_the_scope(
    viewer: User, connect: Callable[..., None], per_page_3: None
) -> None:
    for number in range(5):
        connect(functools.partial(numbered_receiver, number), weak=False)

    content = get_page(viewer, signal="tests.probe", q="numbered", scope="all").content.decode()

    assert '<a href="?signal=tests.probe&amp;q=numbered&amp;scope=all&amp;p=2">2</a>' in content
    assert '<span class="this-page">1</span>' in content


def test_a_filter_link_goes_back_to_the_first_page(
    viewer: User, connect: Callable[..., None], per_page_3: None
) -> None:
    for number in range(5):
        connect(functools.partial(numbered_receiver, number), weak=False)

    content = get_page(viewer, signal="tests.probe", p="2").content.decode()

    assert '<a href="?signal=tests.probe&amp;async=no">No ' in content


def test_a_page_past_the_last_is_reported_and_the_last_one_shown(
    viewer: User, connect: Callable[..., None], per_page_3: None
) -> None:
    for number in range(4):
        connect(functools.partial(numbered_receiver, number), weak=False)

    response = get_page(viewer, signal="tests.probe", p="9")

    assert errors(response) == ["There is no page 9: the list has 2 pages; this is the last one."]
    assert len(listed_paths(response)) == 1


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "\u0661"])
def test_a_page_that_is_not_a_positive_whole_number_is_reported(viewer: User, value: str) -> None:
    response = get_page(viewer, p=value)

    assert errors(response) == [
        f"Unknown page {value!r}; it is ignored. Pages are numbered from 1."
    ]


def test_only_the_receivers_of_the_page_shown_become_rows(
    viewer: User,
    connect: Callable[..., None],
    per_page_3: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(50):
        connect(functools.partial(numbered_receiver, number), weak=False)
    built: list[str] = []
    make_row = admin_page._RowMaker.__call__

    def counting(self: Any, receiver: ReceiverInfo) -> Any:
        built.append(receiver.path)
        return make_row(self, receiver)

    monkeypatch.setattr(admin_page._RowMaker, "__call__", counting)

    response = get_page(viewer, signal="tests.probe", scope="all")

    assert len(built) == 3
    assert group_titles(response) == ["tests.probe (50 receivers)"]


# --- links to an editor ---------------------------------------------------------------


VSCODE = "vscode://file/{path}:{line}"


def source_links(response: HttpResponse) -> list[str]:
    content = response.content.decode()
    return [
        html.unescape(href) for href in re.findall(r'<a class="sk-source" href="([^"]*)"', content)
    ]


def test_without_an_editor_url_the_source_is_not_a_link(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(probe_receiver)

    assert source_links(get_page(viewer, signal="tests.probe")) == []


def test_signalkit_editor_url_makes_the_source_a_link_to_its_absolute_path_and_line(
    viewer: User, connect: Callable[..., None], settings: Any
) -> None:
    settings.SIGNALKIT_EDITOR_URL = VSCODE
    connect(probe_receiver)
    line = probe_receiver.__code__.co_firstlineno

    assert source_links(get_page(viewer, signal="tests.probe")) == [
        f"vscode://file/{Path(__file__).resolve()}:{line}"
    ]


def test_the_editor_link_is_escaped_in_the_page(
    viewer: User, connect: Callable[..., None], settings: Any
) -> None:
    settings.SIGNALKIT_EDITOR_URL = "pycharm://open?file={path}&line={line}"
    connect(probe_receiver)

    content = get_page(viewer, signal="tests.probe").content.decode()

    assert f'href="pycharm://open?file={Path(__file__).resolve()}&amp;line=' in content


def test_a_receiver_without_python_source_gets_no_editor_link(
    viewer: User, settings: Any, dead_receiver: None
) -> None:
    settings.SIGNALKIT_EDITOR_URL = VSCODE

    row = re.search(
        r'<tr class="sk-receiver[^"]*">((?:(?!</tr>).)*&lt;dead weak reference&gt;.*?)</tr>',
        get_page(viewer, scope="all", signal="user_login_failed").content.decode(),
        re.DOTALL,
    )

    assert row is not None
    assert 'class="sk-source"' in row.group(1)
    assert "href=" not in row.group(1)


def test_the_path_in_an_editor_link_is_url_escaped() -> None:
    link = admin_page.editor_link(VSCODE, "/srv/my shop/#1/ünï?.py", 7)

    assert link == "vscode://file//srv/my%20shop/%231/%C3%BCn%C3%AF%3F.py:7"


def test_a_relative_or_pseudo_file_gets_no_editor_link() -> None:
    assert admin_page.editor_link(VSCODE, "<frozen importlib._bootstrap>", 1) == ""
    assert admin_page.editor_link(VSCODE, "shop/signals.py", 1) == ""


def test_signalkit_editor_url_defaults_to_none() -> None:
    assert conf.EDITOR_URL is None


def test_an_empty_signalkit_editor_url_means_no_links(settings: Any) -> None:
    settings.SIGNALKIT_EDITOR_URL = ""

    assert conf.EDITOR_URL is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("javascript:alert({path})", r"uses the javascript: scheme, which runs code"),
        ("JavaScript:alert({path})", r"uses the JavaScript: scheme, which runs code"),
        ("data:text/html,{path}", r"uses the data: scheme, which runs code"),
        ("vbscript:{path}", r"uses the vbscript: scheme"),
        (" javascript:{path}", r"does not start with a URL scheme"),
        ("java\tscript:{path}", r"does not start with a URL scheme"),
        ("{path}:{line}", r"does not start with a URL scheme"),
        ("vscode://file/{file}:{line}", r"contains \{file\}; the only placeholders are"),
        ("vscode://file/{path!r}", r"contains \{path!r\}"),
        ("vscode://file/{path:>80}", r"contains \{path:>80\}"),
        ("vscode://file/{path", r"is not a valid template"),
        ("vscode://file/:{line}", r"has no \{path\} placeholder"),
        (42, r"must be a URL template string"),
    ],
)
def test_a_bad_signalkit_editor_url_is_refused_naming_the_setting(
    settings: Any, value: object, message: str
) -> None:
    settings.SIGNALKIT_EDITOR_URL = value

    with pytest.raises(ImproperlyConfigured, match=rf"^SIGNALKIT_EDITOR_URL .*{message}"):
        conf.EDITOR_URL  # noqa: B018


def test_viewing_the_page_with_a_bad_editor_url_raises_naming_the_setting(
    viewer: User, settings: Any
) -> None:
    settings.SIGNALKIT_EDITOR_URL = "javascript:alert({path})"

    with pytest.raises(ImproperlyConfigured, match="SIGNALKIT_EDITOR_URL"):
        get_page(viewer)


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
