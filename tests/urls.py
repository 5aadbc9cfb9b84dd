"""URLs of the library's tests: the admin (signalkit's "Signal receivers" page).

The tests that need views of their own set ``ROOT_URLCONF`` to ``tests.muting_urls``.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
