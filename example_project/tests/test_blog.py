from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from example_project.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., Any]


def test_a_new_comment_sends_no_email_before_the_commit(
    django_capture_on_commit_callbacks: CaptureCallbacks, mailoutbox: list[mail.EmailMessage]
) -> None:
    post = PostFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        CommentFactory(post=post)

    assert len(callbacks) == 1
    assert mailoutbox == []


def test_a_new_comment_emails_the_post_author_after_the_commit(
    django_capture_on_commit_callbacks: CaptureCallbacks, mailoutbox: list[mail.EmailMessage]
) -> None:
    post = PostFactory(author__email="author@example.com", title="Signals")

    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(post=post, author_name="Bob", email="bob@example.com", body="Hi!")

    [message] = mailoutbox
    assert message.to == ["author@example.com"]
    assert message.reply_to == ["bob@example.com"]
    assert "Signals" in message.subject
    assert "Hi!" in message.body


def test_editing_a_comment_sends_no_email(
    django_capture_on_commit_callbacks: CaptureCallbacks, mailoutbox: list[mail.EmailMessage]
) -> None:
    comment = CommentFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment.body = "Edited."
        comment.save()

    assert callbacks == []
    assert mailoutbox == []


def test_a_post_author_without_an_email_gets_none(
    django_capture_on_commit_callbacks: CaptureCallbacks, mailoutbox: list[mail.EmailMessage]
) -> None:
    post = PostFactory(author__email="")

    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(post=post)

    assert mailoutbox == []


def test_loading_a_comment_fixture_sends_no_email(
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureCallbacks,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    post = PostFactory()
    fields = {
        "post": post.pk,
        "author_name": "Bob",
        "email": "bob@example.com",
        "body": "x",
        "created_at": "2000-01-01T00:00:00Z",
    }
    fixture = tmp_path / "comment.json"
    fixture.write_text(json.dumps([{"model": "blog.comment", "pk": 4242, "fields": fields}]))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("loaddata", str(fixture), verbosity=0)

    assert callbacks == []
    assert mailoutbox == []
