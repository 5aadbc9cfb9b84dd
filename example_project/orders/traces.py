"""The shop page's "what fired" box: a view's signal trace, carried across its redirect.

The ``place`` and ``confirm`` views run their work in ``signalkit.trace_signals()`` and
:func:`keep` the trace's ``to_dict()`` in the session, under one key that each of them
replaces; the shop page :func:`take`\\ s it (so it is shown once) and renders it with
``orders/_trace.html``. The words are the demo's own, computed here from the dictionary
(``trace.render()`` gives the same tree as text), with signalkit's own ways of writing
a signal's name and a duration (``signalkit.presentation``).

``trace_signals()`` sees the sends of every thread while it is active: a request that
``runserver`` handles at the same moment in another thread would show up in the tree too.
Fine for a demo used by one person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalkit.presentation import duration_text, readable_path, short_signal_name

if TYPE_CHECKING:
    from django.http import HttpRequest

    from signalkit.tracing import Trace

SESSION_KEY = "signalkit_last_trace"


def keep(request: HttpRequest, trace: Trace, action: str) -> None:
    """Keep ``trace`` for the next shop page, replacing the one kept before.

    ``action`` says what was traced, after "What fired while ...": "placing an order".
    """
    request.session[SESSION_KEY] = {"action": action, "trace": trace.to_dict()}


def take(request: HttpRequest) -> dict[str, Any] | None:
    """The trace kept by :func:`keep`, ready for ``orders/_trace.html``, and forget it;
    None when there is none."""
    kept = request.session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict):
        return None
    trace = kept["trace"]
    return {
        "action": kept["action"],
        "sends": [_send(send) for send in trace["sends"]],
        "unreceived": _unreceived(trace["unreceived"]),
    }


def _send(send: dict[str, Any]) -> dict[str, Any]:
    origin = send["origin"]
    return {
        "signal": short_signal_name(send["signal_path"]),
        "signal_path": send["signal_path"],
        "sender": send["sender_label"],
        "origin": None if origin is None else f"{readable_path(origin['file'])}:{origin['line']}",
        "method": send["method"],
        "receivers": count(len(send["runs"]), "receiver"),
        "duration": duration_text(send["duration"]),
        "runs": [_run(run) for run in send["runs"]],
    }


def _run(run: dict[str, Any]) -> dict[str, Any]:
    error = run["error"]
    queries = run["queries"]
    return {
        "receiver": run["receiver_path"],
        "deferral": run["deferral"],
        "duration": duration_text(run["duration"]),
        "queries": (
            f"{count(queries, 'query', 'queries')} ({duration_text(run['query_time'])})"
            if queries
            else ""
        ),
        "error": None if error is None else f"{error['type']}: {error['message']}",
        "sends": [_send(send) for send in run["sends"]],
    }


def _unreceived(unreceived: dict[str, int]) -> dict[str, Any] | None:
    """``{"sends": "3 sends", "signals": "post_init \N{MULTIPLICATION SIGN}2, ..."}``: the
    sends that reached no receiver, by signal, most first."""
    if not unreceived:
        return None
    by_number = sorted(unreceived.items(), key=lambda item: (-item[1], item[0]))
    return {
        "sends": count(sum(unreceived.values()), "send"),
        "signals": ", ".join(
            f"{short_signal_name(path)} \N{MULTIPLICATION SIGN}{number}"
            for path, number in by_number
        ),
    }


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 receiver``, ``2 receivers``; ``count(2, "query", "queries")``: ``2 queries``."""
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"
