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

How: every variant runs in a fresh interpreter (``settings.configure()`` with
``contenttypes`` and ``auth`` only, then ``django.setup()``), so nothing one variant does
(importing signalkit, a class attribute set and restored) can reach the other. Inside,
the statement is timed the way ``timeit`` does (a compiled loop of ``number`` executions,
the garbage collector off), ``repeats`` times, in CPU time; the child keeps the fastest
repeat, divided by ``number``: noise only ever adds time. The processes of the two
variants alternate A B B A ... (:func:`benchmarks.timing.interleaved`) after one
untimed pair, and the ratio compares the medians of the per-process figures: a process's
memory layout moves a fast send by a few per cent either way, which the median over
many processes evens out. The minimum over all processes and the median of the paired
ratios are printed beside it.

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

import itertools
import json
import os
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.result import BenchmarkError, Result, Results, format_duration
from benchmarks.timing import interleaved, run_process

NAME = "muting"

# Where ``benchmarks`` is importable from in the child process.
REPO = Path(__file__).resolve().parent.parent

SEND = (
    "post_save.send(sender=User, instance=user, created=False, update_fields=None, "
    "raw=False, using='default')"
)


@dataclass(frozen=True)
class Comparison:
    """One ratio line: a signalkit variant against a baseline variant."""

    name: str
    subject: str  # child variant names, see VARIANTS
    baseline: str
    goal: float
    subject_label: str
    baseline_label: str
    timed: str  # what is timed, for the detail line


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


@dataclass(frozen=True)
class Config:
    processes: int  # timed processes per variant
    warmups: int  # untimed processes per variant first
    repeats: int  # timeit repeats per process
    numbers: dict[str, int]  # timeit number per comparison name


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


@dataclass(frozen=True)
class Measurement:
    """What one child process reports: its per-execution time and its checks."""

    seconds: float  # fastest repeat / number
    problems: list[str]


def run(quick: bool) -> Result:
    """Time every comparison in fresh processes; return the four results as one."""
    config = QUICK if quick else FULL
    return Results.of(NAME, tuple(compare(comparison, config, quick) for comparison in COMPARISONS))


def compare(comparison: Comparison, config: Config, quick: bool) -> Result:
    number = config.numbers[comparison.name]
    a_runs, b_runs = interleaved(
        lambda: measure(comparison.subject, number, config.repeats),
        lambda: measure(comparison.baseline, number, config.repeats),
        runs=config.processes,
        warmups=config.warmups,
    )
    a, b = [m.seconds for m in a_runs], [m.seconds for m in b_runs]
    details = (
        f"timed: {comparison.timed}; each run a fresh process, fastest of {config.repeats} "
        f"repeat{'s' if config.repeats > 1 else ''} of {number:,} executions, CPU time",
        f"checks: passed in every process ({comparison.subject} / {comparison.baseline})",
        f"minima over all processes: {format_duration(min(a))} vs {format_duration(min(b))}, "
        f"ratio {min(a) / min(b):.3f}; median of the paired ratios "
        f"{statistics.median(x / y for x, y in zip(a, b, strict=True)):.3f}",
    )
    fields: dict[str, Any] = {
        "name": comparison.name,
        "subject": statistics.median(a),
        "baseline": statistics.median(b),
        "runs": config.processes,
        "quick": quick,
        "subject_label": comparison.subject_label,
        "baseline_label": comparison.baseline_label,
        "details": details,
    }
    return Result(goal=comparison.goal, **fields)


def measure(variant: str, number: int, repeats: int) -> Measurement:
    """Run :func:`child` for ``variant`` in a fresh interpreter; check what it reports."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    args = [
        sys.executable,
        "-c",
        "import sys; from benchmarks.muting import child; child(sys.argv[1:])",
        variant,
        str(number),
        str(repeats),
    ]
    completed = run_process(args, cwd=REPO, env=env)
    lines = completed.stdout.strip().splitlines()
    try:
        raw = json.loads(lines[-1])
        measurement = Measurement(
            seconds=float(raw["seconds"]), problems=[str(p) for p in raw["problems"]]
        )
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        raise BenchmarkError(
            f"the {variant} child printed no report: {completed.stdout!r}"
        ) from exc
    if measurement.problems:
        raise BenchmarkError(
            f"the {variant} variant does not measure what it should, so its timing would "
            f"mean nothing:\n  " + "\n  ".join(measurement.problems)
        )
    return measurement


# --- the child process ---------------------------------------------------------------------


def child(argv: Sequence[str]) -> None:
    """In the child: configure Django, set up ``variant``, check it, time it, print JSON."""
    variant, number, repeats = argv[0], int(argv[1]), int(argv[2])
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()
    from django.contrib.auth.models import User
    from django.db.models.signals import post_save

    problems: list[str] = []
    calls = itertools.count()

    def receiver(sender: object, **kwargs: object) -> None:
        next(calls)

    def called() -> int:
        """How often the receiver ran since the last call of this function."""
        nonlocal calls
        count, calls = next(calls), itertools.count()
        return count

    if post_save.receivers:
        problems.append(
            f"post_save has {len(post_save.receivers)} receivers before the benchmark's"
        )
    if variant != "no_receivers":
        post_save.connect(receiver, sender=User)
    namespace = {"post_save": post_save, "User": User, "user": User(username="bench")}
    send = compile(SEND, "<send>", "eval")

    def send_once() -> int:
        called()
        eval(send, namespace)
        return called()

    setup, statement, expected_calls = VARIANTS[variant](namespace, send_once, problems)
    setup()
    timer = timeit.Timer(statement, globals=namespace, timer=time.process_time)
    best = min(timer.repeat(repeat=repeats, number=number)) / number
    if (ran := called()) != expected_calls * repeats * number:
        problems.append(
            f"the receiver ran {ran} times during the timing, not "
            f"{expected_calls * repeats * number}"
        )
    imported = "signalkit" in sys.modules
    if imported != (variant in SIGNALKIT_VARIANTS):
        problems.append(f"signalkit is {'' if imported else 'not '}imported")
    print(json.dumps({"seconds": best, "problems": problems}))


Setup = tuple[Callable[[], None], str, int]


def _unmuted_after_a_mute(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    from signalkit import gate, muted_signals

    def setup() -> None:
        with muted_signals(namespace["post_save"]):
            if (n := send_once()) != 0:
                problems.append(f"inside muted_signals(post_save) the receiver ran {n} times")
        _check_unmuted(send_once, problems)
        if gate.is_installed():
            problems.append("signalkit's gate is still in place after the mute")
        _check_pristine(namespace["post_save"], problems)

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
        _check_unmuted(send_once, problems)
        _check_pristine(namespace["post_save"], problems)

    return setup, SEND, 1


def _check_pristine(signal: Any, problems: list[str]) -> None:
    """``signal``'s send is Django's own function, looked up on Django's own class."""
    from django.db.models.signals import ModelSignal
    from django.dispatch import Signal

    if type(signal) is not ModelSignal:
        problems.append(f"post_save wears {type(signal)!r}, not Django's ModelSignal")
    if signal.send.__func__ is not vars(Signal)["send"]:
        problems.append("post_save.send is not Django's Signal.send")


def _unmuted_without_signalkit(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    return (lambda: _check_unmuted(send_once, problems)), SEND, 1


def _muted(namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]) -> Setup:
    from signalkit import muted_signals

    def setup() -> None:
        _check_unmuted(send_once, problems)
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


def _enter_exit(mute_name: str) -> Callable[[dict[str, Any], Callable[[], int], list[str]], Setup]:
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
            _check_unmuted(send_once, problems)

        return setup, "with mute(post_save): pass", 0

    return variant


def _check_unmuted(send_once: Callable[[], int], problems: list[str]) -> None:
    if (n := send_once()) != 1:
        problems.append(f"an unmuted send ran the receiver {n} times, not once")


SIGNALKIT_VARIANTS = frozenset(
    {"unmuted_after_a_mute", "unmuted_beside_other_mutes", "muted", "enter_exit_signalkit"}
)
VARIANTS: dict[str, Callable[[dict[str, Any], Callable[[], int], list[str]], Setup]] = {
    "unmuted_after_a_mute": _unmuted_after_a_mute,
    "unmuted_beside_other_mutes": _unmuted_beside_other_mutes,
    "unmuted_without_signalkit": _unmuted_without_signalkit,
    "muted": _muted,
    "no_receivers": _no_receivers,
    "enter_exit_signalkit": _enter_exit("muted_signals"),
    "enter_exit_factory_boy": _enter_exit("mute_signals"),
}
