"""The example project as a whole: autodiscovered receivers, migrations, admin."""

from __future__ import annotations

import sys
from io import StringIO

import pytest
from django.apps import AppConfig, apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from example_project.tests.factories import CommentFactory, OrderFactory, ProductFactory, TagFactory

EXAMPLE_APPS = ["users", "products", "orders", "blog", "monitoring", "demo"]


@pytest.mark.parametrize("label", EXAMPLE_APPS)
def test_example_app_has_no_ready_of_its_own(label: str) -> None:
    config = apps.get_app_config(label)

    assert type(config).ready is AppConfig.ready


# demo has no receivers; users' profile receiver is connected by AutoProfileMixin.
@pytest.mark.parametrize(
    "label", [label for label in EXAMPLE_APPS if label not in ("demo", "users")]
)
def test_example_app_signals_module_was_imported_by_autodiscovery(label: str) -> None:
    assert f"example_project.{label}.signals" in sys.modules


@pytest.mark.django_db
def test_example_migrations_are_in_sync_with_the_models() -> None:
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", *EXAMPLE_APPS, "--check", "--dry-run", stdout=StringIO())


ADMIN_MODELS = ["users.profile", "products.tag", "products.product", "orders.order"]
ADMIN_MODELS += ["blog.post", "blog.comment"]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_example_model_admin_pages_render(admin_client: Client, model: str) -> None:
    OrderFactory(product=ProductFactory(tags=[TagFactory()]))
    CommentFactory()
    url_name = model.replace(".", "_")

    changelist = admin_client.get(reverse(f"admin:{url_name}_changelist"))
    add = admin_client.get(reverse(f"admin:{url_name}_add"))

    assert changelist.status_code == 200
    assert add.status_code == 200
