"""The admin page's place in the admin index and its permission: no table, no rows.

``Receiver`` is unmanaged (``migrate`` creates no table for it and nothing ever queries
it); it exists so that the admin lists a "Signal receivers" entry under signalkit and so
that ``migrate`` creates its one permission, ``signalkit.view_receiver`` ("Can view signal
receivers"), to give to the staff who may see the page::

    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_receiver"))
"""

from __future__ import annotations

from django.db import models


class Receiver(models.Model):
    """A connected signal receiver, as the admin page lists it (never stored)."""

    class Meta:
        managed = False
        # Only "view": the page is read-only, so add/change/delete would be meaningless.
        default_permissions = ()
        permissions = (("view_receiver", "Can view signal receivers"),)
        verbose_name = "signal receiver"
        verbose_name_plural = "signal receivers"

    def __str__(self) -> str:
        return "signal receiver"
