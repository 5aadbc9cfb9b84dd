"""A test app of the worker processes only (tests/settings_workers.py): a model whose saves
run ``@as_task`` receivers on django-tasks-db (its ``signals.py``)."""
