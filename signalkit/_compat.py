"""Every branch on the Django version (5.2, 6.0, 6.1), and nothing else.

The rest of signalkit imports these names and reads as if there were one Django.
"""

from __future__ import annotations

import django

#: Django 6.0 keeps a weak reference to the sender in each ``Signal.receivers`` entry,
#: ``(lookup_key, receiver_ref, sender_ref, is_async)``; 5.2 keeps only ``id(sender)`` in
#: the lookup key: ``(lookup_key, receiver_ref, is_async)``.
RECEIVERS_HOLD_SENDER_REF = django.VERSION >= (6, 0)
