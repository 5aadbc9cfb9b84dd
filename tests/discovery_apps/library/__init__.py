"""A library outside INSTALLED_APPS with signals of its own, like ``django.tasks``.

Nothing imports it but the tests that need it, which forget it afterwards.
"""
