"""The "Signal receivers" admin page: its first view at 5,000 receivers, and its scaling.

What is measured: the CPU time of one request to the page, in a process whose custom
signals have 100 receivers, in one with 1,000 and in one with 5,000. One request is the
admin's whole view as its URL resolves (``admin_view``'s checks, ``registry.snapshot()``,
counting the filters' choices, building one page of rows, rendering the template with the
admin's base templates) called with a ``RequestFactory`` GET and rendered to bytes.

Three results:

- ``admin``: the ratio 5,000 / 100, goal at most 50, i.e. linear or better (the page
  counts every receiver once; anything quadratic, e.g. a per-receiver scan of every
  receiver or a query per receiver, gives far more);
- ``admin.first_view_time``: the first view (``GET /admin/signalkit/receiver/``, no
  parameter) at 5,000 receivers against the goal of 60 ms;
- ``admin.first_view_bytes``: its size against the goal of 400 KB (400,000 bytes).

The project is the registry benchmark's (:func:`benchmarks.registry_scaling.generate`):
one installed app ``bench`` with 200 custom signals (half found in ``bench/signals.py``,
half ``register_signal()``-ed) and receiver modules of 100 receivers each in a fixed mix
of plain, decorated, ``dispatch_uid``, bound-method, partial and async receivers and of
"any", model and non-model senders; a size imports the first ``size / 100`` modules. Its
app is the project's, so the first view lists every generated receiver (a page at a time)
and folds only Django's own.

Why it is fair: each size runs in a fresh interpreter (``settings.configure()`` and
``django.setup()`` in a child process, no database: the user is an unsaved active
superuser, whose permission checks need no query) generated from the same templates; only
the number of receiver modules imported differs. Before timing, the child checks that the
snapshot lists exactly the generated receivers, and that the first view counts them all:
its summary counts every receiver, its list (over all its pages) is every receiver of the
project, and it shows one page of them, so a page that leaves receivers out cannot look
fast. One untimed request warms up the template caches. The figure per size is the
minimum over the repetitions (noise only ever adds time), in CPU time, which other work on
a shared machine barely moves. Printed as detail: each size's figure, rows and bytes; its
cost per receiver over a page with none of the generated receivers (the fixed part); the
5,000 / 1,000 ratio (linear: 5); wall-clock minima; at the largest size, the last page's
time and size (a page costs the same wherever it is) and what the inspector alone costs
(``registry.snapshot()``, and ``Registry.problems()`` on a fresh snapshot), the part of
the first view that is not the page's own.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import registry_scaling
from benchmarks.result import BenchmarkError, Result, Results, format_duration
from benchmarks.timing import run_child

NAME = "admin"
GOAL = 50.0
#: The first view's goals at the largest size.
FIRST_VIEW_SECONDS = 0.060
FIRST_VIEW_BYTES = 400_000

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
    in_project: int  # of them, the project's
    counted: int  # receivers the first view's summary counts
    shown: int  # receivers the first view lists, over all its pages
    rows: int  # receivers on the first view's page (a row of identical ones counts each)
    per_page: int
    page_bytes: int  # the largest of the timed requests' (they are all the same)
    cpu: list[float]
    wall: list[float]
    last_page_cpu: list[float]
    last_page_bytes: int
    snapshot_cpu: list[float]
    problems_cpu: list[float]


def run(quick: bool) -> Results:
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
    biggest = measured[large]
    per_receiver = ", ".join(
        f"{format_duration((cpu[size] - fixed) / size)} at {size:,}" for size in config.sizes
    )
    first_view = f"first view at {large:,} receivers"
    scaling = Result(
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
                f"({measured[size].rows:,} rows of {measured[size].shown:,} listed, "
                f"{measured[size].page_bytes:,} bytes)"
                for size in (0, *config.sizes)
            ),
            f"per generated receiver over the page without them ({format_duration(fixed)}): "
            f"{per_receiver}",
            f"ratio {large:,} / {middle:,}: {cpu[large] / cpu[middle]:.2f} (linear: "
            f"{large / middle:g})",
            "wall clock, minima: "
            + ", ".join(f"{format_duration(min(measured[s].wall))}" for s in config.sizes),
            f"at {large:,}, the last page (page {pages(biggest)}): "
            f"{format_duration(min(biggest.last_page_cpu))}, {biggest.last_page_bytes:,} bytes",
            f"at {large:,}, the inspector alone: registry.snapshot() "
            f"{format_duration(min(biggest.snapshot_cpu))}, Registry.problems() "
            f"{format_duration(min(biggest.problems_cpu))}",
        ),
    )
    time_goal = Result(
        name=f"{NAME}.first_view_time",
        subject=cpu[large],
        baseline=FIRST_VIEW_SECONDS,
        goal=1.0,
        runs=config.repeats,
        quick=quick,
        subject_label=first_view,
        baseline_label="goal",
        statistic="min",
    )
    bytes_goal = Result(
        name=f"{NAME}.first_view_bytes",
        subject=biggest.page_bytes,
        baseline=FIRST_VIEW_BYTES,
        goal=1.0,
        runs=config.repeats,
        quick=quick,
        subject_label=first_view,
        baseline_label="goal",
        statistic="largest",
        unit="bytes",
    )
    return Results.of(NAME, (scaling, time_goal, bytes_goal))


def pages(measurement: Measurement) -> int:
    return max(1, -(-measurement.shown // measurement.per_page))


def check_complete(measurement: Measurement, size: int) -> None:
    """Raise :class:`BenchmarkError` unless the first view counted every receiver and
    listed one page of the project's."""
    problems = []
    if measurement.receivers != size:
        problems.append(
            f"the snapshot lists {measurement.receivers} of the {size} generated receivers"
        )
    if measurement.counted != measurement.listed:
        problems.append(
            f"the page's summary counts {measurement.counted} of the {measurement.listed} "
            f"receivers the snapshot lists"
        )
    if measurement.shown != measurement.in_project:
        problems.append(
            f"the page lists {measurement.shown} of the project's {measurement.in_project} "
            f"receivers"
        )
    page = min(measurement.per_page, measurement.shown)
    if measurement.rows != page:
        problems.append(
            f"the page has {measurement.rows} receiver rows where one page of "
            f"{measurement.shown} receivers has {page}"
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
            in_project=int(raw["in_project"]),
            counted=int(raw["counted"]),
            shown=int(raw["shown"]),
            rows=int(raw["rows"]),
            per_page=int(raw["per_page"]),
            page_bytes=max(int(size) for size in raw["page_bytes"]),
            cpu=[float(t) for t in raw["cpu"]],
            wall=[float(t) for t in raw["wall"]],
            last_page_cpu=[float(t) for t in raw["last_page_cpu"]],
            last_page_bytes=int(raw["last_page_bytes"]),
            snapshot_cpu=[float(t) for t in raw["snapshot_cpu"]],
            problems_cpu=[float(t) for t in raw["problems_cpu"]],
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

    from signalkit.admin import PER_PAGE

    snapshot = registry.snapshot()
    listed = [*snapshot.receivers, *snapshot.pending]
    ours = [r for r in listed if r.signal_path.startswith("bench.")]
    in_project = sum(1 for r in listed if r.in_project)
    view = resolve(URL).func
    user = User(username="bench", is_active=True, is_staff=True, is_superuser=True)

    def request(params: dict[str, str]) -> bytes:
        get = RequestFactory().get(URL, params)
        get.user = user
        response = view(get)
        if response.status_code != 200:
            raise SystemExit(f"GET {URL} answered {response.status_code}")
        return bytes(response.render().content)

    def timed(call: Callable[[], object]) -> tuple[list[float], list[float], list[object]]:
        cpu, wall, results = [], [], []
        for _ in range(repeats):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            results.append(call())
            wall.append(time.perf_counter() - wall_start)
            cpu.append(time.process_time() - cpu_start)
        return cpu, wall, results

    page = request({})  # warm-up, and what is checked
    # "5033 receivers on 222 signals, 0 pending, ..." and "The project's 5000 receivers."
    summary = re.search(
        rb'<p class="sk-summary">(\d+) receivers? on \d+ signals?, (\d+) pending', page
    )
    shown = re.search(rb"The project&#x27;s (\d+) receivers?\.", page)
    # A row of identical receivers says how many: <span class="sk-times" title=...>&times;3
    folded = re.findall(rb'<span class="sk-times" title="[^"]*">&times;(\d+)</span>', page)
    rows = page.count(b'<tr class="sk-receiver') + sum(int(times) - 1 for times in folded)
    last = str(max(1, -(-in_project // PER_PAGE)))
    last_page = request({"p": last})
    cpu, wall, pages = timed(lambda: request({}))
    last_page_cpu, _, _ = timed(lambda: request({"p": last}))
    snapshot_cpu, _, _ = timed(registry.snapshot)
    problems_cpu = []
    for _ in range(repeats):
        fresh = registry.snapshot()
        start = time.process_time()
        fresh.problems()
        problems_cpu.append(time.process_time() - start)
    print(
        json.dumps(
            {
                "receivers": len(ours),
                "listed": len(listed),
                "in_project": in_project,
                "counted": int(summary.group(1)) + int(summary.group(2)) if summary else -1,
                "shown": int(shown.group(1)) if shown else -1,
                "rows": rows,
                "per_page": PER_PAGE,
                "page_bytes": [len(body) for body in pages if isinstance(body, bytes)],
                "cpu": cpu,
                "wall": wall,
                "last_page_cpu": last_page_cpu,
                "last_page_bytes": len(last_page),
                "snapshot_cpu": snapshot_cpu,
                "problems_cpu": problems_cpu,
            }
        )
    )
