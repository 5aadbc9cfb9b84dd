"""``python manage.py listsignals``: every known signal with its receivers, and ``--check``.

    $ python manage.py listsignals --app shop --signal post_save
    $ python manage.py listsignals --format json > receivers.json
    $ vim -q <(python manage.py listsignals --format vim)
    $ python manage.py listsignals --format dot | dot -Tsvg > signals.svg
    $ python manage.py listsignals --check   # only the problems; exit 1 when there are any

A pure read of ``signalkit.registry.snapshot()``: it imports, connects and writes nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from signalkit.checks import check_id
from signalkit.presentation import (
    BAD_SENDER_FLAGS,
    PENDING,
    app_label,
    count,
    deferred_flag,
    duplicated_ids,
    informational_flags,
    location,
    names_itself,
    problem_flags,
    totals,
)
from signalkit.registry import Problem, ReceiverInfo, Registry, snapshot

FORMATS = ("text", "json", "vim", "dot", "mermaid")


class Command(BaseCommand):
    """``listsignals``: text, json or vim output of ``snapshot().filter(...)``; ``--check``."""

    help = (
        "List every known signal with its receivers: sender, flags (commit, task, async, "
        "strong, uid, dead, DUPLICATE, pending, ...) and source file:line. Filters combine: "
        "repeat an option to accept several values, different options must all match. "
        "--check prints only the problems, on stderr, and exits with status 1 when there are "
        "any."
    )
    # A diagnostic must work on a project whose system checks fail (and signalkit's own
    # checks report what --check reports).
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app",
            action="append",
            metavar="LABEL",
            help="Only receivers defined in this app (an app label, e.g. 'shop'). Repeatable.",
        )
        parser.add_argument(
            "--signal",
            action="append",
            metavar="NAME_OR_PATH",
            help=(
                "Only this signal: a name ('post_save': every signal of that name) or a "
                "dotted path ('django.db.models.signals.post_save'). Repeatable. A signal "
                "named here is listed even when no receiver is left."
            ),
        )
        parser.add_argument(
            "--sender",
            action="append",
            metavar="APP_LABEL.MODEL",
            help=(
                "Only receivers that run for this model ('shop.Order'): those connected for "
                "it, and receivers of any sender of the model signals it sends (pre_save, "
                "post_save, ...; m2m_changed for a through model). Repeatable."
            ),
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="text",
            help=(
                "text (default): grouped by signal, coloured. json: the registry's to_dict() "
                "(keys signals, pending, problems). vim: one 'file:line: signal receiver' "
                "line per receiver, for vim -q (errorformat %%f:%%l: %%m), a deferred "
                "receiver's flag after it in brackets; receivers without Python source "
                "(builtins, dead references) are left out. dot: the sender -> signal -> "
                "receiver graph in Graphviz DOT (pipe it to 'dot -Tsvg'). mermaid: the same "
                "graph as a Mermaid flowchart, for Markdown."
            ),
        )
        parser.add_argument(
            "--include-dead",
            action="store_true",
            help=(
                "Also list receivers whose weak reference died (hidden by default; --check "
                "reports them anyway)."
            ),
        )
        parser.add_argument("--async-only", action="store_true", help="Only async receivers.")
        parser.add_argument(
            "--check",
            action="store_true",
            help=(
                "For CI: print only the problems, with their check ids, and a summary line on "
                "stderr (duplicate receivers, dead receivers, receivers without **kwargs, "
                "unresolved lazy senders, abstract or swapped model senders, as_task "
                "receivers a task worker cannot import, pre_save/post_save receivers that "
                "never read raw) and exit with status 1 when there is at least one. With "
                "--format json or vim, that output is printed as well."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registry = snapshot()
        named: list[str] = options["signal"] or []
        selected = registry
        if named or options["app"] or options["sender"]:
            try:
                selected = registry.filter(
                    app=options["app"], signal=options["signal"], sender=options["sender"]
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if options["async_only"]:
            selected = selected.select(lambda receiver: receiver.is_async, drop_empty=True)
        # Dead receivers are hidden from the listing, never from --check.
        shown = selected
        if not options["include_dead"] and not all(r.alive for r in selected.receivers):
            shown = selected.select(lambda receiver: receiver.alive)
        # json reports the problems of what it shows, in to_dict(); text counts them.
        wants_problems = options["check"] or options["format"] == "text"
        problems = selected.problems() if wants_problems else []

        if options["format"] == "json":
            self.stdout.write(json.dumps(shown.to_dict(), indent=2))
        elif options["format"] == "vim":
            for line in _vim_lines(shown):
                self.stdout.write(line)
        elif options["format"] in ("dot", "mermaid"):
            self.stdout.write(_graph_text(shown, options["format"]))
        elif not options["check"]:  # --check prints the problems instead of the listing
            # Signals named with --signal are listed even when no receiver is left.
            if named:
                receivers_of = {info.path: info.receivers for info in shown.signals}
                groups = [
                    (info.path, receivers_of.get(info.path, []))
                    for info in registry.filter(signal=named).signals
                ]
            else:
                groups = [(info.path, info.receivers) for info in shown.signals if info.receivers]
            self.write_text(groups, shown, selected, problems)

        if options["check"]:
            self.write_problems(problems, selected)
            if problems:
                sys.exit(1)

    # --- text ----------------------------------------------------------------------------

    def write_text(
        self,
        groups: list[tuple[str, list[ReceiverInfo]]],
        shown: Registry,
        selected: Registry,
        problems: list[Problem],
    ) -> None:
        duplicated = duplicated_ids(selected)
        for path, receivers in groups:
            size = count(len(receivers), "receiver") if receivers else "no receivers"
            self.stdout.write(f"{self.style.MIGRATE_HEADING(path)} ({size})")
            for receiver in receivers:
                self.write_receiver(receiver, duplicated)
            self.stdout.write("")
        if shown.pending:
            self.stdout.write(
                f"{self.style.WARNING('Pending')}: {PENDING} "
                f"({count(len(shown.pending), 'receiver')})"
            )
            for receiver in shown.pending:
                self.write_receiver(receiver, duplicated)
            self.stdout.write("")
        self.write_summary(shown, len(groups), selected, problems)

    def write_receiver(self, receiver: ReceiverInfo, duplicated: set[int]) -> None:
        style = self.style
        title = style.MIGRATE_LABEL(receiver.path)
        if not names_itself(receiver):
            title += f" ({receiver.kind})"
        flags = [style.SQL_COLTYPE(flag) for flag in informational_flags(receiver)]
        flags += [style.ERROR(flag) for flag in problem_flags(receiver, duplicated)]
        if flags:
            title += f" [{', '.join(flags)}]"
        self.stdout.write(f"  {title}")

        sender = receiver.sender_label
        if receiver.sender_flags:
            sender_flags = [
                style.ERROR(flag) if flag in BAD_SENDER_FLAGS else flag
                for flag in receiver.sender_flags
            ]
            sender += f" ({', '.join(sender_flags)})"
        details = [f"app {app_label(receiver)}", f"sender {sender}", location(receiver)]
        if receiver.pending:
            details.insert(0, f"signal {receiver.signal_path}")
        self.stdout.write("      " + ", ".join(details))

    def write_summary(
        self, shown: Registry, listed: int, selected: Registry, problems: list[Problem]
    ) -> None:
        summary = totals(len(shown.receivers), listed, len(shown.pending), len(problems))
        hidden = len(selected.receivers) - len(shown.receivers)
        if hidden:
            them = "it" if hidden == 1 else "them"
            summary += f"; {count(hidden, 'dead receiver')} hidden (--include-dead shows {them})"
        if problems:
            summary += "; --check lists the problems"
        style = self.style.WARNING if problems else self.style.SUCCESS
        self.stdout.write(style(f"{summary}."))

    # --- check ---------------------------------------------------------------------------

    def write_problems(self, problems: list[Problem], selected: Registry) -> None:
        """One line per problem, ``file:line: check id kind: message``, then a summary."""
        style = self.style
        for problem in problems:
            where = location(problem.receiver)
            prefix = f"{where}: " if problem.receiver.file else ""
            check = check_id(problem.kind)
            label = f"{check} {problem.kind}" if check else problem.kind
            self.stderr.write(f"{prefix}{style.ERROR(label)}: {problem.message}", style_func=_plain)
        checked = count(len(selected.receivers) + len(selected.pending), "receiver")
        if problems:
            summary = f"{count(len(problems), 'problem')} found in {checked}."
            self.stderr.write(summary, style_func=style.WARNING)
        else:
            self.stderr.write(f"No problems found in {checked}.", style_func=style.SUCCESS)


def _vim_lines(registry: Registry) -> list[str]:
    return [
        f"{receiver.file}:{receiver.line}: {receiver.signal_path} {receiver.path}"
        + _bracketed(deferred_flag(receiver))
        for receiver in [*registry.receivers, *registry.pending]
        if receiver.file and receiver.line is not None
    ]


def _graph_text(registry: Registry, format_name: str) -> str:
    from signalkit import graph

    drawn = graph.build(registry)
    return drawn.to_dot() if format_name == "dot" else drawn.to_mermaid()


def _bracketed(flag: str | None) -> str:
    return f" [{flag}]" if flag is not None else ""


def _plain(text: str) -> str:
    return text
