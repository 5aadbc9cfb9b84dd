"""Scaling of the "Signal receivers" admin page: render time for 100, 1,000 and 5,000 receivers.

What is measured: the CPU time of one request to the page, in a process whose custom
signals have 100 receivers, in one with 1,000 and in one with 5,000; the ratio is 5,000 /
100. One request is the admin's whole view as its URL resolves (``admin_view``'s checks,
``registry.snapshot()``, building the rows, filters and counts, rendering the template
with the admin's base templates) called with a ``RequestFactory`` GET and rendered to
bytes. Linear growth gives about 50 (less: the fixed part, the admin's chrome and Django's
own signals and receivers, does not grow); anything quadratic, e.g. a per-receiver scan of
every receiver or a database query per receiver, gives far more. Goal: at most 50, i.e.
linear or better.

The project is the registry benchmark's (:func:`benchmarks.registry_scaling.generate`):
one installed app ``bench`` with 200 custom signals (half found in ``bench/signals.py``,
half ``register_signal()``-ed) and receiver modules of 100 receivers each in a fixed mix
of plain, decorated, ``dispatch_uid``, bound-method, partial and async receivers and of
"any", model and non-model senders; a size imports the first ``size / 100`` modules.

Why it is fair: each size runs in a fresh interpreter (``settings.configure()`` and
``django.setup()`` in a child process, no database: the user is an unsaved active
superuser, whose permission checks need no query) generated from the same templates; only
the number of receiver modules imported differs. Before timing, the child checks that the
snapshot lists exactly the generated receivers and that the rendered page has one row for
every receiver the snapshot lists, so a page that leaves receivers out cannot look fast.
One untimed request warms up the template caches. The figure per size is the minimum over
the repetitions (noise only ever adds time), in CPU time, which other work on a shared
machine barely moves. Printed as detail: each size's figure and its cost per receiver over
a page with none of the generated receivers (the fixed part), the 5,000 / 1,000 ratio
(linear: 5), wall-clock minima and the page's size in bytes.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import registry_scaling
from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import run_child

NAME = "admin"
GOAL = 50.0

# Where ``benchmarks`` is importable from in the child process.
REPO = Path(__file__).resolve().parent.parent
URL = "/admin/signalkit/receiver/"
URLS_PY = """\
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, int, int]  # receivers: small, middle, large; multiples of per_module
    project: registry_scaling.Config  # its ``large`` is the largest size
    repeats: int


FULL = Config(
    sizes=(100, 1_000, 5_000),
    project=registry_scaling.Config(small=500, signals=200, per_module=100, models=10, repeats=0),
    repeats=9,
)
QUICK = Config(
    sizes=(10, 20, 50),
    project=registry_scaling.Config(small=5, signals=10, per_module=10, models=2, repeats=0),
    repeats=2,
)


@dataclass(frozen=True)
class Measurement:
    """What the child measured for one size (times in seconds)."""

    receivers: int  # generated receivers the snapshot lists
    listed: int  # every receiver the snapshot lists, Django's own included
    rows: int  # receiver rows on the page
    page_bytes: int
    cpu: list[float]
    wall: list[float]


def run(quick: bool) -> Result:
    """Generate the project, measure each size in its own process, compare."""
    config = QUICK if quick else FULL
    small, middle, large = config.sizes
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-admin-") as tmp:
        root = Path(tmp)
        registry_scaling.generate(root, config.project)
        (root / "bench_urls.py").write_text(URLS_PY, encoding="utf-8")
        measured = {size: measure(root, config, size) for size in (0, *config.sizes)}
    for size, measurement in measured.items():
        check_complete(measurement, size)
    cpu = {size: min(m.cpu) for size, m in measured.items()}
    fixed = cpu[0]
    per_receiver = ", ".join(
        f"{format_duration((cpu[size] - fixed) / size)} at {size:,}" for size in config.sizes
    )
    return Result(
        name=NAME,
        subject=cpu[large],
        baseline=cpu[small],
        goal=GOAL,
        runs=config.repeats,
        quick=quick,
        subject_label=f"{large:,} receivers",
        baseline_label=f"{small:,} receivers",
        statistic="min",
        details=(
            f"project: {config.project.signals} custom signals, receivers in modules of "
            f"{config.project.per_module}; timed: GET {URL} through the admin's URL, "
            f"RequestFactory, rendered; in-process CPU time, one fresh process per size",
            *(
                f"{size:,} receivers: {format_duration(cpu[size])} "
                f"({measured[size].rows:,} rows, {measured[size].page_bytes:,} bytes)"
                for size in (0, *config.sizes)
            ),
            f"per generated receiver over the page without them ({format_duration(fixed)}): "
            f"{per_receiver}",
            f"ratio {large:,} / {middle:,}: {cpu[large] / cpu[middle]:.2f} (linear: "
            f"{large / middle:g})",
            "wall clock, minima: "
            + ", ".join(f"{format_duration(min(measured[s].wall))}" for s in config.sizes),
        ),
    )


def check_complete(measurement: Measurement, size: int) -> None:
    """Raise :class:`BenchmarkError` unless the page listed every generated receiver."""
    problems = []
    if measurement.receivers != size:
        problems.append(
            f"the snapshot lists {measurement.receivers} of the {size} generated receivers"
        )
    if measurement.rows != measurement.listed:
        problems.append(
            f"the page has {measurement.rows} receiver rows for the {measurement.listed} "
            f"receivers the snapshot lists"
        )
    if problems:
        raise BenchmarkError(
            f"with {size} receivers, " + "; ".join(problems) + ": the timing would not "
            "measure the work intended"
        )


def measure(root: Path, config: Config, receivers: int) -> Measurement:
    """Run :func:`child` in a fresh interpreter with ``receivers`` receivers connected."""
    raw, stdout = run_child(
        "benchmarks.admin_page",
        str(receivers),
        str(config.project.per_module),
        str(config.repeats),
        cwd=root,
        path=[root],
    )
    try:
        return Measurement(
            receivers=int(raw["receivers"]),
            listed=int(raw["listed"]),
            rows=int(raw["rows"]),
            page_bytes=int(raw["page_bytes"]),
            cpu=[float(t) for t in raw["cpu"]],
            wall=[float(t) for t in raw["wall"]],
        )
    except (IndexError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BenchmarkError(
            f"the admin page child with {receivers} receivers printed no report: {stdout!r}"
        ) from exc


def child(argv: Sequence[str]) -> None:
    """In the child: configure Django, connect the receivers, time requests, print JSON."""
    receivers, per_module, repeats = (int(arg) for arg in argv)
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "signalkit",
            "bench",
        ],
        DATABASES={},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        ROOT_URLCONF="bench_urls",
        ALLOWED_HOSTS=["testserver"],
        SECRET_KEY="signalkit-benchmark-not-secret",
        STATIC_URL="/static/",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
    )
    django.setup()
    from importlib import import_module

    from django.contrib.auth.models import User
    from django.test import RequestFactory
    from django.urls import resolve

    from signalkit import registry

    import_module("bench.events")  # the registered signals are known even with no receiver
    for module in range(receivers // per_module):
        import_module(f"bench.receivers_{module:03d}")

    snapshot = registry.snapshot()
    listed = [*snapshot.receivers, *snapshot.pending]
    ours = [r for r in listed if r.signal_path.startswith("bench.")]
    view = resolve(URL).func
    user = User(username="bench", is_active=True, is_staff=True, is_superuser=True)

    def request() -> bytes:
        get = RequestFactory().get(URL)
        get.user = user
        response = view(get)
        if response.status_code != 200:
            raise SystemExit(f"GET {URL} answered {response.status_code}")
        return bytes(response.render().content)

    page = request()  # warm-up, and what is checked
    cpu, wall = [], []
    for _ in range(repeats):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        request()
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    print(
        json.dumps(
            {
                "receivers": len(ours),
                "listed": len(listed),
                "rows": page.count(b'<tr class="sk-receiver'),
                "page_bytes": len(page),
                "cpu": cpu,
                "wall": wall,
            }
        )
    )
