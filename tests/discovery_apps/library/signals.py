from __future__ import annotations

from django.dispatch import Signal

task_finished = Signal()
