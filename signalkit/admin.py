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
connects and writes nothing, and runs no query of its own. Filters and search are GET
parameters (``app``, ``signal``, ``sender``, ``async``, ``problems``, ``q``); their choices
come from the snapshot. Only active staff with the ``signalkit.view_receiver`` permission,
and active superusers, see it.

Every filter link keeps the search, as in Django's own changelist, so the search is
limited to ``SEARCH_MAX_LENGTH`` characters: a longer one is reported and ignored, and a
bad value is quoted shortened in its message. The page's size never depends on the
length of what the URL carries.
"""

from __future__ import annotations

import functools
import html
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from signalkit import presentation
from signalkit.conf import conf
from signalkit.models import Receiver

if TYPE_CHECKING:
    from signalkit.registry import ReceiverInfo, Registry

__all__ = ["ReceiverAdmin", "ReceiversPage"]

TEMPLATE = "signalkit/admin/receivers.html"
SEARCH = "q"
# Longest search accepted: each filter link repeats it. A full dotted receiver path plus a
# signal name fits; the search box lets a browser type no more.
SEARCH_MAX_LENGTH = 200
# How much of a rejected value a message quotes.
QUOTED_LENGTH = 60


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

        page = ReceiversPage.build(snapshot(), request.GET)
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
    """One receiver, with everything the template prints already worked out."""

    receiver: ReceiverInfo
    path: SafeString  # escaped, breakable (see breakable)
    # Kind and name when the path alone does not say what runs; a pending receiver's signal.
    detail: str
    app: str
    sender: str
    sender_html: SafeString  # escaped, breakable
    # (flag, is a problem): the sender model's (abstract, proxy, ...), then the connection's
    # (async, strong, uid=..., escaped and breakable) and the problems (dead, DUPLICATE, ...)
    sender_flags: list[tuple[str, bool]]
    flags: list[tuple[str, bool]]
    source: SafeString  # file:line, the file as imported (readable_path), escaped, breakable
    source_title: str  # the absolute file:line
    is_problem: bool
    search_text: str = field(repr=False)  # lower case: receiver, signal and sender names


@dataclass(frozen=True)
class Group:
    """The rows of one signal (or of the pending receivers, ``pending=True``)."""

    title: SafeString  # escaped, breakable (see breakable)
    rows: list[Row]
    pending: bool = False

    @property
    def size(self) -> str:
        return presentation.count(len(self.rows), "receiver")


@dataclass(frozen=True)
class Choice:
    """One link of a sidebar filter."""

    display: str
    query_string: str
    selected: bool


@dataclass(frozen=True)
class Filter:
    """A sidebar filter: ``parameter`` is its GET parameter, ``title`` reads "By <title>"."""

    parameter: str
    title: str
    choices: list[Choice]


@dataclass(frozen=True)
class _Spec:
    """A filter's definition: its values (value, display) and the test a row must pass."""

    parameter: str
    title: str
    values: list[tuple[str, str]]
    matches: Callable[[Row, str], bool]


@dataclass(frozen=True)
class ReceiversPage:
    """The page for one snapshot and one set of GET parameters.

    ``ReceiversPage.build(snapshot(), request.GET)`` validates the parameters (an unknown
    value is reported in ``errors`` and ignored, never a server error), filters and
    searches the rows, and groups them by signal, pending receivers last.
    """

    groups: list[Group]
    filters: list[Filter]
    errors: list[str]
    query: str
    hidden_parameters: list[tuple[str, str]]  # the active filters, kept by the search form
    clear_filters: str  # query string: no filter, the search kept
    filtered: bool
    shown: int
    total: int
    signals_total: int
    pending_total: int
    problems_total: int
    empty_signals: list[str]

    @classmethod
    def build(cls, registry: Registry, params: QueryDict) -> ReceiversPage:
        duplicated = presentation.duplicated_ids(registry)
        problems = registry.problems()
        with_problem = duplicated | {id(problem.receiver) for problem in problems}
        # Receivers share files: work out each file's readable path once per page.
        readable = functools.cache(presentation.readable_path)

        def row(receiver: ReceiverInfo) -> Row:
            return _row(receiver, duplicated, with_problem, readable)

        groups = [
            Group(breakable(info.path), [row(r) for r in info.receivers])
            for info in registry.signals
        ]
        groups.append(
            Group(
                breakable(f"Pending: {presentation.PENDING}"),
                [row(r) for r in registry.pending],
                pending=True,
            )
        )
        rows = [row for group in groups for row in group.rows]

        specs = _specs(rows)
        active: dict[str, str] = {}
        errors = []
        for spec in specs:
            value = params.get(spec.parameter)
            if value is None:
                continue
            if value in dict(spec.values):
                active[spec.parameter] = value
            else:
                errors.append(_unknown(spec, value))
        query, search_error = _search(params.get(SEARCH, ""))
        if search_error:
            errors.append(search_error)
        terms = query.lower().split()

        def shown(row: Row) -> bool:
            return all(
                spec.matches(row, active[spec.parameter])
                for spec in specs
                if spec.parameter in active
            ) and all(term in row.search_text for term in terms)

        narrowed = [Group(g.title, [r for r in g.rows if shown(r)], g.pending) for g in groups]
        filtered = bool(active or terms)
        return cls(
            groups=[group for group in narrowed if group.rows],
            filters=[_filter(spec, active, query) for spec in specs],
            errors=errors,
            query=query,
            hidden_parameters=list(active.items()),
            clear_filters=_query_string({SEARCH: query}),
            filtered=filtered,
            shown=sum(len(group.rows) for group in narrowed),
            total=len(rows),
            signals_total=sum(1 for info in registry.signals if info.receivers),
            pending_total=len(registry.pending),
            problems_total=len(problems),
            # Only on the unfiltered page: under a filter every other signal is "empty".
            empty_signals=[]
            if filtered
            else [info.path for info in registry.signals if not info.receivers],
        )

    @property
    def search_max_length(self) -> int:
        """The search box's ``maxlength``: longer searches are ignored (``SEARCH_MAX_LENGTH``)."""
        return SEARCH_MAX_LENGTH

    @property
    def summary(self) -> str:
        """The whole registry in one line, whatever the filters."""
        counts = presentation.totals(
            self.total - self.pending_total,
            self.signals_total,
            self.pending_total,
            self.problems_total,
        )
        return f"{counts}."


def breakable(text: str) -> SafeString:
    """``text`` escaped, with ``<wbr>`` after each dot and slash: long dotted paths and
    file paths wrap there rather than anywhere.
    """
    # Escaping first is what makes this safe; no entity it writes contains "." or "/".
    escaped = html.escape(text)
    return SafeString(escaped.replace(".", ".<wbr>").replace("/", "/<wbr>"))


def _row(
    receiver: ReceiverInfo,
    duplicated: set[int],
    with_problem: set[int],
    readable: Callable[[str], str],
) -> Row:
    if presentation.names_itself(receiver):
        detail = ""
    elif receiver.path.endswith(f".{receiver.name}"):
        detail = receiver.kind
    else:
        detail = f"{receiver.kind}: {receiver.name}"
    if receiver.pending:
        detail = " ".join(filter(None, [detail, f"signal {receiver.signal_path}"]))
    if receiver.file:
        source = breakable(f"{readable(receiver.file)}:{receiver.line}")
        source_title = f"{receiver.file}:{receiver.line}"
    else:
        source_title = presentation.NO_SOURCE
        source = breakable(source_title)
    return Row(
        receiver=receiver,
        path=breakable(receiver.path),
        detail=detail,
        app=presentation.app_label(receiver),
        sender=receiver.sender_label,
        sender_html=breakable(receiver.sender_label),
        sender_flags=[
            (flag, flag in presentation.BAD_SENDER_FLAGS) for flag in receiver.sender_flags
        ],
        flags=[(breakable(flag), False) for flag in presentation.informational_flags(receiver)]
        + [(flag, True) for flag in presentation.problem_flags(receiver, duplicated)],
        source=source,
        source_title=source_title,
        is_problem=id(receiver) in with_problem,
        search_text="\n".join(
            (receiver.path, receiver.name, receiver.signal_path, receiver.sender_label)
        ).lower(),
    )


def _specs(rows: list[Row]) -> list[_Spec]:
    apps = sorted({row.app for row in rows} - {presentation.NO_APP})
    if any(row.app == presentation.NO_APP for row in rows):
        apps.append(presentation.NO_APP)
    signals = list(dict.fromkeys(row.receiver.signal_path for row in rows))
    names = Counter(path.rpartition(".")[2] for path in signals)
    senders = sorted({row.sender for row in rows}, key=lambda label: (label != "any", label))
    return [
        _Spec(
            "app",
            "app",
            [(label, "(no app)" if label == presentation.NO_APP else label) for label in apps],
            lambda row, value: row.app == value,
        ),
        _Spec(
            "signal",
            "signal",
            # The bare name unless two signals share it.
            [
                (path, path if names[path.rpartition(".")[2]] > 1 else path.rpartition(".")[2])
                for path in signals
            ],
            lambda row, value: row.receiver.signal_path == value,
        ),
        _Spec(
            "sender",
            "sender",
            [(label, label) for label in senders],
            lambda row, value: row.sender == value,
        ),
        _Spec(
            "async",
            "async",
            [("yes", "Yes"), ("no", "No")],
            lambda row, value: row.receiver.is_async == (value == "yes"),
        ),
        _Spec(
            "problems",
            "problems",
            [("yes", "Problems only")],
            lambda row, value: row.is_problem,
        ),
    ]


def _filter(spec: _Spec, active: dict[str, str], query: str) -> Filter:
    others = {name: value for name, value in active.items() if name != spec.parameter}
    others[SEARCH] = query
    selected = active.get(spec.parameter)
    choices = [Choice("All", _query_string(others), selected is None)]
    choices += [
        Choice(display, _query_string({**others, spec.parameter: value}), value == selected)
        for value, display in spec.values
    ]
    return Filter(spec.parameter, spec.title, choices)


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


def _unknown(spec: _Spec, value: str) -> str:
    choices = _listing(
        f"{value} (no app)" if value == presentation.NO_APP else value for value, _ in spec.values
    )
    return (
        f"Unknown {spec.title} {_quoted(value)} in the {spec.parameter!r} filter; it is "
        f"ignored. Choose one of: {choices}."
    )


def _quoted(value: str) -> str:
    """``repr(value)``, cut to ``QUOTED_LENGTH`` characters (ending "…") when longer."""
    return presentation.safe_repr(value, limit=QUOTED_LENGTH)


def _listing(values: Iterable[str], limit: int = 20) -> str:
    shown = list(values)
    if len(shown) <= limit:
        return ", ".join(shown) or "(none)"
    return f"{', '.join(shown[:limit])} and {len(shown) - limit} more (see the filters)"
