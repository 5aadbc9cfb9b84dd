"""factory_boy factories decorated with ``muted_signals``.

The scenarios factory_boy's own suite checks for its ``mute_signals`` (``SubFactory``,
``RelatedFactory``, post-generation hooks, receivers connected while an object is being
made, ``build``/``create``), and a few more: a decorated factory must be muted whenever it
makes an object, however it was reached, and nothing else must be.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_init, post_save, pre_init, pre_save
from django.dispatch import Signal

from signalkit import gate
from tests.factories import (
    AuthorWithQuietPostFactory,
    BrokenQuietUserFactory,
    PostByQuietAuthorFactory,
    PostByQuietCommentingAuthorFactory,
    PostBySubclassedQuietAuthorFactory,
    PostFactory,
    QuietAuthorWithCommentFactory,
    QuietlyBuiltProductFactory,
    QuietPostFactory,
    QuietUserConnectingFactory,
    QuietUserFactory,
    QuietUserSubclassFactory,
    QuietUserWithTwinFactory,
    TwiceMutedUserFactory,
    UserFactory,
)
from tests.shop.models import Comment, Post, Product, Profile

pytestmark = pytest.mark.django_db

SIGNALS: dict[str, Signal] = {
    "pre_init": pre_init,
    "post_init": post_init,
    "pre_save": pre_save,
    "post_save": post_save,
}


class Heard(list[tuple[str, type]]):
    """What the test's receivers heard: (signal name, sender), in order."""

    def count_of(self, name: str, sender: type) -> int:
        return self.count((name, sender))


@pytest.fixture
def heard() -> Iterator[Heard]:
    calls = Heard()
    receivers = {}
    for name, signal in SIGNALS.items():

        def receive(sender: type, _name: str = name, **kwargs: Any) -> None:
            calls.append((_name, sender))

        receivers[name] = receive
        signal.connect(receive)
    yield calls
    for name, signal in SIGNALS.items():
        signal.disconnect(receivers[name])


@pytest.fixture(autouse=True)
def _no_mute_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a mute or recorder was left active"


# --- called directly -------------------------------------------------------------------------


def test_create_runs_muted(heard: Heard) -> None:
    user = QuietUserFactory.create()

    assert not Profile.objects.filter(user=user).exists()
    assert heard.count_of("post_save", User) == 0
    assert heard.count_of("pre_save", User) == 1


def test_create_batch_runs_every_object_muted(heard: Heard) -> None:
    users = QuietUserFactory.create_batch(3)

    assert not Profile.objects.filter(user__in=users).exists()
    assert (heard.count_of("pre_save", User), heard.count_of("post_save", User)) == (3, 0)


def test_build_runs_muted(heard: Heard) -> None:
    product = QuietlyBuiltProductFactory.build()

    assert product.pk is None
    assert (heard.count_of("pre_init", Product), heard.count_of("post_init", Product)) == (1, 0)


def test_receivers_run_again_after_a_muted_factory(heard: Heard) -> None:
    QuietUserFactory.create()

    user = UserFactory.create()

    assert Profile.objects.filter(user=user).exists()
    assert heard.count_of("post_save", User) == 1


def test_a_muted_factory_whose_creation_fails_ends_its_mute(heard: Heard) -> None:
    with pytest.raises(RuntimeError, match="the database is down"):
        BrokenQuietUserFactory.create()

    assert not gate.is_installed()


def test_two_mutes_stacked_on_one_factory_both_apply(heard: Heard) -> None:
    TwiceMutedUserFactory.create()

    assert heard.count_of("pre_save", User) == heard.count_of("post_save", User) == 0


# --- reached through another factory ------------------------------------------------------------


def test_a_muted_factory_used_as_a_sub_factory_runs_muted(heard: Heard) -> None:
    post = PostByQuietAuthorFactory.create()

    assert not Profile.objects.filter(user=post.author).exists()
    assert heard.count_of("post_save", User) == 0


def test_the_factory_using_a_muted_sub_factory_is_not_muted(heard: Heard) -> None:
    PostByQuietAuthorFactory.create()

    assert heard.count_of("post_save", Post) == 1


def test_a_muted_factory_used_as_a_related_factory_runs_muted(heard: Heard) -> None:
    author = AuthorWithQuietPostFactory.create()

    assert Post.objects.filter(author=author).count() == 1
    assert heard.count_of("post_save", Post) == 0


def test_the_factory_using_a_muted_related_factory_is_not_muted(heard: Heard) -> None:
    author = AuthorWithQuietPostFactory.create()

    assert Profile.objects.filter(user=author).exists()
    assert heard.count_of("post_save", User) == 1


def test_a_muted_factorys_own_sub_factories_run_muted(heard: Heard) -> None:
    post = QuietPostFactory.create()

    assert not Profile.objects.filter(user=post.author).exists()
    assert heard.count_of("post_save", User) == heard.count_of("post_save", Post) == 0


def test_a_subclass_of_a_muted_factory_is_muted(heard: Heard) -> None:
    user = QuietUserSubclassFactory.create()

    assert not Profile.objects.filter(user=user).exists()


def test_a_subclass_of_a_muted_factory_used_as_a_sub_factory_is_muted(heard: Heard) -> None:
    post = PostBySubclassedQuietAuthorFactory.create()

    assert not Profile.objects.filter(user=post.author).exists()


def test_an_undecorated_factory_using_the_same_model_is_not_muted(heard: Heard) -> None:
    post = PostFactory.create()

    assert Profile.objects.filter(user=post.author).exists()
    assert heard.count_of("post_save", Post) == 1


# --- post-generation hooks --------------------------------------------------------------------


def test_a_post_generation_hook_runs_muted(heard: Heard) -> None:
    author = QuietAuthorWithCommentFactory.create()

    assert Comment.objects.filter(post__author=author).count() == 1
    assert heard.count_of("post_save", Post) == heard.count_of("post_save", Comment) == 0


def test_a_post_generation_hook_of_a_muted_sub_factory_runs_muted(heard: Heard) -> None:
    post = PostByQuietCommentingAuthorFactory.create()

    assert Comment.objects.filter(post__author=post.author).count() == 1
    assert heard.count_of("post_save", Comment) == 0
    assert heard.count_of("post_save", Post) == 1  # the outer post: not muted


def test_a_hook_creating_with_its_own_factory_runs_each_receiver_once_per_object(
    heard: Heard,
) -> None:
    QuietUserWithTwinFactory.create()

    assert User.objects.count() == 2
    assert heard.count_of("pre_init", User) == 2
    assert heard.count_of("pre_save", User) == heard.count_of("post_save", User) == 0


# --- receivers connected while the factory runs -----------------------------------------------


def test_a_receiver_connected_during_instantiation_is_muted_then_kept(heard: Heard) -> None:
    calls: list[object] = []

    def on_post_save(sender: object, instance: object, **kwargs: Any) -> None:
        calls.append(instance)

    try:
        user = QuietUserConnectingFactory.create(on_post_save=on_post_save)
        muted_calls = list(calls)
        user.save()
    finally:
        post_save.disconnect(on_post_save, sender=User)

    assert (muted_calls, calls) == ([], [user])


def test_a_receiver_connected_while_a_muted_factory_runs_elsewhere_is_not_lost(
    heard: Heard,
) -> None:
    calls: list[object] = []

    def on_post_save(sender: object, **kwargs: Any) -> None:
        calls.append(sender)

    post_save.connect(on_post_save, sender=User)
    try:
        QuietUserFactory.create()
        UserFactory.create()
    finally:
        post_save.disconnect(on_post_save, sender=User)

    assert calls == [User]
