"""Integrations with other projects, each imported only by the projects that use it.

``signalkit.contrib.celery``: a backend of Django's task framework that runs tasks on Celery.
``signalkit.contrib.opentelemetry``: OpenTelemetry spans for receiver runs.
"""

from __future__ import annotations
