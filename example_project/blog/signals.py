"""Tell a post's author about a new comment, in a task worker once the comment is committed.

signalkit imports this module at start-up; nothing in the app imports it. The e-mail ends
by saying which receiver sent it and how (:data:`WHY_SENT`): in the demo it is printed by
the worker's console e-mail backend, where nothing else would explain it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMessage
from django.db.models.signals import post_save
from django.dispatch import receiver

from example_project.blog.models import Comment
from signalkit import as_task

logger = logging.getLogger(__name__)

RECEIVER = f"{__name__}.notify_post_author"
WORKER_COMMAND = "python manage.py db_worker"
# The e-mail's last lines, after the "-- " signature separator.
WHY_SENT = (
    f"Sent by {RECEIVER},\n"
    "a post_save receiver of blog.Comment marked @as_task: saving the comment queued\n"
    "this e-mail as a task, in the comment's own transaction, and the task worker\n"
    f"({WORKER_COMMAND}) sent it after that transaction committed.\n"
)


@receiver(post_save, sender=Comment)
@as_task
def notify_post_author(
    sender: type[Comment], instance: Comment, created: bool, raw: bool, **kwargs: Any
) -> None:
    """E-mail the post's author about a new comment, in a task worker.

    ``as_task``: the request that saves the comment does not wait for the mail server. With
    the demo's django-tasks-db backend the task row is written in the comment's transaction:
    a rolled-back comment leaves no task, and a committed one always has its task. The
    worker (``python manage.py db_worker``) fetches the comment again and runs this. Raw
    saves (``loaddata``) and edits send nothing.
    """
    if raw or not created:
        return
    send_comment_notification(instance)


def send_comment_notification(comment: Comment) -> None:
    """Send the e-mail; a mail server error is logged, since the comment is already saved."""
    author = comment.post.author
    address = getattr(author, "email", "")
    if not address:
        logger.info("Not notifying about comment %s: the post's author has no e-mail.", comment.pk)
        return
    logger.info(
        "notify_post_author, run by the task worker: e-mailing %s, author of %r, about "
        "comment %s by %s.",
        address,
        comment.post.title,
        comment.pk,
        comment.author_name,
    )
    message = EmailMessage(
        subject=f"New comment on {comment.post.title!r}",
        body=(
            f"{comment.author_name} <{comment.email}> wrote:\n\n{comment.body}\n\n-- \n"
            f"You wrote {comment.post.title!r}; this tells you of each new comment on it.\n"
            f"{WHY_SENT}"
        ),
        to=[address],
        reply_to=[comment.email],
    )
    try:
        message.send()
    except OSError:  # smtplib.SMTPException and connection errors
        logger.exception("Could not e-mail %s about comment %s.", address, comment.pk)
