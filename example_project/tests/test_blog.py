"""The blog's comment e-mail: an as_task receiver on django-tasks-db, the demo's own setup.

The task row is written in the comment's transaction; the e-mail is sent by the worker,
run here in the test's process (``run_worker``) from tests that really commit
(``transaction=True``): django-tasks-db's worker cannot run inside a test's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from example_project.tests.factories import CommentFactory, PostFactory
from signalkit.deferred import RUN_RECEIVER_PATH

CaptureCallbacks = Callable[..., Any]
RECEIVER = "example_project.blog.signals.notify_post_author"


def run_worker() -> None:
    """Run every ready task as ``manage.py db_worker --batch`` does, in this process."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test_blog",
        excluded_queue_names=[],
    ).run()


def task_statuses() -> list[str]:
    return list(DBTaskResult.objects.values_list("status", flat=True))


@pytest.mark.django_db
def test_a_new_comment_writes_the_email_task_in_its_own_transaction(
    django_capture_on_commit_callbacks: CaptureCallbacks, mailoutbox: list[mail.EmailMessage]
) -> None:
    post = PostFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        comment = CommentFactory(post=post)

    [task] = DBTaskResult.objects.all()
    assert callbacks == []  # nothing waits for the commit: the row is already written
    assert (task.task_path, task.status) == (RUN_RECEIVER_PATH, "READY")
    arguments = task.args_kwargs["kwargs"]
    assert arguments["receiver"] == RECEIVER
    assert arguments["payload"]["arguments"]["instance"]["pk"] == comment.pk
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_comment_leaves_no_task_and_sends_no_email(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    post = PostFactory(author__email="author@example.com")

    def comment_then_fail() -> None:
        with transaction.atomic():
            CommentFactory(post=post)
            raise RuntimeError("the view failed after saving the comment")

    with pytest.raises(RuntimeError):
        comment_then_fail()
    run_worker()

    assert task_statuses() == []
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_emails_the_post_author_about_a_new_comment(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    post = PostFactory(author__email="author@example.com", title="Signals")
    CommentFactory(post=post, author_name="Bob", email="bob@example.com", body="Hi!")

    run_worker()

    [message] = mailoutbox
    assert message.to == ["author@example.com"]
    assert message.reply_to == ["bob@example.com"]
    assert "Signals" in message.subject
    assert "Hi!" in message.body
    assert task_statuses() == ["SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_the_email_ends_by_saying_which_receiver_sent_it_and_why(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    post = PostFactory(author__email="author@example.com", title="Signals")
    CommentFactory(post=post, body="Hi!")

    run_worker()

    [message] = mailoutbox
    body, signature = message.body.split("\n-- \n")
    assert "Hi!" in body
    assert " ".join(signature.split()) == (
        "You wrote 'Signals'; this tells you of each new comment on it. "
        f"Sent by {RECEIVER}, a post_save receiver of blog.Comment marked @as_task: saving "
        "the comment queued this e-mail as a task, in the comment's own transaction, and the "
        "task worker (python manage.py db_worker) sent it after that transaction committed."
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_whom_the_receiver_emails_about_which_comment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    post = PostFactory(author__email="author@example.com", title="Signals")
    comment = CommentFactory(post=post, author_name="Bob")

    with caplog.at_level(logging.INFO, logger="example_project.blog.signals"):
        run_worker()

    [record] = [r for r in caplog.records if r.name == "example_project.blog.signals"]
    assert record.getMessage() == (
        "notify_post_author, run by the task worker: e-mailing author@example.com, author of "
        f"'Signals', about comment {comment.pk} by Bob."
    )


@pytest.mark.django_db(transaction=True)
def test_editing_a_comment_sends_no_email(mailoutbox: list[mail.EmailMessage]) -> None:
    comment = CommentFactory()
    run_worker()
    mailoutbox.clear()

    comment.body = "Edited."
    comment.save()
    run_worker()

    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_post_author_without_an_email_gets_none(mailoutbox: list[mail.EmailMessage]) -> None:
    post = PostFactory(author__email="")
    CommentFactory(post=post)

    run_worker()

    assert mailoutbox == []
    assert task_statuses() == ["SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_error_is_logged_and_the_task_still_succeeds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(message: EmailMessage, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    post = PostFactory(author__email="author@example.com")
    comment = CommentFactory(post=post)

    with caplog.at_level(logging.ERROR, logger="example_project.blog.signals"):
        run_worker()

    [record] = [r for r in caplog.records if r.name == "example_project.blog.signals"]
    assert record.getMessage() == f"Could not e-mail author@example.com about comment {comment.pk}."
    assert task_statuses() == ["SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_loading_a_comment_fixture_sends_no_email(
    tmp_path: Path, mailoutbox: list[mail.EmailMessage]
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

    call_command("loaddata", str(fixture), verbosity=0)
    run_worker()

    assert mailoutbox == []
