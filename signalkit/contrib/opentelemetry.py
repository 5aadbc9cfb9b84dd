"""OpenTelemetry spans for receiver runs: ``SignalInstrumentor().instrument()``.

    >>> from signalkit.contrib.opentelemetry import SignalInstrumentor
    >>> SignalInstrumentor().instrument(exclude_signals=["django.db.models.signals.pre_init"])

:class:`SignalInstrumentor` follows OpenTelemetry's ``BaseInstrumentor`` conventions
(``instrument(tracer_provider=...)``, ``uninstrument()``, one instance per process). While
it is instrumented it is an observer of signalkit's send gate
(:class:`signalkit.gate.Observer`) for every signal but those left out, and each receiver
run becomes one span:

- named ``<signal> <receiver>`` (``post_save shop.signals.update_stock``): the signal's
  short name (``signal`` for one signalkit cannot name) and the receiver's dotted path;
  no ids, no senders, so names stay few;
- kind ``INTERNAL``, a child of the span current where the receiver runs: the request span
  of a web framework's instrumentation, or the span of the receiver whose send this is. An
  async receiver's span is made current in the receiver's own coroutine, so under
  ``asend()`` each receiver's span is a child of the span current at the send, and the
  sends a receiver makes are under its span;
- attributes ``signalkit.signal`` (the signal's dotted path), ``signalkit.sender`` (the
  sender's label: ``shop.Order``), ``signalkit.receiver`` (the receiver's dotted path) and,
  when the receiver was connected with one, ``signalkit.dispatch_uid`` (its ``str()``).
  Never a send's arguments: they are model instances, requests, personal data;
- an exception the receiver raises is recorded on its span (an exception event, status
  ``ERROR``) and raised as without the instrumentor (``send_robust`` returns it).

There is no span per send: a send with no receivers makes none, a send with three makes
three sibling spans. Muted receivers do not run, so have no span.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.dispatch import Signal
from django.utils.module_loading import import_string
from opentelemetry import context, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.trace import SpanKind, Status, StatusCode

import signalkit
from signalkit import gate, presentation
from signalkit.registry import dispatch_uid_of, receiver_path, send_sender_label

__all__ = ["SignalInstrumentor"]

# What the instrumentor instruments: Django's signals, through signalkit's gate.
_INSTRUMENTS = ("django >= 5.2",)
_NOT_SENDING = nullcontext()


class SignalInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Spans for Django's receiver runs (see the module's documentation).

    ``instrument(tracer_provider=None, exclude_signals=())``: ``tracer_provider`` is the
    ``TracerProvider`` to use (the global one by default); ``exclude_signals`` the signals
    that get no spans, as Signal objects or their dotted paths
    (``"django.db.models.signals.pre_init"``). ``uninstrument()`` gives every signal its
    own ``send`` back.
    """

    _observer: _SpanObserver | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        excluded = _signals(kwargs.get("exclude_signals") or ())
        tracer = trace.get_tracer(
            __name__, signalkit.__version__, tracer_provider=kwargs.get("tracer_provider")
        )
        observer = _SpanObserver(tracer, excluded)
        gate.add_observer(observer)
        self._observer = observer

    def _uninstrument(self, **kwargs: Any) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            gate.remove_observer(observer)


def _signals(signals: Iterable[Signal | str]) -> frozenset[Signal]:
    if isinstance(signals, (str, Signal)):
        raise TypeError(
            "exclude_signals takes a list of signals (Signal objects or dotted paths), "
            f"not {signals!r}."
        )
    resolved = set()
    for item in signals:
        signal = item
        if isinstance(item, str):
            try:
                signal = import_string(item)
            except ImportError as exc:
                raise ValueError(
                    f"exclude_signals: {item!r} is not the dotted path of a signal ({exc})."
                ) from exc
        if not isinstance(signal, Signal):
            raise TypeError(
                f"exclude_signals takes Signal objects or dotted paths of signals, not {item!r}."
            )
        resolved.add(signal)
    return frozenset(resolved)


class _SpanObserver:
    """The gate observer behind an instrumented :class:`SignalInstrumentor`."""

    signals: frozenset[Signal] = frozenset()  # every signal: wants() leaves some out

    def __init__(self, tracer: trace.Tracer, excluded: frozenset[Signal]) -> None:
        self.tracer = tracer
        self.excluded = excluded
        self._signal_paths: weakref.WeakKeyDictionary[Signal, str] = weakref.WeakKeyDictionary()
        self._receiver_paths: weakref.WeakKeyDictionary[Callable[..., Any], str] = (
            weakref.WeakKeyDictionary()
        )

    def wants(self, signal: Signal) -> bool:
        return signal not in self.excluded

    def send(
        self, signal: Signal, sender: object, named: dict[str, Any], method: gate.SendMethod
    ) -> AbstractContextManager[object]:
        return _NOT_SENDING  # spans are per receiver run

    def receiver(
        self, signal: Signal, sender: object, receiver: Callable[..., Any]
    ) -> AbstractContextManager[object]:
        signal_path = self._signal_path(signal)
        path = self._receiver_path(receiver)
        attributes = {
            "signalkit.signal": signal_path,
            "signalkit.sender": send_sender_label(sender),
            "signalkit.receiver": path,
        }
        uid = dispatch_uid_of(signal, receiver, sender)
        if uid is not None:
            attributes["signalkit.dispatch_uid"] = str(uid)
        short = "signal" if signal_path.startswith("<") else signal_path.rpartition(".")[2]
        return _ReceiverSpan(self.tracer, f"{short} {path}", attributes)

    def _signal_path(self, signal: Signal) -> str:
        path = self._signal_paths.get(signal)
        if path is None:
            path = presentation.signal_name(signal)
            if not path.startswith("<"):  # a repr may become a path once apps are ready
                self._signal_paths[signal] = path
        return path

    def _receiver_path(self, receiver: Callable[..., Any]) -> str:
        if type(receiver) is not types.FunctionType:
            return receiver_path(receiver)
        path = self._receiver_paths.get(receiver)
        if path is None:
            path = self._receiver_paths[receiver] = receiver_path(receiver)
        return path


class _ReceiverSpan:
    """One receiver run's span, current while the receiver runs (entered and exited in the
    receiver's own context: the gate's contract)."""

    __slots__ = ("attributes", "name", "span", "token", "tracer")

    def __init__(self, tracer: trace.Tracer, name: str, attributes: dict[str, str]) -> None:
        self.tracer = tracer
        self.name = name
        self.attributes = attributes

    def __enter__(self) -> trace.Span:
        self.span = self.tracer.start_span(
            self.name, kind=SpanKind.INTERNAL, attributes=self.attributes
        )
        self.token = context.attach(trace.set_span_in_context(self.span))
        return self.span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        context.detach(self.token)
        span = self.span
        if exc is not None and span.is_recording():
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        span.end()
