"""Model instances from hand-written SQL, for the few reads on every page.

The ORM spends longer compiling a five-table select_related query than SQLite spends running
it (expression hashing alone was a fifth of a feed page's time). For the queries every page
runs, Rostra writes the SQL once and turns each row back into model instances here, applying
the same database converters the ORM would (dates from SQLite text, JSON, booleans), so the
objects are indistinguishable from the ORM's.
"""

from datetime import datetime
from datetime import timezone as dt_timezone

from django.db import connections
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

# Rows whose converted values each ModelColumns keeps (``ModelColumns._convert``).
MAX_KEPT_ROWS = 20_000


class ModelColumns:
    """All concrete columns of ``model`` under the SQL table alias ``alias``."""

    def __init__(self, model, alias):
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self._converters = {}
        # Converted values of rows seen before, keyed by the row as the database sent it.
        self._converted = {}
        self._sql = {}

    def sql(self, using="default"):
        """The column list for a SELECT.

        Date-time columns are read as text and parsed by ``build``, once per distinct row:
        on SQLite as ``+alias."column"``, an expression, which has no declared type, so the
        driver no longer parses every date of every row (Django registers a converter for
        the declared type); on PostgreSQL as ``alias."column"::text``, because Django loads
        ``timestamptz`` with a loader written in Python (to set the time zone), about a tenth
        of the API home timeline's time.
        """
        vendor = connections[using].vendor
        text = self._sql.get(vendor)
        if text is None:
            text = self._sql[vendor] = ", ".join(_column(self.alias, f, vendor) for f in self.fields)
        return text

    def __len__(self):
        return len(self.fields)

    def converters(self, connection):
        """Per column, the converter functions the ORM would apply (cached per database).

        Returns two tables of ``(index, funcs, col)``: the columns whose converted values are
        immutable, and the JSON ones, whose lists and dicts each instance must have its own of.
        """
        key = connection.alias
        if key not in self._converters:
            shared, fresh = [], []
            for index, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if _as_text(field, connection.vendor):
                    # The same result as the ORM's (an aware datetime in UTC) from the text
                    # ``sql()`` selects, without SQLite's per-value reads of settings.
                    funcs = [f for f in funcs if f.__name__ != "convert_datetimefield_value"] + [_text_datetime]
                if funcs:
                    (fresh if field.get_internal_type() == "JSONField" else shared).append((index, funcs, col))
            self._converters[key] = (shared, fresh)
        return self._converters[key]

    def build(self, values, connection):
        """A model instance from this model's slice of a row; None for a LEFT JOIN miss."""
        if values[0] is None:
            return None
        values = self._convert(tuple(values), connection)
        if self._plain:
            # What Model.from_db would build, without __init__'s per-field work: every concrete
            # column is here, and no pre_init/post_init receiver is registered for the model.
            instance = self.model.__new__(self.model)
            instance.__dict__.update(zip(self.attnames, values))
            state = instance._state = ModelState()
            state.adding = False
            state.db = connection.alias
            return instance
        return self.model.from_db(connection.alias, self.attnames, values)

    def _convert(self, raw, connection):
        """The row's values as the ORM would give them, the same values for the same row.

        The same authors and posts come back page after page, and converting their dates,
        booleans and JSON was a third of building them. So the converted values are kept per
        process, keyed by the raw row itself: a row that changed in any column is a new key, so
        nothing kept can be stale. Only immutable values are kept and shared; JSON columns are
        converted afresh for every instance.
        """
        shared, fresh = self.converters(connection)
        key = (connection.alias, raw)
        try:
            values = self._converted.get(key)
        except TypeError:  # a value the driver already made mutable (unhashable): no keeping
            key = values = None
        if values is None:
            # A tuple of plain values, which the garbage collector stops tracking.
            values = tuple(_apply(shared, list(raw), raw, connection))
            if key is not None:
                if len(self._converted) >= MAX_KEPT_ROWS:
                    self._converted.clear()
                self._converted[key] = values
        return _apply(fresh, list(values), raw, connection) if fresh else values

    @property
    def _plain(self):
        plain = self.__dict__.get("_plain_cached")
        if plain is None:
            # Receivers connect when models are defined, long before the first row is read.
            plain = self._plain_cached = not (pre_init.has_listeners(self.model) or post_init.has_listeners(self.model))
        return plain


def _apply(table, values, raw, connection):
    """Convert, in ``values``, the columns of ``table`` from their ``raw`` database values."""
    for index, funcs, col in table:
        value = raw[index]
        for func in funcs:
            value = func(value, col, connection)
        values[index] = value
    return values


def _as_text(field, vendor):
    return field.get_internal_type() == "DateTimeField" and vendor in ("sqlite", "postgresql")


def _column(alias, field, vendor):
    name = f'{alias}."{field.column}"'
    if not _as_text(field, vendor):
        return name
    return f"+{name}" if vendor == "sqlite" else f"{name}::text"


def _text_datetime(value, expression, connection):
    """An aware datetime from SQLite's stored text (UTC, no offset) or PostgreSQL's text
    output of a ``timestamptz`` (with its offset)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_timezone.utc)
    if value.tzinfo is not dt_timezone.utc:
        value = value.astimezone(dt_timezone.utc)  # as the ORM gives them: in UTC
    return value


def cursor(using="default"):
    """A cursor for the hand-written queries every page runs.

    On PostgreSQL it binds parameters on the server, so with the ``prepare_threshold`` that
    settings give such connections, each of these queries is planned once per connection
    rather than once per page. Django's own cursors bind client-side and never prepare, so
    the ORM is unaffected. Queries still show in ``connection.queries`` and the test tools.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection.cursor()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    # What Django's own cursor() does, with the other cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, raw)
        return connection._prepare_cursor(raw)


def fetch(sql, params, layout, using="default"):
    """Run ``sql`` and split each row into instances, one per ModelColumns in ``layout``.

    Returns a list of tuples of instances (or None), in row order.
    """
    connection = connections[using]
    with cursor(using) as c:
        c.execute(sql, params)
        rows = c.fetchall()
    result = []
    seen = [{} for _ in layout]  # the same author on ten rows is built once
    parts, start = [], 0
    for columns, built in zip(layout, seen):
        parts.append((start, start + len(columns), columns, built))
        start += len(columns)
    for row in rows:
        objects = []
        for start, end, columns, built in parts:
            key = row[start]
            instance = built.get(key)
            if instance is None and key is not None:
                instance = built[key] = columns.build(row[start:end], connection)
            objects.append(instance)
        result.append(tuple(objects))
    return result


def among(values, using="default"):
    """``(sql, params)`` testing a column against a list: ``= ANY(%s)`` on PostgreSQL, else ``IN``.

    On PostgreSQL the list travels as one array parameter. psycopg caches the parsing of a
    query only up to 50 parameters, so ``IN (%s, %s, ...)`` over a page of 40 posts (asked
    twice or three times in one statement) was parsed again on every page.
    """
    values = list(values)
    if connections[using].vendor == "postgresql":
        return "= ANY(%s)", [values]
    return f"IN ({','.join(['%s'] * len(values))})", values


def relate(instance, field_name, value):
    """Attach a fetched related object without a query, as select_related would."""
    instance._meta.get_field(field_name).set_cached_value(instance, value)
