"""What a benchmark returns (:class:`Result`) or raises (:class:`BenchmarkError`)."""

from __future__ import annotations

from dataclasses import dataclass


class BenchmarkError(Exception):
    """A benchmark could not produce a meaningful figure (reported without a traceback).

    For example the two variants it compares do not do the same work, or a measured
    process failed.
    """


@dataclass(frozen=True)
class Result:
    """signalkit's cost against the by-hand cost of the same job, and the goal for it.

    ``ratio`` is ``subject / baseline``: lower is better, and the goal is met when the
    ratio is at most ``goal``; ``goal=None`` is a figure only reported (there is no goal to
    meet). Times are in seconds. Example::

        >>> r = Result("startup", subject=0.4123, baseline=0.4074, goal=1.05, runs=15)
        >>> r.line()
        'startup: ratio 1.012 (goal <= 1.05, met) - signalkit 412.3 ms vs by hand 407.4 ms, median of 15 runs each'
        >>> Result("x", subject=2e-6, baseline=1e-6, goal=None, runs=3).line()
        'x: ratio 2.000 (goal: none, reported) - signalkit 2.0 us vs by hand 1.0 us, median of 3 runs each'
    """  # noqa: E501 (a doctest line cannot be wrapped)

    name: str
    subject: float
    baseline: float
    goal: float | None
    runs: int
    quick: bool = False
    subject_label: str = "signalkit"
    baseline_label: str = "by hand"
    statistic: str = "median"
    details: tuple[str, ...] = ()
    unit: str = "s"  # what subject and baseline measure: "s" (seconds) or "bytes"

    def __post_init__(self) -> None:
        if not self.baseline > 0:
            raise BenchmarkError(
                f"{self.name}: the by-hand time is {self.baseline!r}, so no ratio can be "
                f"computed; the measurement is broken."
            )

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline

    @property
    def met(self) -> bool:
        """Whether the ratio is within the goal (always, when there is none)."""
        return self.goal is None or self.ratio <= self.goal

    def line(self) -> str:
        """The one-line summary: ratio, goal and verdict, then the two figures."""
        if self.quick:
            verdict = "not judged: --quick figures are not meaningful"
        elif self.goal is None:
            verdict = "reported"
        else:
            verdict = "met" if self.met else "NOT met"
        goal = "goal: none" if self.goal is None else f"goal <= {self.goal:g}"
        runs = f"{self.runs} run" if self.runs == 1 else f"{self.runs} runs"
        return (
            f"{self.name}: ratio {self.ratio:.3f} ({goal}, {verdict}) - "
            f"{self.subject_label} {self.amount(self.subject)} vs "
            f"{self.baseline_label} {self.amount(self.baseline)}, "
            f"{self.statistic} of {runs} each"
        )

    def amount(self, value: float) -> str:
        """A figure of this result in its unit: ``'412.3 ms'``, ``'96,577 bytes'``."""
        return f"{value:,.0f} bytes" if self.unit == "bytes" else format_duration(value)

    def lines(self) -> list[str]:
        """The detail lines (indented), then the summary line."""
        return [f"  {detail}" for detail in self.details] + [self.line()]


@dataclass(frozen=True)
class Results(Result):
    """Several results reported by one benchmark module: each prints its own lines."""

    parts: tuple[Result, ...] = ()

    @classmethod
    def of(cls, name: str, parts: tuple[Result, ...]) -> Results:
        first = parts[0]
        return cls(
            name=name,
            subject=first.subject,
            baseline=first.baseline,
            goal=first.goal,
            runs=first.runs,
            quick=first.quick,
            parts=parts,
        )

    @property
    def met(self) -> bool:
        return all(part.met for part in self.parts)

    def line(self) -> str:
        return "\n".join(part.line() for part in self.parts)

    def lines(self) -> list[str]:
        return [line for part in self.parts for line in part.lines()]


def format_duration(seconds: float) -> str:
    """``0.4123`` -> ``'412.3 ms'``; picks s, ms, us or ns so the number is >= 1."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.1f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"
