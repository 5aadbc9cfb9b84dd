"""One profile per user, created with the user: :class:`AutoProfileMixin`.

The tutorial receiver (``@receiver(post_save, sender=User)`` + ``Profile.objects.create``)
hardcodes ``User`` (so it never runs with a swapped user model or for proxy users),
creates a second profile when ``loaddata`` saves a user that the fixture gives a profile
too, raises ``IntegrityError`` when a request creates the same profile at the same moment,
and leaves every user created before it existed without a profile. django-annoying's
``AutoOneToOneField`` instead writes on attribute access: ``hasattr(user, "profile")``
inserts a row. With the mixin::

    from django.conf import settings
    from django.db import models
    from signalkit.mixins import AutoProfileMixin

    class Profile(AutoProfileMixin, models.Model):
        user = models.OneToOneField(
            settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
        )
        bio = models.TextField(blank=True)

    user = User.objects.create_user("dana")   # creates Dana's profile too
    Profile.for_user(user)                    # get or create, explicitly
    Profile.backfill()                        # profiles for every user without one

signalkit connects one ``post_save`` receiver per concrete subclass when the class is
created, for the user model and its proxies, with a stable ``dispatch_uid``; it is
``Profile.auto_create_receiver``, so ``muted_signals(post_save,
receivers=[Profile.auto_create_receiver])`` mutes it. Transactions, and what concurrent
creation gives on each database and isolation level: the manual's :doc:`/profiles` page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, OperationalError, connections, models, router, transaction
from django.db.models import Exists, OuterRef
from django.db.models.fields.related import RECURSIVE_RELATIONSHIP_CONSTANT
from django.db.models.signals import class_prepared, post_save
from django.utils.deconstruct import deconstructible

from signalkit.mixins._dispatch_uid import mixin_dispatch_uid
from signalkit.mixins._errors import TRANSACTION_CONFLICT, driver_code

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

__all__ = [
    "MAX_BATCH_SIZE",
    "SKIP_ATTRIBUTE",
    "AutoProfileMixin",
    "BackfillProfiles",
    "ProfileSerializationFailure",
    "profile_models",
]

#: ``user.skip_auto_profile = True`` before ``user.save()``: that save creates no profile.
SKIP_ATTRIBUTE = "skip_auto_profile"

#: The largest ``batch_size`` of :meth:`AutoProfileMixin.backfill`: a batch is held in memory
#: and written in one transaction, and beyond this the two queries per batch cost nothing.
MAX_BATCH_SIZE = 100_000

Defaults = Callable[[Any], Mapping[str, Any]]
Progress = Callable[[int], object]


class ProfileSerializationFailure(OperationalError):
    """Another transaction created this user's profile, and this transaction cannot see it.

    Raised by :meth:`AutoProfileMixin.for_user`, :meth:`AutoProfileMixin.backfill` and the
    receiver inside ``atomic()`` at REPEATABLE READ or SERIALIZABLE on PostgreSQL, when the
    profile was committed after this transaction's snapshot was taken: the snapshot can never
    show that row, and the unique constraint forbids a second one. Like the database's own
    serialization failures (also :class:`django.db.OperationalError`), it asks the caller to
    retry the whole transaction; the unique violation is chained as ``__cause__``. The
    transaction itself stays usable::

        for attempt in range(3):
            try:
                with transaction.atomic():
                    profile = Profile.for_user(user)
                    ...
                break
            except OperationalError:   # ProfileSerializationFailure among them
                if attempt == 2:
                    raise
    """


class AutoProfileMixin(models.Model):
    """A model with a ``OneToOneField`` to ``settings.AUTH_USER_MODEL``, one row per user.

    Creating a user creates its profile (``post_save``, connected by signalkit for every
    concrete subclass and every proxy of the user model), exactly once: saving the user
    again, raw saves (``loaddata``) and a user saved with ``skip_auto_profile = True``
    create nothing. The field is found automatically; when the model has several
    one-to-one fields to the user model, name it::

        class Membership(AutoProfileMixin, models.Model):
            profile_user_field = "member"
            member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
            sponsor = models.OneToOneField(
                settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
            )

            @classmethod
            def profile_defaults(cls, user):
                return {"display_name": user.get_username()}

    A model without such a field, with several and no ``profile_user_field``, or with a
    ``profile_user_field`` that is not one raises ImproperlyConfigured when it is defined.
    Multi-table children of a profile model are not connected (their parent's row is the
    user's profile), nor are proxies of a profile model.
    """

    #: The name of the OneToOneField to the user model; needed only when there are several.
    profile_user_field: ClassVar[str | None] = None

    #: The ``post_save`` receiver signalkit connected for this model (concrete models only).
    auto_create_receiver: ClassVar[Callable[..., None]]

    class Meta:
        abstract = True

    @classmethod
    def profile_defaults(cls, user: Any) -> Mapping[str, Any]:
        """Field values of a new profile for ``user`` (override it; the default is ``{}``).

        Used by the receiver, :meth:`for_user` and :meth:`backfill` (which then loads the
        users it backfills, a batch per query)::

            @classmethod
            def profile_defaults(cls, user):
                return {"display_name": user.get_full_name() or user.get_username()}
        """
        return {}

    @classmethod
    def for_user(cls, user: models.Model, *, using: str | None = None) -> Self:
        """The profile of ``user``, created (with :meth:`profile_defaults`) if it is missing.

        Never raises ``IntegrityError`` when another request creates the same profile at
        the same moment: the profile it created is returned, except inside ``atomic()`` at
        REPEATABLE READ or SERIALIZABLE on PostgreSQL, whose snapshot cannot see it: there
        it raises :class:`ProfileSerializationFailure` (retry the transaction; :doc:`/profiles`
        has what each isolation level gives). Nothing else creates a profile on
        access: ``user.profile`` raises as usual when there is none.
        ``using`` defaults to ``router.db_for_write(Profile, instance=user)``::

            profile = Profile.for_user(request.user)
        """
        model = _concrete(cls, "for_user")
        field = _field_of(model)
        if not isinstance(user, field.related_model):
            raise TypeError(
                f"{model.__name__}.for_user() takes a user "
                f"({field.related_model._meta.label}), not {user!r}."
            )
        if user.pk is None:
            raise ValueError(f"{model.__name__}.for_user() needs a saved user, not {user!r}.")
        db = using or router.db_for_write(model, instance=user)
        cached = field.remote_field.get_cached_value(user, default=None)
        if isinstance(cached, model) and cached.pk is not None and cached._state.db == db:
            return cast(Self, cached)
        profile: models.Model
        try:
            profile = model._base_manager.db_manager(db).get(**{field.name: user})
        except model.DoesNotExist:
            profile, _ = _create(model, field, user, db, _defaults_of(model), "for_user()")
        else:
            _link(profile, field, user)
        return cast(Self, profile)

    @classmethod
    def users_without_profile(cls, using: str | None = None) -> models.QuerySet[Any]:
        """The users that have no profile of this model (unfiltered: the base manager)."""
        model = _concrete(cls, "users_without_profile")
        db = using or router.db_for_write(model)
        return _users_without_profile(model, _field_of(model), db)

    @classmethod
    def backfill(
        cls,
        batch_size: int = 1000,
        using: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> int:
        """Create the missing profiles in bulk; return how many were created.

        Two queries per ``batch_size`` users (one SELECT of users without a profile, one
        ``bulk_create``, each batch in its own transaction), so running it again creates
        nothing, and it can be interrupted and resumed. ``bulk_create`` calls no ``save()``
        and sends no signals for the profiles. A profile that a concurrent request creates
        meanwhile is skipped, not counted, and raises nothing (inside ``atomic()`` at
        REPEATABLE READ or SERIALIZABLE on PostgreSQL: :class:`ProfileSerializationFailure`).
        ``batch_size`` is an ``int`` from 1 to :data:`MAX_BATCH_SIZE` (else TypeError or
        ValueError, before any query). ``progress(created_so_far)`` is called after each
        batch. ``using`` defaults to ``router.db_for_write(Profile)``::

            created = Profile.backfill(batch_size=5000)
        """
        model = _concrete(cls, "backfill")
        db = using or router.db_for_write(model)
        return _backfill(model, _field_of(model), db, batch_size, _defaults_of(model), progress)


def profile_models(registry: Apps = global_apps) -> list[type[AutoProfileMixin]]:
    """The installed models signalkit creates profiles for, in app registry order."""
    return [
        model
        for model in registry.get_models()
        if issubclass(model, AutoProfileMixin) and "auto_create_receiver" in vars(model)
    ]


@deconstructible(path="signalkit.mixins.profiles.BackfillProfiles")
class BackfillProfiles:
    """``RunPython`` code creating the missing profiles of a model, in a data migration.

    Works with the migration's historical models (which have none of the mixin's methods,
    so :meth:`AutoProfileMixin.profile_defaults` is not called: new profiles get the
    fields' defaults); ``user_field`` is needed only when the profile has several
    one-to-one fields to the user model. It backfills on the database being migrated,
    when the routers allow migrating the model there, and survives ``squashmigrations``::

        class Migration(migrations.Migration):
            dependencies = [
                ("users", "0001_initial"),
                migrations.swappable_dependency(settings.AUTH_USER_MODEL),
            ]
            operations = [
                migrations.RunPython(
                    BackfillProfiles("users.Profile"), migrations.RunPython.noop, elidable=True
                ),
            ]
    """

    def __init__(self, model: str, user_field: str | None = None, batch_size: int = 1000) -> None:
        if not isinstance(model, str) or model.count(".") != 1:
            raise ValueError(
                f"BackfillProfiles() takes the profile model's label, e.g. "
                f"BackfillProfiles('users.Profile'), not {model!r}."
            )
        check_batch_size(batch_size)
        self.model = model
        self.user_field = user_field
        self.batch_size = batch_size

    def __call__(self, apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        model = apps.get_model(self.model)
        db = schema_editor.connection.alias
        if not router.allow_migrate_model(db, model):
            return
        field = find_user_field(
            model,
            self.user_field,
            fix=f"BackfillProfiles({self.model!r}, user_field='<name>')",
            setting="user_field",
        )
        _backfill(model, field, db, self.batch_size, None, None)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BackfillProfiles) and (
            (self.model, self.user_field, self.batch_size)
            == (other.model, other.user_field, other.batch_size)
        )

    def __hash__(self) -> int:
        return hash((self.model, self.user_field, self.batch_size))

    def __repr__(self) -> str:
        return f"BackfillProfiles({self.model!r})"


# --- finding the user field ---------------------------------------------------------------


def find_user_field(
    model: type[models.Model],
    name: str | None = None,
    *,
    fix: str = "set profile_user_field = '<name>' on the model",
    setting: str = "profile_user_field",
) -> models.OneToOneField[Any]:
    """The one-to-one field of ``model`` to ``settings.AUTH_USER_MODEL`` (``name`` if given).

    Works on a model being defined (its relations may still be ``"app.Model"`` strings) and
    on historical models. Raises ImproperlyConfigured naming the model and the fix.
    """
    user_label = settings.AUTH_USER_MODEL
    label = model._meta.label
    candidates = [
        field
        for field in model._meta.fields
        if isinstance(field, models.OneToOneField)
        and not field.remote_field.parent_link
        and _target_label(field, model) == user_label.lower()
    ]
    names = ", ".join(field.name for field in candidates) or "none"
    if name is not None:
        for field in candidates:
            if field.name == name:
                return field
        if all(f.name != name for f in model._meta.fields):
            what = f"a field of {label}"
        else:
            what = f"a OneToOneField to settings.AUTH_USER_MODEL ({user_label!r})"
        raise ImproperlyConfigured(
            f"{label}: {setting} = {name!r} is not {what}. Name one of its OneToOneFields "
            f"to the user model: {names}."
        )
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ImproperlyConfigured(
            f"{label} uses AutoProfileMixin but has no OneToOneField to "
            f"settings.AUTH_USER_MODEL ({user_label!r}). Add one: user = "
            f"models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)."
        )
    raise ImproperlyConfigured(
        f"{label} has {len(candidates)} OneToOneFields to settings.AUTH_USER_MODEL "
        f"({user_label!r}): {names}. Say which one is the profile's user: {fix}, "
        f"e.g. {candidates[0].name!r}."
    )


def _target_label(field: models.OneToOneField[Any], model: type[models.Model]) -> str:
    target: Any = field.remote_field.model
    if isinstance(target, str):  # not resolved yet: "app.Model", "Model" or "self"
        if target == RECURSIVE_RELATIONSHIP_CONSTANT:
            return model._meta.label_lower
        return (target if "." in target else f"{model._meta.app_label}.{target}").lower()
    return str(target._meta.concrete_model._meta.label_lower)


def _field_of(model: type[models.Model]) -> models.OneToOneField[Any]:
    found = vars(model).get("_auto_profile_field")
    if found is None:
        found = find_user_field(model, getattr(model, "profile_user_field", None))
    return cast("models.OneToOneField[Any]", found)


def _concrete(cls: type[AutoProfileMixin], method: str) -> type[AutoProfileMixin]:
    if cls._meta.abstract:
        raise TypeError(
            f"{cls.__name__}.{method}() needs a concrete model: {cls.__name__} is abstract."
        )
    return cls


def _defaults_of(model: type[AutoProfileMixin]) -> Defaults | None:
    hook = model.profile_defaults
    if getattr(hook, "__func__", None) is vars(AutoProfileMixin)["profile_defaults"].__func__:
        return None  # not overridden: backfill need not load the users
    return hook


# --- creating profiles --------------------------------------------------------------------


def _link(profile: models.Model, field: models.OneToOneField[Any], user: models.Model) -> None:
    # Caches both ways (profile.user and user.profile) as the field's descriptor does.
    setattr(profile, field.name, user)


def _create(
    model: type[models.Model],
    field: models.OneToOneField[Any],
    user: models.Model,
    db: str,
    defaults: Defaults | None,
    action: str,
) -> tuple[models.Model, bool]:
    """Insert the profile of ``user`` in a savepoint; (profile, created).

    An IntegrityError when the user already has a profile (another request won a race) is
    caught inside the savepoint and that profile is returned; when this transaction cannot
    see it, :class:`ProfileSerializationFailure` is raised; any other IntegrityError (e.g.
    ``profile_defaults()`` leaving a required field empty) is raised as it is.
    """
    values = dict(defaults(user)) if defaults is not None else {}
    values[field.name] = user
    profile = model(**values)
    try:
        with transaction.atomic(using=db):
            profile.save(force_insert=True, using=db)
    except IntegrityError as error:
        _forget(field, user, profile)
        existing = _committed_profile(model, field, db, {field.name: user})
        if existing is None:
            key = getattr(user, field.target_field.attname)
            failure = _lost_race(model, field, db, error, key, action)
            if failure is not None:
                raise failure from error
            raise
        _link(existing, field, user)
        return existing, False
    except BaseException:
        _forget(field, user, profile)
        raise
    return profile, True


def _committed_profile(
    model: type[models.Model], field: models.OneToOneField[Any], db: str, lookup: dict[str, Any]
) -> models.Model | None:
    """The profile that made an INSERT fail, read as the latest committed row where possible.

    A plain SELECT on MariaDB/MySQL at REPEATABLE READ reads the transaction's snapshot,
    which predates the row; a locking read reads the latest committed version. It is a
    shared lock (``LOCK IN SHARE MODE``): the failed INSERT's duplicate-key check holds one
    already, and ``FOR UPDATE`` would deadlock with every other caller that lost the same
    race. Elsewhere a plain SELECT: PostgreSQL at READ COMMITTED and SQLite see the row, and
    at PostgreSQL's REPEATABLE READ no read can.
    """
    queryset = model._base_manager.db_manager(db).filter(**lookup)
    if connections[db].vendor != "mysql":
        return queryset.first()
    sql, params = queryset.query.get_compiler(using=db).as_sql()
    found = list(model._base_manager.db_manager(db).raw(f"{sql} LOCK IN SHARE MODE", params))
    return found[0] if found else None


def _lost_race(
    model: type[models.Model],
    field: models.OneToOneField[Any],
    db: str,
    error: IntegrityError,
    key: Any,
    action: str,
) -> ProfileSerializationFailure | None:
    """The error to raise for a violation of the user field's unique constraint by a row
    this transaction cannot see (a snapshot older than the row), else None.

    Only PostgreSQL reports which constraint failed (``diag.constraint_name``) and keeps a
    transaction's snapshot after a failed INSERT (REPEATABLE READ and SERIALIZABLE); on
    MariaDB/MySQL the locking read saw the row, and SQLite refuses the write itself ("database
    is locked") to a transaction that read before another one committed.
    """
    connection = connections[db]
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if connection.vendor != "postgresql" or not connection.in_atomic_block or not constraint:
        return None
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('transaction_isolation')")
        level = str(cursor.fetchone()[0]).upper()
        found = connection.introspection.get_constraints(cursor, table).get(constraint)
    if level not in ("REPEATABLE READ", "SERIALIZABLE"):
        return None
    if found is None or not found["unique"] or found["columns"] != [field.column]:
        return None  # another unique constraint: the profile's own data is at fault
    user_label = field.related_model._meta.label
    return ProfileSerializationFailure(
        f"{model._meta.label}.{action}: another transaction created the profile of "
        f"{user_label} {key!r} after this transaction's snapshot was taken ({level}), so "
        f"this transaction can neither see that profile nor create another. Retry the "
        f"whole transaction, or create profiles at READ COMMITTED or outside atomic()."
    )


def _forget(field: models.OneToOneField[Any], user: models.Model, profile: models.Model) -> None:
    # Building the profile cached it as user.<related name>; an unsaved one must not stay.
    if field.remote_field.get_cached_value(user, default=None) is profile:
        field.remote_field.delete_cached_value(user)


def _users_without_profile(
    model: type[models.Model], field: models.OneToOneField[Any], db: str
) -> models.QuerySet[Any]:
    profiles = model._base_manager.db_manager(db).filter(
        **{field.attname: OuterRef(field.target_field.attname)}
    )
    users = field.related_model._base_manager.db_manager(db)
    return cast("models.QuerySet[Any]", users.filter(~Exists(profiles)))


def _backfill(
    model: type[models.Model],
    field: models.OneToOneField[Any],
    db: str,
    batch_size: int,
    defaults: Defaults | None,
    progress: Progress | None,
) -> int:
    check_batch_size(batch_size)
    missing = _users_without_profile(model, field, db).order_by("pk")
    target = field.target_field.attname
    created = 0
    after: Any = None
    while True:
        # Keyset pagination: each SELECT starts where the last one ended, so the whole run
        # reads the user table once, however many batches.
        page = missing if after is None else missing.filter(pk__gt=after)
        if defaults is None:
            rows = [
                (pk, {field.attname: key})
                for pk, key in page.values_list("pk", target)[:batch_size]
            ]
        else:
            rows = [
                (user.pk, {**defaults(user), field.attname: getattr(user, target)})
                for user in page[:batch_size]
            ]
        if not rows:
            break
        created += _insert_batch(model, field, [values for _, values in rows], db)
        if progress is not None:
            progress(created)
        if len(rows) < batch_size:
            break
        after = rows[-1][0]
    return created


def check_batch_size(batch_size: object) -> int:
    """``batch_size`` if it is an ``int`` from 1 to :data:`MAX_BATCH_SIZE`, else TypeError or
    ValueError naming it (a bool is not a batch size)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool):
        raise TypeError(
            f"batch_size must be an int from 1 to {MAX_BATCH_SIZE} (users per batch), "
            f"not {batch_size!r}."
        )
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(
            f"batch_size must be from 1 to {MAX_BATCH_SIZE} (users per batch), not {batch_size!r}."
        )
    return batch_size


def _insert_batch(
    model: type[models.Model],
    field: models.OneToOneField[Any],
    rows: list[dict[str, Any]],
    db: str,
) -> int:
    try:
        _write(model, db, partial(_insert_rows, model, db, rows))
    except IntegrityError:
        pass  # a concurrent request created some of these: one by one, skipping those
    else:
        return len(rows)
    created = 0
    for row in rows:
        key = row[field.attname]
        try:
            _write(model, db, partial(_insert_rows, model, db, [row]))
        except IntegrityError as error:
            if _committed_profile(model, field, db, {field.attname: key}) is None:
                failure = _lost_race(model, field, db, error, key, "backfill()")
                if failure is not None:
                    raise failure from error
                raise
        else:
            created += 1
    return created


def _insert_rows(model: type[models.Model], db: str, rows: list[dict[str, Any]]) -> None:
    # New instances on each attempt: a failed bulk_create() may have changed the last ones.
    model._base_manager.db_manager(db).bulk_create([model(**row) for row in rows])


#: How many times backfill() runs one of its transactions that the database aborted.
BATCH_ATTEMPTS = 4


def _write(model: type[models.Model], db: str, write: Callable[[], object]) -> None:
    """``write()`` in a transaction (a savepoint inside an outer one).

    In autocommit, when the database aborts it for a deadlock or a serialization failure,
    it runs again: it was rolled back whole, and a bulk INSERT calls no user code. Inside an
    outer transaction the error is the caller's: that transaction is lost, retry it.
    """
    attempts = 1 if connections[db].in_atomic_block else BATCH_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=db):
                write()
        except OperationalError as error:
            if attempt == attempts or not _is_transaction_conflict(error):
                raise
            logger.info(
                "%s.backfill(): the database aborted a batch (%s); running it again, "
                "attempt %d of %d.",
                model._meta.label,
                " ".join(str(error).split()),
                attempt + 1,
                attempts,
            )
        else:
            return


def _is_transaction_conflict(error: OperationalError) -> bool:
    """A deadlock or serialization failure: PostgreSQL's SQLSTATE 40P01 / 40001 (psycopg 3
    ``sqlstate``, psycopg2 ``pgcode``), MariaDB/MySQL's error 1213."""
    return driver_code(error) in TRANSACTION_CONFLICT


# --- connecting the receivers -------------------------------------------------------------


def _dispatch_uid(model: type[models.Model]) -> str:
    return mixin_dispatch_uid("AutoProfileMixin", model)


def _make_receiver(
    model: type[AutoProfileMixin], field: models.OneToOneField[Any]
) -> Callable[..., None]:
    def auto_create_receiver(
        sender: type[models.Model],
        instance: models.Model,
        created: bool = False,
        raw: bool = False,
        **kwargs: Any,
    ) -> None:
        if not created or raw or getattr(instance, SKIP_ATTRIBUTE, False):
            return
        db = router.db_for_write(model, instance=instance)
        _create(model, field, instance, db, _defaults_of(model), "auto_create_receiver()")

    # Named after the attribute it is reachable as, in the profile model's module (the
    # inspector reads its app from the dispatch_uid, as for every mixin's receiver).
    auto_create_receiver.__module__ = model.__module__
    auto_create_receiver.__qualname__ = f"{model.__qualname__}.auto_create_receiver"
    auto_create_receiver.__doc__ = (
        f"Create the {model._meta.label} of a user that was just created (signalkit's "
        f"AutoProfileMixin)."
    )
    return auto_create_receiver


def _is_user_proxy(model: type[models.Model]) -> bool:
    return bool(model._meta.proxy) and (
        model._meta.concrete_model is not None
        and model._meta.concrete_model._meta.label_lower == settings.AUTH_USER_MODEL.lower()
    )


def _connect_proxy(profile: type[AutoProfileMixin], proxy: type[models.Model]) -> None:
    post_save.connect(
        profile.auto_create_receiver, sender=proxy, dispatch_uid=_dispatch_uid(profile)
    )


def _install(model: type[AutoProfileMixin]) -> None:
    field = find_user_field(model, model.profile_user_field)
    if field.model is not model:
        return  # a multi-table child: its parent's row is the user's profile
    # Preparing a class twice (class_prepared sent again) must leave one receiver, the one
    # Profile.auto_create_receiver names: reuse it, so the dispatch_uid keeps it connected.
    receiver = vars(model).get("auto_create_receiver")
    if receiver is None:
        receiver = _make_receiver(model, field)
        model._auto_profile_field = field  # type: ignore[attr-defined]
        model.auto_create_receiver = staticmethod(receiver)
    else:
        receiver = receiver.__func__
    registry = model._meta.apps
    post_save.connect(
        receiver,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid=_dispatch_uid(model),
        apps=registry,
    )
    for models_of_app in list(registry.all_models.values()):
        for other in list(models_of_app.values()):
            if _is_user_proxy(other):
                _connect_proxy(model, other)


def _on_class_prepared(sender: type[models.Model], **kwargs: Any) -> None:
    """Connect the receiver of each new profile model; connect them all to new user proxies.

    Every profile model comes after this module (it subclasses the mixin), so no profile
    model is prepared before this receiver is connected. Models in other app registries
    (``isolate_apps``) connect to the user model of their own registry, if it has one.
    """
    if issubclass(sender, AutoProfileMixin):
        meta = sender._meta
        if not (meta.abstract or meta.proxy or meta.swapped):
            _install(sender)
    elif _is_user_proxy(sender):
        for models_of_app in list(sender._meta.apps.all_models.values()):
            for profile in list(models_of_app.values()):
                if issubclass(profile, AutoProfileMixin) and "auto_create_receiver" in vars(
                    profile
                ):
                    _connect_proxy(profile, sender)


class_prepared.connect(_on_class_prepared, dispatch_uid="signalkit.mixins.profiles")
