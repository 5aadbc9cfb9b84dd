"""The "Signal receivers" admin page: every known signal with its receivers, read-only.

``django.contrib.admin`` imports this module when it autodiscovers ``admin.py`` modules at
start-up; it registers :class:`ReceiverAdmin` on the default ``admin.site`` unless
``SIGNALKIT_ADMIN = False`` (read then, once). To show the page on an admin site of your
own instead::

    # settings.py: SIGNALKIT_ADMIN = False
    from signalkit.admin import ReceiverAdmin
    from signalkit.models import Receiver

    ops_site.register(Receiver, ReceiverAdmin)

The page renders ``signalkit.registry.snapshot()``, a pure read: viewing it imports,
connects and writes nothing, and runs no query of its own. Only active staff with the
``signalkit.view_receiver`` permission, and active superusers, see it.

It shows the project's receivers (:attr:`~signalkit.registry.ReceiverInfo.in_project`);
framework and library receivers are folded behind one toggle, ``scope=all``, which lists
them after the project's. Everything is a GET parameter, read and checked in one place,
:meth:`Selection.parse`: the filters ``app``, ``signal``, ``sender``, ``async`` and
``problems``, the search ``q``, ``scope`` and the page ``p``. The choices of a filter
come from the snapshot, each with the number of receivers it would list given the other
filters (a choice that would list none is not offered).

What a view costs: one pass over the snapshot counts (the summary, the filters' counts,
the toggle's); rows, the expensive part, are built only for the ``PER_PAGE`` receivers of
the page shown. So the page's size and most of its time do not grow with the registry.

Every filter link keeps the search, as in Django's own changelist, so the search is
limited to ``SEARCH_MAX_LENGTH`` characters: a longer one is reported and ignored, and a
bad value is quoted shortened in its message. The page's size never depends on the
length of what the URL carries.
"""

from __future__ import annotations

import functools
import html
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from signalkit import presentation
from signalkit.checks import check_id
from signalkit.conf import conf
from signalkit.models import Receiver

if TYPE_CHECKING:
    from signalkit.registry import Problem, ReceiverInfo, Registry

__all__ = ["ReceiverAdmin", "ReceiversPage"]

TEMPLATE = "signalkit/admin/receivers.html"
SEARCH = "q"
#: ``?scope=all`` lists framework and library receivers too, after the project's.
SCOPE = "scope"
EVERY_RECEIVER = "all"
PAGE = "p"
#: Receivers listed on one page (as Django's changelist: ``list_per_page``).
PER_PAGE = 100
# Longest search accepted: each filter link repeats it. A full dotted receiver path plus a
# signal name fits; the search box lets a browser type no more.
SEARCH_MAX_LENGTH = 200
# How much of a rejected value a message quotes.
QUOTED_LENGTH = 60
# The section of the page framework and library receivers are listed in, when shown.
LIBRARY_SECTION = "Framework and library receivers"
PROJECT_SECTION = "The project's receivers"


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Receiver]
else:  # ModelAdmin is generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin


class ReceiverAdmin(_ModelAdmin):
    """Renders :class:`ReceiversPage` as the model's changelist; nothing else is routed.

    Add, change and delete are refused, the add/change/delete/history URLs do not exist
    (the admin answers 404), and the page answers 405 to anything but GET and HEAD.
    """

    change_list_template = TEMPLATE

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Receiver | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Receiver | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name=f"{opts.app_label}_{opts.model_name}_changelist",
            ),
            path(
                "graph/",
                self.admin_site.admin_view(self.graph_view),
                name=f"{opts.app_label}_{opts.model_name}_graph",
            ),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The page; ``admin_view`` has already sent anonymous and non-staff users to login."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        from signalkit.registry import snapshot  # the inspector loads when the page is viewed

        page = ReceiversPage.build(snapshot(), request.GET, editor_url=conf.EDITOR_URL)
        context = {
            **self.admin_site.each_context(request),
            "title": capfirst(str(self.opts.verbose_name_plural)),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "page": page,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_list_template or TEMPLATE, context)

    def graph_view(self, request: HttpRequest) -> HttpResponse:
        """The page's receivers as a graph (``signalkit.admin_graph``), same filters."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        from django.urls import reverse

        from signalkit.admin_graph import GraphPage
        from signalkit.registry import snapshot

        opts = self.opts
        receivers_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Signal graph",
            "opts": opts,
            "app_label": opts.app_label,
            "receivers_url": receivers_url,
            "page": GraphPage.build(snapshot(), request.GET, receivers_url),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "signalkit/admin/graph.html", context)


if conf.ADMIN:
    admin.site.register(Receiver, ReceiverAdmin)


# --- what the page shows ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One receiver (or several identical ones, ``times``), its text worked out."""

    path: SafeString  # escaped, breakable (see breakable)
    # Kind and name when the path alone does not say what runs, the object a method is
    # bound to; a pending receiver's signal.
    detail: str
    app: str
    sender_html: SafeString  # escaped, breakable
    # (flag, is a problem): the sender model's (abstract, proxy, ...), then the connection's
    # (async, strong, uid=..., escaped and breakable) and the problems (dead, DUPLICATE, ...)
    sender_flags: list[tuple[str, bool]]
    flags: list[tuple[str, bool]]
    source: SafeString  # file:line, the file as imported (readable_path), escaped, breakable
    source_title: str  # the absolute file:line
    editor_url: str  # SIGNALKIT_EDITOR_URL filled in; "" without it or without a file
    problems: list[tuple[str, str]]  # (check id, message); the id "" when no check has one
    times: int = 1  # identical receivers shown as this one row

    @property
    def is_problem(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True)
class Group:
    """The rows of one signal (or of the pending receivers, ``pending=True``) on a page."""

    title: SafeString  # escaped, breakable (see breakable)
    rows: list[Row]
    total: int  # the signal's receivers listed, on every page
    pending: bool = False
    continued: bool = False  # its first receivers are on the previous page
    section: str = ""  # a heading above the group: where a section starts on the page

    @property
    def size(self) -> str:
        return presentation.count(self.total, "receiver")


@dataclass(frozen=True)
class Choice:
    """One link of a sidebar filter; ``count``: the receivers it lists (None for "All")."""

    display: str
    query_string: str
    selected: bool
    count: int | None = None


@dataclass(frozen=True)
class Filter:
    """A sidebar filter: ``parameter`` is its GET parameter, ``title`` reads "By <title>"."""

    parameter: str
    title: str
    choices: list[Choice]


@dataclass(frozen=True)
class Toggle:
    """The one link that shows or folds the framework and library receivers."""

    text: str
    query_string: str
    expanded: bool


@dataclass(frozen=True)
class PageLink:
    """One entry of the paginator: a page number (a link unless current) or an ellipsis."""

    text: str
    query_string: str = ""
    current: bool = False


# A receiver's value for each filter, in this order in its key (see _keys); the scope is
# the toggle's, the search's a flag added while searching.
APP, SIGNAL, SENDER, ASYNC, PROBLEMS, SCOPE_KEY, SEARCHED = range(7)
FACETS = (APP, SIGNAL, SENDER, ASYNC, PROBLEMS, SCOPE_KEY)
PROJECT, LIBRARY = "project", "library"
YES, NO = "yes", "no"


@dataclass(frozen=True)
class _Spec:
    """A filter's definition: its values (value, display) and its place in a key."""

    parameter: str
    title: str
    values: list[tuple[str, str]]
    index: int


@dataclass(frozen=True)
class Selection:
    """What the GET parameters ask for, checked: the one reader of the page's parameters.

    An unknown value is reported in ``errors`` and ignored, never a server error.
    """

    active: dict[str, str]  # filter parameter -> value, in the filters' order
    parameters: tuple[str, ...]  # every filter's, in the sidebar's order
    query: str
    every_receiver: bool  # scope=all: framework and library receivers too
    page: int  # asked for; the page shown is at most the last one
    errors: list[str]

    @classmethod
    def parse(cls, params: QueryDict, specs: list[_Spec]) -> Selection:
        active: dict[str, str] = {}
        errors = []
        for spec in specs:
            value = params.get(spec.parameter)
            if value is None:
                continue
            if value in dict(spec.values):
                active[spec.parameter] = value
            else:
                errors.append(_unknown(spec.parameter, spec.title, value, _choices(spec)))
        query, search_error = _search(params.get(SEARCH, ""))
        if search_error:
            errors.append(search_error)
        scope = params.get(SCOPE)
        if scope is not None and scope != EVERY_RECEIVER:
            errors.append(_unknown(SCOPE, "scope", scope, EVERY_RECEIVER))
        page = 1
        number = params.get(PAGE)
        if number is not None:
            if number.isascii() and number.isdigit() and 0 < int(number) < 10**9:
                page = int(number)
            else:
                errors.append(
                    f"Unknown page {_quoted(number)}; it is ignored. Pages are numbered from 1."
                )
        parameters = tuple(spec.parameter for spec in specs)
        return cls(active, parameters, query, scope == EVERY_RECEIVER, page, errors)

    @property
    def terms(self) -> list[str]:
        return self.query.lower().split()

    @property
    def filtered(self) -> bool:
        """Whether a filter or the search narrows the list (the scope does not count)."""
        return bool(self.active or self.terms)

    def link(
        self,
        *,
        filters: Mapping[str, str] | None = None,
        query: str | None = None,
        every_receiver: bool | None = None,
        page: int = 1,
    ) -> str:
        """The query string of this selection with what is given changed: other
        ``filters``, another ``query``, the toggle flipped (``every_receiver``), a ``page``
        (the first unless given). Always in one order: the filters in the sidebar's, then
        ``q``, ``scope`` and ``p``."""
        if every_receiver is None:
            every_receiver = self.every_receiver
        params = {
            **(self.active if filters is None else filters),
            SEARCH: self.query if query is None else query,
            SCOPE: EVERY_RECEIVER if every_receiver else "",
            PAGE: str(page) if page > 1 else "",
        }
        return _query_string(params)

    def choice_link(self, parameter: str, value: str | None) -> str:
        """The link of a filter's choice (None: "All"): the other filters, the search and
        the scope kept."""
        chosen = {**self.active, parameter: value}
        return self.link(
            filters={name: chosen[name] or "" for name in self.parameters if name in chosen}
        )


@dataclass(frozen=True)
class ReceiversPage:
    """The page for one snapshot and one set of GET parameters.

    ``ReceiversPage.build(snapshot(), request.GET)`` reads the parameters
    (:meth:`Selection.parse`), counts what each filter choice would list, and builds the
    rows of one page grouped by signal: the project's receivers, then, with ``scope=all``,
    the framework and library ones; pending receivers last in each.
    """

    groups: list[Group]
    listed: list[ReceiverInfo]  # every receiver the filters, search and scope select, all pages
    filters: list[Filter]
    errors: list[str]
    query: str
    hidden_parameters: list[tuple[str, str]]  # the active filters and scope, kept by a search
    clear_filters: str  # query string: no filter; the search and the scope kept
    show_all: str  # query string: no filter and no search; the scope kept
    filtered: bool  # by a filter or the search
    filters_active: bool  # by a filter
    every_receiver: bool
    toggle: Toggle | None  # None when there is nothing to show or to fold
    shown: int  # receivers listed, on every page
    total: int  # receivers in the scope (the project's, or all), whatever the filters
    receivers_total: int  # in the whole registry, pending ones included
    project_total: int
    signals_total: int
    pending_total: int
    problems_total: int
    empty_signals: list[str]
    page_number: int
    page_count: int
    page_links: list[PageLink]
    first_shown: int  # position of the page's first receiver among those listed, from 1
    last_shown: int

    @classmethod
    def build(
        cls, registry: Registry, params: QueryDict, *, editor_url: str | None = None
    ) -> ReceiversPage:
        receivers = [*registry.receivers, *registry.pending]
        duplicates = registry.duplicates()
        problems = registry._problems(duplicates)
        problems_of = _problems_by_receiver(problems, duplicates)
        keys = [_keys(receiver, problems_of) for receiver in receivers]
        specs = _specs(keys)
        selection = Selection.parse(params, specs)

        constraints = [
            (spec.index, selection.active[spec.parameter])
            for spec in specs
            if spec.parameter in selection.active
        ]
        if not selection.every_receiver:
            constraints.append((SCOPE_KEY, PROJECT))
        terms = selection.terms
        if terms:
            constraints.append((SEARCHED, YES))
            keys = [(*key, _searched(r, terms)) for key, r in zip(keys, receivers, strict=True)]
        listed, counts = _count(keys, constraints)
        if selection.every_receiver:  # the project's first, then the others
            listed = [i for i in listed if keys[i][SCOPE_KEY] == PROJECT] + [
                i for i in listed if keys[i][SCOPE_KEY] == LIBRARY
            ]

        errors = list(selection.errors)
        paginator = Paginator(listed, PER_PAGE)
        number = selection.page
        if number > paginator.num_pages:
            errors.append(
                f"There is no page {number}: the list has "
                f"{presentation.count(paginator.num_pages, 'page')}; this is the last one."
            )
            number = paginator.num_pages
        page = paginator.page(number)
        first = (number - 1) * PER_PAGE
        rows = _RowMaker(
            {id(receiver) for group in duplicates for receiver in group}, problems_of, editor_url
        )
        groups = _groups(receivers, keys, listed, first, rows, sections=selection.every_receiver)
        project_total = sum(1 for key in keys if key[SCOPE_KEY] == PROJECT)
        return cls(
            groups=groups,
            listed=[receivers[i] for i in listed],
            filters=[
                offered
                for spec in specs
                # A filter that offers nothing but "All" is left out.
                if len((offered := _filter(spec, selection, counts[spec.index])).choices) > 1
            ],
            errors=errors,
            query=selection.query,
            hidden_parameters=[
                *selection.active.items(),
                *([(SCOPE, EVERY_RECEIVER)] if selection.every_receiver else []),
            ],
            clear_filters=selection.link(filters={}),
            show_all=selection.link(filters={}, query=""),
            filtered=selection.filtered,
            filters_active=bool(selection.active),
            every_receiver=selection.every_receiver,
            toggle=_toggle(selection, counts[SCOPE_KEY].get(LIBRARY, 0)),
            shown=len(listed),
            total=len(keys) if selection.every_receiver else project_total,
            receivers_total=len(keys),
            project_total=project_total,
            signals_total=sum(1 for info in registry.signals if info.receivers),
            pending_total=len(registry.pending),
            problems_total=len(problems),
            # Only on the unfiltered page: under a filter every other signal is "empty".
            empty_signals=[]
            if selection.filtered
            else [info.path for info in registry.signals if not info.receivers],
            page_number=number,
            page_count=paginator.num_pages,
            page_links=_page_links(paginator, number, selection),
            first_shown=page.start_index(),
            last_shown=page.end_index(),
        )

    @property
    def search_max_length(self) -> int:
        """The search box's ``maxlength``: longer searches are ignored (``SEARCH_MAX_LENGTH``)."""
        return SEARCH_MAX_LENGTH

    @property
    def summary(self) -> str:
        """The whole registry in one line, whatever the filters."""
        counts = presentation.totals(
            self.receivers_total - self.pending_total,
            self.signals_total,
            self.pending_total,
            self.problems_total,
        )
        return f"{counts}; {self.project_total} of them the project's."

    @property
    def scope_text(self) -> str:
        """What the list covers, whatever the filters: ``The project's 11 receivers.``"""
        if self.every_receiver:
            return f"All {presentation.count(self.total, 'receiver')}, the project's first."
        return f"The project's {presentation.count(self.total, 'receiver')}."


def breakable(text: str) -> SafeString:
    """``text`` escaped, with ``<wbr>`` after each dot and slash: long dotted paths and
    file paths wrap there rather than anywhere.
    """
    # Escaping first is what makes this safe; no entity it writes contains "." or "/".
    escaped = html.escape(text)
    return SafeString(escaped.replace(".", ".<wbr>").replace("/", "/<wbr>"))


def editor_link(template: str | None, file: str | None, line: int | None) -> str:
    """``SIGNALKIT_EDITOR_URL`` (``template``) for a receiver's source, "" without one.

    ``{path}`` is the absolute path, percent-escaped but for ``/`` and ``:`` (``\\`` read as
    ``/`` on Windows), ``{line}`` the line number::

        >>> editor_link("pycharm://open?file={path}&line={line}", "/srv/my shop/o.py", 12)
        'pycharm://open?file=/srv/my%20shop/o.py&line=12'
    """
    if not template or not file or line is None or not os.path.isabs(file):
        return ""
    absolute = os.path.normpath(file).replace(os.sep, "/")
    return template.format(path=quote(absolute, safe="/:"), line=line)


# --- counting: one pass over every receiver ----------------------------------------------


def _problems_by_receiver(
    problems: list[Problem], duplicates: list[list[ReceiverInfo]]
) -> dict[int, list[Problem]]:
    """Each receiver's problems, by ``id()``; a duplicate's is on every receiver of its group
    (``Registry.problems()`` names the group's first)."""
    groups = {id(group[0]): group for group in duplicates}
    found: dict[int, list[Problem]] = {}
    for problem in problems:
        members = [problem.receiver]
        if problem.kind == "duplicate":
            members = groups.get(id(problem.receiver), members)
        for receiver in members:
            found.setdefault(id(receiver), []).append(problem)
    return found


def _keys(receiver: ReceiverInfo, problems_of: dict[int, list[Problem]]) -> tuple[str, ...]:
    """The receiver's value for each filter and for the scope (see ``APP`` ...)."""
    return (
        presentation.app_label(receiver),
        receiver.signal_path,
        receiver.sender_label,
        YES if receiver.is_async else NO,
        YES if id(receiver) in problems_of else NO,
        PROJECT if receiver.in_project else LIBRARY,
    )


def _searched(receiver: ReceiverInfo, terms: list[str]) -> str:
    text = "\n".join(
        (receiver.path, receiver.name, receiver.signal_path, receiver.sender_label)
    ).lower()
    return YES if all(term in text for term in terms) else NO


def _count(
    keys: list[tuple[str, ...]], constraints: list[tuple[int, str]]
) -> tuple[list[int], dict[int, Counter[str]]]:
    """(the positions of the keys that meet every constraint, the facet counts).

    A facet's count of a value is the number of receivers with that value that meet every
    *other* constraint: what choosing it would list (Django admin's facets).
    """
    listed: list[int] = []
    missing_one: dict[int, list[int]] = {index: [] for index, _ in constraints}
    for position, key in enumerate(keys):
        missed = -1
        for index, wanted in constraints:
            if key[index] != wanted:
                if missed >= 0:
                    break
                missed = index
        else:
            if missed < 0:
                listed.append(position)
            else:
                missing_one[missed].append(position)
    listed_keys = [keys[position] for position in listed] if constraints else keys
    counts = {}
    for facet in FACETS:
        counts[facet] = Counter(map(itemgetter(facet), listed_keys))
        if missing_one.get(facet):
            counts[facet].update(keys[position][facet] for position in missing_one[facet])
    return listed, counts


def _specs(keys: list[tuple[str, ...]]) -> list[_Spec]:
    apps = sorted({key[APP] for key in keys} - {presentation.NO_APP})
    if any(key[APP] == presentation.NO_APP for key in keys):
        apps.append(presentation.NO_APP)
    signals = list(dict.fromkeys(key[SIGNAL] for key in keys))
    names = Counter(path.rpartition(".")[2] for path in signals)
    senders = sorted({key[SENDER] for key in keys}, key=lambda label: (label != "any", label))
    return [
        _Spec(
            "app",
            "app",
            [(label, "(no app)" if label == presentation.NO_APP else label) for label in apps],
            APP,
        ),
        _Spec(
            "signal",
            "signal",
            # The bare name unless two signals share it.
            [
                (path, path if names[path.rpartition(".")[2]] > 1 else path.rpartition(".")[2])
                for path in signals
            ],
            SIGNAL,
        ),
        _Spec("sender", "sender", [(label, label) for label in senders], SENDER),
        _Spec("async", "async", [(YES, "Yes"), (NO, "No")], ASYNC),
        _Spec("problems", "problems", [(YES, "Problems only")], PROBLEMS),
    ]


def _filter(spec: _Spec, selection: Selection, counts: Counter[str]) -> Filter:
    """A sidebar filter offering the choices that list something, and the selected one."""
    selected = selection.active.get(spec.parameter)
    choices = [Choice("All", selection.choice_link(spec.parameter, None), selected is None)]
    for value, display in spec.values:
        count = counts.get(value, 0)
        if count or value == selected:
            choices.append(
                Choice(
                    display,
                    selection.choice_link(spec.parameter, value),
                    value == selected,
                    count,
                )
            )
    return Filter(spec.parameter, spec.title, choices)


def _toggle(selection: Selection, library: int) -> Toggle | None:
    """The link that shows (``library``: how many the filters let through) or folds the
    framework and library receivers."""
    receivers = (
        "framework or library receiver" if library == 1 else ("framework and library receivers")
    )
    if selection.every_receiver:
        return Toggle(
            f"Hide the {library} {receivers}"
            if library
            else "Hide framework and library receivers",
            selection.link(every_receiver=False),
            expanded=True,
        )
    if not library:
        return None
    return Toggle(f"Show {library} {receivers}", selection.link(every_receiver=True), False)


def _page_links(paginator: Paginator[int], number: int, selection: Selection) -> list[PageLink]:
    if paginator.num_pages <= 1:
        return []
    return [
        PageLink(str(entry), selection.link(page=entry), entry == number)
        if isinstance(entry, int)
        else PageLink(str(entry))
        for entry in paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)
    ]


# --- the rows of one page ---------------------------------------------------------------


class _RowMaker:
    """Builds :class:`Row` objects, sharing what rows of one page share."""

    def __init__(
        self,
        duplicated: set[int],
        problems_of: dict[int, list[Problem]],
        editor_url: str | None,
    ) -> None:
        self.duplicated = duplicated
        self.problems_of = problems_of
        self.editor_url = editor_url
        # Receivers share files: work out each file's readable path once per page.
        self.readable = functools.cache(presentation.readable_path)

    def __call__(self, receiver: ReceiverInfo) -> Row:
        if presentation.names_itself(receiver):
            detail = ""
        elif receiver.path.endswith(f".{receiver.name}"):
            detail = receiver.kind
        else:
            detail = f"{receiver.kind}: {receiver.name}"
        bound = presentation.bound_to(receiver)
        if bound is not None:
            detail = f"{detail}, {bound}"
        if receiver.pending:
            detail = " ".join(filter(None, [detail, f"signal {receiver.signal_path}"]))
        if receiver.file:
            source = breakable(f"{self.readable(receiver.file)}:{receiver.line}")
            source_title = f"{receiver.file}:{receiver.line}"
        else:
            source_title = presentation.NO_SOURCE
            source = breakable(source_title)
        return Row(
            path=breakable(receiver.path),
            detail=detail,
            app=presentation.app_label(receiver),
            sender_html=breakable(receiver.sender_label),
            sender_flags=[
                (flag, flag in presentation.BAD_SENDER_FLAGS) for flag in receiver.sender_flags
            ],
            flags=[(breakable(flag), False) for flag in presentation.informational_flags(receiver)]
            + [(flag, True) for flag in presentation.problem_flags(receiver, self.duplicated)],
            source=source,
            source_title=source_title,
            editor_url=editor_link(self.editor_url, receiver.file, receiver.line),
            problems=[
                (check_id(problem.kind) or "", problem.message)
                for problem in self.problems_of.get(id(receiver), [])
            ],
        )


def _groups(
    receivers: list[ReceiverInfo],
    keys: list[tuple[str, ...]],
    listed: list[int],
    first: int,
    make_row: Callable[[ReceiverInfo], Row],
    *,
    sections: bool,
) -> list[Group]:
    """The groups of the page of ``listed`` that starts at ``first``.

    Identical rows next to each other are folded into one (``Row.times``). Only this page's
    receivers become rows; a group's total is counted over ``listed``, where each group's
    receivers are next to each other.
    """

    def group_of(position: int) -> tuple[str, bool, str]:
        index = listed[position]
        pending = receivers[index].pending
        return (keys[index][SCOPE_KEY], pending, "" if pending else keys[index][SIGNAL])

    end = min(first + PER_PAGE, len(listed))
    groups: list[Group] = []
    for position in range(first, end):
        key = group_of(position)
        row = make_row(receivers[listed[position]])
        if groups and group_of(position - 1) == key:
            rows = groups[-1].rows
            previous = rows[-1]
            if replace(previous, times=1) == row:
                rows[-1] = replace(previous, times=previous.times + 1)
            else:
                rows.append(row)
            continue
        start, stop = position, position + 1
        while start > 0 and group_of(start - 1) == key:
            start -= 1
        while stop < len(listed) and group_of(stop) == key:
            stop += 1
        scope, pending, signal = key
        new_section = sections and (not groups or group_of(position - 1)[0] != scope)
        groups.append(
            Group(
                title=breakable(f"Pending: {presentation.PENDING}" if pending else signal),
                rows=[row],
                total=stop - start,
                pending=pending,
                continued=start < position,
                section=(PROJECT_SECTION if scope == PROJECT else LIBRARY_SECTION)
                if new_section
                else "",
            )
        )
    return groups


# --- parameters and messages ------------------------------------------------------------


def _query_string(params: dict[str, str]) -> str:
    kept = [(name, value) for name, value in params.items() if value]
    return f"?{urlencode(kept)}" if kept else "?"


def _search(value: str) -> tuple[str, str | None]:
    """(the search to apply, an error): a search over ``SEARCH_MAX_LENGTH`` is ignored."""
    query = value.strip()
    if len(query) <= SEARCH_MAX_LENGTH:
        return query, None
    return "", (
        f"The search {_quoted(query)} is {len(query):,} characters long, longer than the "
        f"{SEARCH_MAX_LENGTH} allowed; it is ignored."
    )


def _choices(spec: _Spec) -> str:
    return _listing(
        f"{value} (no app)" if value == presentation.NO_APP else value for value, _ in spec.values
    )


def _unknown(parameter: str, title: str, value: str, choices: str) -> str:
    return (
        f"Unknown {title} {_quoted(value)} in the {parameter!r} filter; it is ignored. "
        f"Choose one of: {choices}."
    )


def _quoted(value: str) -> str:
    """``repr(value)``, cut to ``QUOTED_LENGTH`` characters (ending "…") when longer."""
    return presentation.safe_repr(value, limit=QUOTED_LENGTH)


def _listing(values: Iterable[str], limit: int = 20) -> str:
    shown = list(values)
    if len(shown) <= limit:
        return ", ".join(shown) or "(none)"
    return f"{', '.join(shown[:limit])} and {len(shown) - limit} more (see the filters)"
