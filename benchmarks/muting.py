"""The cost of muting: unmuted sends, muted sends, and entering and leaving a mute.

Four comparisons, one ratio line each (signalkit's time / the baseline's, lower is better).
The timed send is ``post_save.send(sender=User, instance=user, created=False,
update_fields=None, raw=False, using="default")``.

- ``muting.unmuted_send`` (goal <= 1.02: muting costs nothing once it has ended): the send,
  with one receiver connected, in a process that imported signalkit and entered and left
  ``muted_signals(post_save)`` (sending once inside it) before timing, against the same
  send in a process that never imported signalkit. While muted by name, ``post_save``
  wears a class of signalkit's; giving its own class back leaves the object's attributes
  in a dictionary of their own (CPython moves them out of the inline values on any
  ``__class__`` assignment), which this line shows.
- ``muting.unmuted_beside_a_mute`` (goal <= 1.02: a mute or recorder that names other
  signals changes nothing for this one): the same send while ``muted_signals(pre_save)``
  and ``record_signals(pre_delete)`` are active, against the same send in a process that
  never imported signalkit.
- ``muting.muted_send`` (goal <= 1.0: a muted send costs no more than a send with no
  receivers): the same send inside ``muted_signals(post_save)``, its receiver still
  connected, against the same send of ``post_save`` with no receiver connected, in a
  process that never imported signalkit.
- ``muting.enter_exit`` (goal <= 2.0): ``with muted_signals(post_save): pass`` against
  factory_boy's ``with factory.django.mute_signals(post_save): pass``, each in its own
  process, with one receiver connected; constructing the object is part of each, as in
  the usual ``with``.

How (:mod:`benchmarks.send_timing`, which ``tracing.idle`` shares): each variant runs in
fresh interpreters (``settings.configure()`` with ``contenttypes`` and ``auth`` only), so
nothing one variant does (importing signalkit, a class attribute set and restored) can
reach the other; each process times the statement the way ``timeit`` does and keeps the
fastest of ``repeats`` repeats, in CPU time. The processes of the two variants alternate
A B B A ..., and the ratio compares the medians of the per-process figures (a process's
memory layout moves a fast send by a few per cent either way); the minimum over all
processes and the median of the paired ratios are printed beside it.

Why it is fair: both variants of a comparison run the same statement with the same
settings, interpreter and environment (``PYTHONHASHSEED`` fixed). Before its timing each
child checks that it measures what it claims, and the benchmark aborts otherwise:
``post_save`` has exactly the one receiver of the benchmark (or none, for the empty
baseline), a send calls it exactly once (unmuted) or never (muted), the mute of either
library really silences it and ends, signalkit is imported in the signalkit variants and
never in the others, no signalkit gate is left on the Signal class or on ``post_save``
when the unmuted send is timed (beside the other mutes: those are active, on their own
signals only), and the receiver ran exactly as often during the timing as it should.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from benchmarks import send_timing
from benchmarks.result import Result, Results
from benchmarks.send_timing import (
    SEND,
    WITHOUT_SIGNALKIT,
    Comparison,
    Config,
    Setup,
    Variant,
    check_pristine,
    check_sent_once,
)

NAME = "muting"

COMPARISONS = (
    Comparison(
        name="muting.unmuted_send",
        subject="unmuted_after_a_mute",
        baseline="unmuted_without_signalkit",
        goal=1.02,
        subject_label="after a mute",
        baseline_label="signalkit never imported",
        timed=f"{SEND} with one receiver",
    ),
    Comparison(
        name="muting.unmuted_beside_a_mute",
        subject="unmuted_beside_other_mutes",
        baseline="unmuted_without_signalkit",
        goal=1.02,
        subject_label="pre_save muted, pre_delete recorded",
        baseline_label="signalkit never imported",
        timed=f"{SEND} with one receiver",
    ),
    Comparison(
        name="muting.muted_send",
        subject="muted",
        baseline="no_receivers",
        goal=1.0,
        subject_label="muted",
        baseline_label="no receivers",
        timed=f"{SEND}, muted with its receiver connected / with no receiver",
    ),
    Comparison(
        name="muting.enter_exit",
        subject="enter_exit_signalkit",
        baseline="enter_exit_factory_boy",
        goal=2.0,
        subject_label="muted_signals",
        baseline_label="factory.django.mute_signals",
        timed="with <mute>(post_save): pass, one receiver connected",
    ),
)

FULL = Config(
    processes=15,
    warmups=1,
    repeats=15,
    numbers={
        "muting.unmuted_send": 20_000,
        "muting.unmuted_beside_a_mute": 20_000,
        "muting.muted_send": 100_000,
        "muting.enter_exit": 2_000,
    },
)
QUICK = Config(
    processes=1,
    warmups=0,
    repeats=1,
    numbers={
        "muting.unmuted_send": 200,
        "muting.unmuted_beside_a_mute": 200,
        "muting.muted_send": 200,
        "muting.enter_exit": 50,
    },
)


def run(quick: bool) -> Result:
    """Time every comparison in fresh processes; return the four results as one."""
    config = QUICK if quick else FULL
    return Results.of(
        NAME,
        tuple(
            send_timing.compare(__name__, comparison, config, quick) for comparison in COMPARISONS
        ),
    )


# --- the child process ---------------------------------------------------------------------


def child(argv: Sequence[str]) -> None:
    """In the child: time ``argv[0]`` of :data:`VARIANTS` (see :func:`send_timing.child`)."""
    send_timing.child(argv, VARIANTS)


def _unmuted_after_a_mute(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    from signalkit import gate, muted_signals

    def setup() -> None:
        with muted_signals(namespace["post_save"]):
            if (n := send_once()) != 0:
                problems.append(f"inside muted_signals(post_save) the receiver ran {n} times")
        check_sent_once(send_once, problems, "an unmuted send")
        if gate.is_installed():
            problems.append("signalkit's gate is still in place after the mute")
        check_pristine(namespace["post_save"], problems)

    return setup, SEND, 1


def _unmuted_beside_other_mutes(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    from django.db.models.signals import pre_delete, pre_save

    from signalkit import gate, muted_signals, record_signals

    def setup() -> None:
        # Entered for the rest of the process: the timing runs beside them.
        muted_signals(pre_save).__enter__()
        record_signals(pre_delete).__enter__()
        if not (gate.is_gated(pre_save) and gate.is_gated(pre_delete)):
            problems.append("the mute of pre_save or the recorder of pre_delete is not active")
        check_sent_once(send_once, problems, "an unmuted send")
        check_pristine(namespace["post_save"], problems)

    return setup, SEND, 1


def _muted(namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]) -> Setup:
    from signalkit import muted_signals

    def setup() -> None:
        check_sent_once(send_once, problems, "an unmuted send")
        # Entered for the rest of the process: the timing runs inside it.
        muted_signals(namespace["post_save"]).__enter__()
        if (n := send_once()) != 0:
            problems.append(f"inside muted_signals(post_save) the receiver ran {n} times")

    return setup, SEND, 0


def _no_receivers(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    def setup() -> None:
        if namespace["post_save"].has_listeners(namespace["User"]):
            problems.append("post_save has listeners in the no-receivers baseline")
        send_once()

    return setup, SEND, 0


def _enter_exit(mute_name: str) -> send_timing.Prepare:
    def variant(
        namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
    ) -> Setup:
        mute: Callable[..., AbstractContextManager[Any]]
        if mute_name == "muted_signals":
            from signalkit import muted_signals as mute
        else:
            from factory.django import mute_signals as mute
        namespace["mute"] = mute

        def setup() -> None:
            with mute(namespace["post_save"]):
                if (n := send_once()) != 0:
                    problems.append(f"inside {mute_name}(post_save) the receiver ran {n} times")
            check_sent_once(send_once, problems, "an unmuted send")

        return setup, "with mute(post_save): pass", 0

    return variant


VARIANTS: dict[str, Variant] = {
    "unmuted_after_a_mute": Variant(_unmuted_after_a_mute, imports_signalkit=True),
    "unmuted_beside_other_mutes": Variant(_unmuted_beside_other_mutes, imports_signalkit=True),
    "unmuted_without_signalkit": WITHOUT_SIGNALKIT,
    "muted": Variant(_muted, imports_signalkit=True),
    "no_receivers": Variant(_no_receivers, imports_signalkit=False, connects_receiver=False),
    "enter_exit_signalkit": Variant(_enter_exit("muted_signals"), imports_signalkit=True),
    "enter_exit_factory_boy": Variant(_enter_exit("mute_signals"), imports_signalkit=False),
}
