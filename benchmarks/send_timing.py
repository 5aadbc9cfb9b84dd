"""One send statement timed in fresh interpreters, a signalkit variant against a baseline.

The machinery the ``muting`` lines and ``tracing.idle`` share. A benchmark module defines
its variants (:class:`Variant`: how a child sets the process up, what it then times, how
often the receiver runs per execution) and a ``child(argv)`` calling :func:`child` with
them; :func:`compare` times two of them and returns the ratio line.

How: every variant runs in a fresh interpreter (``settings.configure()`` with
``contenttypes`` and ``auth``, plus ``signalkit`` for a variant that installs it, then
``django.setup()``), so nothing one variant does (importing signalkit, a class attribute
set and restored) can reach the other. The child connects one receiver to ``post_save``
for ``User``; the statement is timed the way ``timeit`` does (a compiled loop of
``number`` executions, the garbage collector off), ``repeats`` times, in CPU time; the
child keeps the fastest repeat, divided by ``number``: noise only ever adds time. The
processes of the two variants alternate A B B A ... (:func:`benchmarks.timing.interleaved`)
after the untimed warm-ups, and the ratio compares the medians of the per-process figures:
a process's memory layout moves a fast send by a few per cent either way, which the median
over many processes evens out. The minimum over all processes and the median of the
paired ratios are printed beside it.

Before its timing each child checks that it measures what it claims (``post_save`` has
exactly the benchmark's receiver, signalkit is imported exactly in the variants that say
so, the variant's own checks) and that the receiver ran exactly as often during the timing
as it should; the benchmark aborts (:class:`~benchmarks.result.BenchmarkError`) otherwise.
Both variants run with the same interpreter and environment (``PYTHONHASHSEED`` fixed).
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import REPO, interleaved, run_process

SEND = (
    "post_save.send(sender=User, instance=user, created=False, update_fields=None, "
    "raw=False, using='default')"
)

# What a variant's setup returns: the setup to run before the timing, the statement to
# time, and how often one execution of it runs the receiver.
Setup = tuple[Callable[[], None], str, int]
# (namespace of the timed statement, send_once, problems) -> Setup. ``send_once()`` sends
# once and returns how often the receiver ran; a problem appended aborts the benchmark.
Prepare = Callable[[dict[str, Any], Callable[[], int], list[str]], Setup]


@dataclass(frozen=True)
class Variant:
    """One way a child process sets up before timing."""

    prepare: Prepare
    imports_signalkit: bool  # checked after the timing: imported exactly when True
    installs_signalkit: bool = False  # "signalkit" in INSTALLED_APPS (its ready() runs)
    connects_receiver: bool = True  # False: post_save has no receiver at all


@dataclass(frozen=True)
class Comparison:
    """One ratio line: a signalkit variant against a baseline variant."""

    name: str
    subject: str  # variant names, keys of the module's variants
    baseline: str
    goal: float
    subject_label: str
    baseline_label: str
    timed: str  # what is timed, for the detail line


@dataclass(frozen=True)
class Config:
    processes: int  # timed processes per variant
    warmups: int  # untimed processes per variant first
    repeats: int  # timeit repeats per process
    numbers: dict[str, int]  # timeit number per comparison name


@dataclass(frozen=True)
class Measurement:
    """What one child process reports: its per-execution time and its checks."""

    seconds: float  # fastest repeat / number
    problems: list[str]


def compare(module: str, comparison: Comparison, config: Config, quick: bool) -> Result:
    """Time ``comparison``'s two variants of ``module`` in alternating fresh processes."""
    number = config.numbers[comparison.name]
    a_runs, b_runs = interleaved(
        lambda: measure(module, comparison.subject, number, config.repeats),
        lambda: measure(module, comparison.baseline, number, config.repeats),
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
    return Result(
        name=comparison.name,
        subject=statistics.median(a),
        baseline=statistics.median(b),
        goal=comparison.goal,
        runs=config.processes,
        quick=quick,
        subject_label=comparison.subject_label,
        baseline_label=comparison.baseline_label,
        details=details,
    )


def measure(module: str, variant: str, number: int, repeats: int) -> Measurement:
    """Run ``<module>.child`` for ``variant`` in a fresh interpreter; check its report."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    args = [
        sys.executable,
        "-c",
        f"import sys; from {module} import child; child(sys.argv[1:])",
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


def child(argv: Sequence[str], variants: Mapping[str, Variant]) -> None:
    """In the child: configure Django, set up ``argv[0]`` (one of ``variants``), check it,
    time it ``argv[2]`` times ``argv[1]`` executions, print the JSON report."""
    name, number, repeats = argv[0], int(argv[1]), int(argv[2])
    variant = variants[name]
    import django
    from django.conf import settings

    apps = ["django.contrib.contenttypes", "django.contrib.auth"]
    settings.configure(
        INSTALLED_APPS=[*apps, "signalkit"] if variant.installs_signalkit else apps,
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
    if variant.connects_receiver:
        post_save.connect(receiver, sender=User)
    namespace = {"post_save": post_save, "User": User, "user": User(username="bench")}
    send = compile(SEND, "<send>", "eval")

    def send_once() -> int:
        called()
        eval(send, namespace)
        return called()

    setup, statement, expected_calls = variant.prepare(namespace, send_once, problems)
    setup()
    timer = timeit.Timer(statement, globals=namespace, timer=time.process_time)
    best = min(timer.repeat(repeat=repeats, number=number)) / number
    if (ran := called()) != expected_calls * repeats * number:
        problems.append(
            f"the receiver ran {ran} times during the timing, not "
            f"{expected_calls * repeats * number}"
        )
    imported = "signalkit" in sys.modules
    if imported != variant.imports_signalkit:
        problems.append(f"signalkit is {'' if imported else 'not '}imported")
    print(json.dumps({"seconds": best, "problems": problems}))


def without_signalkit(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    """The baseline: the send, one receiver, in a process that never imports signalkit."""
    return (lambda: check_sent_once(send_once, problems, "a send")), SEND, 1


WITHOUT_SIGNALKIT = Variant(without_signalkit, imports_signalkit=False)


def check_sent_once(send_once: Callable[[], int], problems: list[str], what: str) -> None:
    """One send runs the receiver once; else a problem saying ``what`` the send was."""
    if (n := send_once()) != 1:
        problems.append(f"{what} ran the receiver {n} times, not once")


def check_pristine(signal: Any, problems: list[str]) -> None:
    """``signal``'s send is Django's own function, looked up on Django's own class."""
    from django.db.models.signals import ModelSignal
    from django.dispatch import Signal

    if type(signal) is not ModelSignal:
        problems.append(f"post_save wears {type(signal)!r}, not Django's ModelSignal")
    own = vars(Signal)["send"]
    if own.__module__ != "django.dispatch.dispatcher":
        problems.append(f"Signal.send is {own.__module__}.{own.__qualname__}, not Django's")
    if signal.send.__func__ is not own:
        problems.append("post_save.send is not Django's Signal.send")
