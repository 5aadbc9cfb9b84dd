"""factory_boy factories for the demo shop's models, used by the demo's own tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from factory.django import DjangoModelFactory, Password

from example_project.blog.models import Comment, Post
from example_project.orders.models import Order
from example_project.products.models import Product, Tag
from example_project.users.models import Profile


class UserFactory(DjangoModelFactory):
    """A user; its ``users.Profile`` comes with it (AutoProfileMixin)."""

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


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class ProductFactory(DjangoModelFactory):
    """A product; ``ProductFactory(tags=[tag, ...])`` links tags after it is saved."""

    class Meta:
        model = Product
        skip_postgeneration_save = True  # tags.add() needs no second save

    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A thing the shop sells."
    price = Decimal("10.00")
    quantity = 10

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.tags.add(*extracted)


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
    body = "Signals, explained."
    author = factory.SubFactory(UserFactory)


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author_name = "Bob"
    email = "bob@example.com"
    body = "Nice post."
