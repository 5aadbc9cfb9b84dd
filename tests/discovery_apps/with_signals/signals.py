from __future__ import annotations

from tests.discovery_apps import connect_answer

answer = connect_answer("with_signals")
