"""Scaling of the inspector: ``registry.snapshot()`` on 10,000 receivers against 1,000.

What is measured: the CPU time of one ``signalkit.registry.snapshot()`` call, in a process
whose custom signals have 1,000 receivers, and in one whose signals have 10,000; the ratio
is 10k / 1k. Linear growth gives about 10 (a little less: the fixed part of a snapshot,
Django's built-in signals and the signal catalogue, does not grow); anything quadratic,
e.g. a per-receiver scan of every receiver or of every module, gives far more. Goal: at
most 12, i.e. at most 20 % worse than linear.

The project (generated in a temporary directory, one installed app ``bench``): 200 custom
signals, half defined at module level in ``bench/signals.py`` (found by the catalogue),
half in ``bench/events.py`` and made known with
``register_signal(Signal(), name="bench.events.sNNN")``. Receiver modules of 100 receivers
each (10 modules for 1,000, 100 for 10,000, so the per-module share is the same at both
sizes) connect receivers spread evenly over the signals, in a fixed mix by position:
plain functions under ``@receiver`` (30 %), functions behind a ``functools.wraps``
decorator (10 %), functions with a ``dispatch_uid`` (10 %), bound methods of module-level
instances (20 %), ``functools.partial`` objects connected with ``weak=False`` (20 %) and
``async def`` functions (10 %); independently, the senders are "any" (3 in 7), one of
the app's 10 models (1 in 7), ``auth.User`` (1 in 7), ``auth.Group`` (1 in 7) or a plain
class (1 in 7).

Why it is fair: each size runs in a fresh interpreter (``settings.configure()`` and
``django.setup()`` in a child process, so nothing leaks into the runner or between the
sizes) generated from the same templates; only the number of receiver modules differs.
Before timing, the child checks that the snapshot lists exactly the receivers generated
(count and mix), and one untimed snapshot warms up caches. The figure per size is the
minimum over the repetitions (the usual statistic for an in-process micro-benchmark: noise
only ever adds time), in CPU time, which other work on a shared machine barely moves.
Printed as detail: wall-clock minima, the snapshot of the signals with no receiver at
all (the fixed part), the marginal ratio without it, ``snapshot().to_dict()``, the
work behind ``listsignals --format json``, and the signal catalogue alone (part of every
snapshot: it reads the globals of every imported module, so it grows with the modules
imported, not with the receivers).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import run_child

if TYPE_CHECKING:
    from signalkit.registry import ReceiverInfo

NAME = "registry"
GOAL = 12.0

# Where ``benchmarks`` is importable from in the child process.
REPO = Path(__file__).resolve().parent.parent

KINDS = (
    "function",
    "function",
    "function",
    "decorated",
    "dispatch_uid",
    "method",
    "method",
    "partial",
    "partial",
    "async",
)
SENDERS = ("None", "None", "None", "model", "User", "Group", "Gateway")


@dataclass(frozen=True)
class Config:
    small: int  # receivers; the large size is 10 times as many
    signals: int
    per_module: int
    models: int
    repeats: int

    @property
    def large(self) -> int:
        return self.small * 10


FULL = Config(small=1_000, signals=200, per_module=100, models=10, repeats=15)
QUICK = Config(small=20, signals=10, per_module=10, models=2, repeats=2)


@dataclass(frozen=True)
class Measurement:
    """What the child measured for one size (times in seconds)."""

    receivers: int
    kinds: dict[str, int]
    snapshot_cpu: list[float]
    snapshot_wall: list[float]
    to_dict_cpu: list[float]
    catalogue_cpu: list[float] = field(default_factory=list)
    modules: int = 0  # imported modules the catalogue scans
    variables: int = 0  # their module-level variables


def run(quick: bool) -> Result:
    """Generate the project, measure each size in its own process, compare."""
    config = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-registry-") as tmp:
        root = Path(tmp)
        generate(root, config)
        empty = measure(root, config, 0)
        small = measure(root, config, config.small)
        large = measure(root, config, config.large)
    for measurement, size in ((empty, 0), (small, config.small), (large, config.large)):
        check_mix(measurement, expected_mix(size, config))
    small_cpu, large_cpu = min(small.snapshot_cpu), min(large.snapshot_cpu)
    fixed = min(empty.snapshot_cpu)
    return Result(
        name=NAME,
        subject=large_cpu,
        baseline=small_cpu,
        goal=GOAL,
        runs=config.repeats,
        quick=quick,
        subject_label=f"{config.large:,} receivers",
        baseline_label=f"{config.small:,} receivers",
        statistic="min",
        details=(
            f"project: {config.signals} custom signals (half found in bench/signals.py, "
            f"half register_signal()-ed), receivers in modules of {config.per_module}; "
            f"timed: registry.snapshot(), in-process CPU time, one fresh process per size",
            f"receivers seen by the snapshot: {_mix(small)}; {_mix(large)}",
            f"fixed part (a snapshot with the signals but none of the receivers): "
            f"{format_duration(fixed)}; "
            f"marginal ratio without it: {_marginal(large_cpu, small_cpu, fixed)}; per "
            f"receiver: {format_duration((small_cpu - fixed) / config.small)} at "
            f"{config.small:,}, {format_duration((large_cpu - fixed) / config.large)} at "
            f"{config.large:,}",
            f"wall clock, minima: {format_duration(min(large.snapshot_wall))} vs "
            f"{format_duration(min(small.snapshot_wall))}; CPU medians: "
            f"{format_duration(statistics.median(large.snapshot_cpu))} vs "
            f"{format_duration(statistics.median(small.snapshot_cpu))}",
            f"snapshot().to_dict() (listsignals --format json's work), CPU minima: "
            f"{format_duration(min(large.to_dict_cpu))} vs "
            f"{format_duration(min(small.to_dict_cpu))}, ratio "
            f"{min(large.to_dict_cpu) / min(small.to_dict_cpu):.2f}",
            f"the signal catalogue alone (in every snapshot: imported modules' globals read), CPU "
            f"minima: {format_duration(min(large.catalogue_cpu))} for {large.modules:,} "
            f"modules / {large.variables:,} module-level variables vs "
            f"{format_duration(min(small.catalogue_cpu))} for {small.modules:,} / "
            f"{small.variables:,}",
        ),
    )


def expected_mix(receivers: int, config: Config) -> dict[str, int]:
    """What the snapshot should report for the first ``receivers`` generated receivers.

    Keys: ``ReceiverInfo.kind`` values, then ``async``, ``dispatch_uid`` and
    ``model sender`` (see :func:`_tags`).
    """
    mix: Counter[str] = Counter()
    for index in range(receivers):
        kind = KINDS[index % len(KINDS)]
        mix[kind if kind in ("method", "partial") else "function"] += 1
        if kind == "async":
            mix["async"] += 1
        if kind == "dispatch_uid":
            mix["dispatch_uid"] += 1
        if SENDERS[index % len(SENDERS)] in ("model", "User", "Group"):
            mix["model sender"] += 1
    return dict(mix)


def check_mix(measurement: Measurement, expected: dict[str, int]) -> None:
    """Raise :class:`BenchmarkError` unless the snapshot saw exactly the generated mix."""
    if measurement.kinds != expected:
        raise BenchmarkError(
            f"the snapshot does not describe the generated receivers: it reports "
            f"{measurement.kinds}, the project has {expected}; the timing would not "
            f"measure the work intended"
        )


def _mix(measurement: Measurement) -> str:
    order = ("function", "method", "partial", "async", "dispatch_uid", "model sender")
    tags = [*(tag for tag in order if tag in measurement.kinds), *measurement.kinds]
    kinds = ", ".join(f"{measurement.kinds[tag]:,} {tag}" for tag in dict.fromkeys(tags))
    return f"{measurement.receivers:,} ({kinds})"


def _marginal(large: float, small: float, fixed: float) -> str:
    if small <= fixed:
        return "n/a (the small size is within the noise of the fixed part)"
    return f"{(large - fixed) / (small - fixed):.2f}"


# --- the generated project -----------------------------------------------------------------


def generate(root: Path, config: Config) -> None:
    """Write the ``bench`` app: models, signals, and receiver modules for the large size."""
    app = root / "bench"
    _write(app / "__init__.py", "")
    _write(
        app / "models.py",
        "from django.db import models\n"
        + "".join(MODEL.format(index=i) for i in range(config.models)),
    )
    half = config.signals // 2
    _write(
        app / "signals.py",
        "from django.dispatch import Signal\n\n"
        + "".join(f"s{k:03d} = Signal()\n" for k in range(half)),
    )
    _write(
        app / "events.py",
        "from django.dispatch import Signal\n\nfrom signalkit.registry import register_signal\n\n"
        + "".join(
            f's{k:03d} = register_signal(Signal(), name="bench.events.s{k:03d}")\n'
            for k in range(half, config.signals)
        ),
    )
    _write(app / "gateways.py", GATEWAYS_PY)
    for module in range(config.large // config.per_module):
        first = module * config.per_module
        body = "".join(
            _receiver(index, config) for index in range(first, first + config.per_module)
        )
        header = RECEIVERS_HEADER.format(
            models=", ".join(f"Model{i:02d}" for i in range(config.models))
        )
        _write(app / f"receivers_{module:03d}.py", header + body)


def _receiver(index: int, config: Config) -> str:
    k = index % config.signals
    signal = f"{'signals' if k < config.signals // 2 else 'events'}.s{k:03d}"
    sender = SENDERS[index % len(SENDERS)]
    if sender == "model":
        sender = f"Model{index % config.models:02d}"
    elif sender == "Gateway":
        sender = "PaymentGateway"
    kind = KINDS[index % len(KINDS)]
    return RECEIVER_TEMPLATES[kind].format(i=index, signal=signal, sender=sender)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


MODEL = """

class Model{index:02d}(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        app_label = "bench"
"""

GATEWAYS_PY = """\
class PaymentGateway:
    \"\"\"A non-model sender, as in send(sender=PaymentGateway, ...).\"\"\"
"""

RECEIVERS_HEADER = """\
import functools

from django.contrib.auth.models import Group, User
from django.dispatch import receiver

from bench import events, signals
from bench.gateways import PaymentGateway
from bench.models import {models}


def logged(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapper


def notify(channel, sender, **kwargs):
    return channel


class Handler:
    def __init__(self, index):
        self.index = index

    def handle(self, sender, **kwargs):
        return self.index


# Bound methods are connected weakly: the instances must stay alive.
HANDLERS = []
"""

RECEIVER_TEMPLATES = {
    "function": """

@receiver({signal}, sender={sender})
def on_{i:05d}(sender, **kwargs):
    return {i}
""",
    "decorated": """

@receiver({signal}, sender={sender})
@logged
def on_{i:05d}(sender, **kwargs):
    return {i}
""",
    "dispatch_uid": """

def on_{i:05d}(sender, **kwargs):
    return {i}


{signal}.connect(on_{i:05d}, sender={sender}, dispatch_uid="bench.on_{i:05d}")
""",
    "method": """

HANDLERS.append(Handler({i}))
{signal}.connect(HANDLERS[-1].handle, sender={sender})
""",
    "partial": """

{signal}.connect(functools.partial(notify, {i}), sender={sender}, weak=False)
""",
    "async": """

@receiver({signal}, sender={sender})
async def on_{i:05d}(sender, **kwargs):
    return {i}
""",
}


# --- the child process ---------------------------------------------------------------------


def measure(root: Path, config: Config, receivers: int) -> Measurement:
    """Run :func:`child` in a fresh interpreter with ``receivers`` receivers connected."""
    raw, stdout = run_child(
        "benchmarks.registry_scaling",
        str(receivers),
        str(config.per_module),
        str(config.signals),
        str(config.repeats),
        cwd=root,
        path=[root],
    )
    try:
        return Measurement(
            receivers=int(raw["receivers"]),
            kinds={str(k): int(v) for k, v in raw["kinds"].items()},
            snapshot_cpu=[float(t) for t in raw["snapshot_cpu"]],
            snapshot_wall=[float(t) for t in raw["snapshot_wall"]],
            to_dict_cpu=[float(t) for t in raw["to_dict_cpu"]],
            catalogue_cpu=[float(t) for t in raw["catalogue_cpu"]],
            modules=int(raw["modules"]),
            variables=int(raw["variables"]),
        )
    except (IndexError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BenchmarkError(
            f"the registry child with {receivers} receivers printed no report: {stdout!r}"
        ) from exc


def child(argv: Sequence[str]) -> None:
    """In the child: configure Django, connect the receivers, time snapshots, print JSON."""
    receivers, per_module, signals, repeats = (int(arg) for arg in argv)
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "signalkit",
            "bench",
        ],
        DATABASES={},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()
    from importlib import import_module

    from signalkit import registry
    from signalkit.discovery import catalogue, module_namespace

    import_module("bench.events")  # the registered signals are known even with no receiver
    for module in range(receivers // per_module):
        import_module(f"bench.receivers_{module:03d}")

    ours = [r for r in registry.snapshot().receivers if r.signal_path.startswith("bench.")]
    signals_seen = {info.path for info in registry.snapshot().signals}
    expected_signals = {
        f"bench.{'signals' if k < signals // 2 else 'events'}.s{k:03d}" for k in range(signals)
    }
    if len(ours) != receivers or not expected_signals <= signals_seen:
        raise SystemExit(
            f"the snapshot sees {len(ours)} of the {receivers} generated receivers and "
            f"{len(expected_signals & signals_seen)} of the {signals} signals"
        )
    kinds = Counter(tag for r in ours for tag in _tags(r))

    snapshot_cpu, snapshot_wall, to_dict_cpu = [], [], []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        registry.snapshot()
        snapshot_wall.append(time.perf_counter() - wall)
        snapshot_cpu.append(time.process_time() - cpu)
    for _ in range(repeats):
        reg = registry.snapshot()
        cpu = time.process_time()
        reg.to_dict()
        to_dict_cpu.append(time.process_time() - cpu)
    catalogue_cpu = []
    for _ in range(repeats):
        cpu = time.process_time()
        catalogue()
        catalogue_cpu.append(time.process_time() - cpu)
    namespaces = [module_namespace(module) for module in list(sys.modules.values())]
    variables = [len(namespace) for namespace in namespaces if namespace is not None]
    print(
        json.dumps(
            {
                "receivers": len(ours),
                "kinds": kinds,
                "snapshot_cpu": snapshot_cpu,
                "snapshot_wall": snapshot_wall,
                "to_dict_cpu": to_dict_cpu,
                "catalogue_cpu": catalogue_cpu,
                "modules": len(variables),
                "variables": sum(variables),
            }
        )
    )


def _tags(receiver: ReceiverInfo) -> list[str]:
    from django.db import models

    tags = [receiver.kind]
    if receiver.is_async:
        tags.append("async")
    if receiver.dispatch_uid is not None:
        tags.append("dispatch_uid")
    sender = receiver.sender
    if isinstance(sender, type) and issubclass(sender, models.Model):
        tags.append("model sender")
    return tags
