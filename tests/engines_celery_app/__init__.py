"""A test app of the worker processes only, installed when Celery is: a model whose saves run
an ``@as_task`` receiver on signalkit's CeleryBackend (its ``signals.py``)."""
