"""factory_boy factories for the library tests: users, the models of ``tests.shop``, and
django-tasks-db's task rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from django.db.models.signals import post_init, post_save, pre_save
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from signalkit import muted_signals
from tests.shop.models import Comment, Order, Post, Product, Profile


class UserFactory(DjangoModelFactory):
    """A user; its ``shop.Profile`` comes with it (AutoProfileMixin)."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = Password("password")


class ProfileFactory(DjangoModelFactory):
    """The user's profile with these fields, whether or not the receiver made it."""

    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    bio = "Likes coffee."
    location = "Lisbon"

    @classmethod
    def _create(cls, model_class: type[Profile], *args: Any, **kwargs: Any) -> Profile:
        user = kwargs.pop("user")
        profile, _ = model_class._default_manager.update_or_create(user=user, defaults=kwargs)
        return profile


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("10.00")
    quantity = 10


class OrderFactory(DjangoModelFactory):
    """A guest's order; creating it takes ``quantity`` out of the product's stock."""

    class Meta:
        model = Order

    product = factory.SubFactory(ProductFactory)
    quantity = 1
    confirmed = False


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Post {n}")
    author = factory.SubFactory(UserFactory)


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    body = "Nice post."


# --- admin page users: who may see signalkit's "Signal receivers" page ----------


class StaffUserFactory(UserFactory):
    """Active staff: may log in to the admin, holds no permission."""

    is_staff = True


class ReceiversViewerFactory(StaffUserFactory):
    """Staff with ``signalkit.view_receiver``: may see the signal receivers page."""

    class Meta:
        skip_postgeneration_save = True  # user_permissions.add() needs no second save

    @factory.post_generation
    def view_receiver_permission(self, create: bool, extracted: object, **kwargs: Any) -> None:
        if create:
            from django.contrib.auth.models import Permission

            permission = Permission.objects.get(
                content_type__app_label="signalkit", codename="view_receiver"
            )
            self.user_permissions.add(permission)


class SuperuserFactory(UserFactory):
    """An active superuser (staff too): every permission without holding any."""

    is_staff = True
    is_superuser = True


# --- profiles: users the profile receiver never saw ---------------------------------


class UserWithoutProfileFactory(UserFactory):
    """A user inserted with ``bulk_create()``, so no ``post_save`` and no profile: like the
    users that predate the profile model, or that a script inserted in bulk."""

    class Meta:
        django_get_or_create = ()

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        manager = model_class._default_manager
        return manager.bulk_create([model_class(*args, **kwargs)])[0]


# --- muting: factories decorated with muted_signals --------------------------------


@muted_signals(post_save)
class QuietUserFactory(UserFactory):
    """A user saved with ``post_save`` muted, so without a profile: called directly, in a
    batch, as another factory's SubFactory or RelatedFactory, or subclassed."""


class QuietUserSubclassFactory(QuietUserFactory):
    """A factory that inherits QuietUserFactory's mute without being decorated itself."""


@muted_signals(post_save)
class QuietPostFactory(PostFactory):
    """A post saved with ``post_save`` muted (its own author SubFactory runs muted too)."""


class PostByQuietAuthorFactory(PostFactory):
    """A post (not muted) whose author comes from QuietUserFactory, as a SubFactory."""

    author = factory.SubFactory(QuietUserFactory)


class PostBySubclassedQuietAuthorFactory(PostFactory):
    """A post whose author comes from a subclass of QuietUserFactory, as a SubFactory."""

    author = factory.SubFactory(QuietUserSubclassFactory)


class AuthorWithQuietPostFactory(UserFactory):
    """A user (not muted) with one post made by QuietPostFactory, as a RelatedFactory."""

    class Meta:
        skip_postgeneration_save = True

    post = factory.RelatedFactory(QuietPostFactory, factory_related_name="author")


@muted_signals(post_save)
class QuietAuthorWithCommentFactory(UserFactory):
    """A user whose post-generation hook writes a post and a comment, inside the mute."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def commented_post(self, create: bool, extracted: object, **kwargs: Any) -> None:
        if create:
            CommentFactory.create(post=PostFactory.create(author=self))


class PostByQuietCommentingAuthorFactory(PostFactory):
    """A post whose author comes from QuietAuthorWithCommentFactory, as a SubFactory."""

    author = factory.SubFactory(QuietAuthorWithCommentFactory)


@muted_signals(pre_save, post_save)
class QuietUserWithTwinFactory(UserFactory):
    """A user whose post-generation hook creates one more user with this same factory
    (as factory_boy's own mute_signals test does): two objects, two mutes nested."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def twin(self, create: bool, extracted: object, **kwargs: Any) -> None:
        if create and not extracted:
            QuietUserWithTwinFactory.create(twin=True)


@muted_signals(post_save)
class QuietUserConnectingFactory(UserFactory):
    """Connects the receiver passed as ``on_post_save`` to ``post_save`` (for its model)
    while it creates the user, as a model whose ``__init__`` connects receivers does."""

    class Meta:
        django_get_or_create = ()

    @classmethod
    def _create(
        cls,
        model_class: type[Any],
        *args: Any,
        on_post_save: Callable[..., None] | None = None,
        **kwargs: Any,
    ) -> Any:
        if on_post_save is not None:
            post_save.connect(on_post_save, sender=model_class)
        return super()._create(model_class, *args, **kwargs)


@muted_signals(post_init)
class QuietlyBuiltProductFactory(ProductFactory):
    """A product whose instantiation sends no ``post_init`` (``pre_init`` still runs)."""


@muted_signals(post_save)
class BrokenQuietUserFactory(UserFactory):
    """A muted factory whose creation fails: the mute must still end."""

    class Meta:
        django_get_or_create = ()

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database is down")


@muted_signals(pre_save)
@muted_signals(post_save)
class TwiceMutedUserFactory(UserFactory):
    """Two mutes stacked on one factory: both apply."""


class DBTaskResultFactory(DjangoModelFactory):
    """A django-tasks-db task of signalkit's receiver task, on the "database" backend,
    RUNNING since an hour: what a worker killed mid-task leaves behind."""

    class Meta:
        model = "django_tasks_database.DBTaskResult"

    status = "RUNNING"
    task_path = "signalkit.deferred.run_receiver"
    backend_name = "database"
    queue_name = "default"
    args_kwargs = factory.LazyFunction(lambda: {"args": [], "kwargs": {}})
    run_after = factory.LazyFunction(lambda: datetime(9999, 1, 1, tzinfo=UTC))
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    worker_ids = factory.LazyFunction(lambda: ["killed-worker"])
