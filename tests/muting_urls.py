"""URLs for the tests that run the test client under muted_signals(ALL)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("boom")


def page(request: HttpRequest) -> TemplateResponse:
    template = engines["django"].from_string("<p>hello</p>")
    template.template.name = "muting/page.html"
    return TemplateResponse(request, template)


urlpatterns = [path("boom/", boom), path("page/", page)]
