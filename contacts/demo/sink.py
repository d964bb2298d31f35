"""Fast writers for generated columns: COPY on PostgreSQL, executemany elsewhere.

Columns arrive as numpy arrays or lists with a declared type:
  int     int64, -1 for NULL          bool   booleans
  str     text (never NULL)          json   JSON text
  ts      UTC datetime64[s] or int64 seconds, NaT for NULL
  date    datetime64[D], NaT for NULL decimal whole numbers
Table and column names come from this package only, never from input.
"""
import numpy as np

STR = np.dtypes.StringDType()


def sink_for(connection, *, prefer_copy=True):
    if connection.vendor == "postgresql" and prefer_copy:
        return PostgresCopySink(connection)
    return ExecutemanySink(connection)


class ExecutemanySink:
    """bulk INSERTs through Django's cursor: SQLite, or PostgreSQL in tests."""

    def __init__(self, connection):
        self.connection = connection

    def reserve_ids(self, table, count):
        if self.connection.vendor == "postgresql":
            return _pg_reserve_ids(self.connection, table, count)
        # Safe because the whole run is one write transaction (SQLite serialises writers).
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table names
            start = cursor.fetchone()[0] + 1
        return np.arange(start, start + count, dtype=np.int64)

    def prepare(self, table, columns, types):
        """Turn columns into rows; pure CPU, safe to run in another thread."""
        names = list(columns)
        values = [self._python(types[name], columns[name]) for name in names]
        return table, names, list(zip(*values, strict=True))

    def send(self, batch):
        table, names, rows = batch
        if not rows:
            return
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def write(self, table, columns, types):
        self.send(self.prepare(table, columns, types))

    def _python(self, kind, values):
        if kind == "int":
            return [None if v == -1 else v for v in np.asarray(values, dtype=np.int64).tolist()]
        if kind == "bool":
            return [bool(v) for v in np.asarray(values).tolist()]
        if kind in ("ts", "date"):
            array = np.asarray(values, dtype="datetime64[s]" if kind == "ts" else "datetime64[D]")
            text = np.datetime_as_string(array, unit="s" if kind == "ts" else "D").astype(object)
            if kind == "ts":
                # Django keeps SQLite datetimes as naive UTC text with a space.
                suffix = "" if self.connection.vendor == "sqlite" else "+00"
                text = np.array([t.replace("T", " ") + suffix for t in text.tolist()], dtype=object)
            text[np.isnat(array)] = None
            return text.tolist()
        if kind == "decimal":
            return np.asarray(values, dtype=np.int64).tolist()
        return list(values)


class PostgresCopySink:
    """COPY ... FROM STDIN in text format, the fastest way into PostgreSQL."""

    def __init__(self, connection):
        self.connection = connection

    def reserve_ids(self, table, count):
        return _pg_reserve_ids(self.connection, table, count)

    def prepare(self, table, columns, types):
        """Build the COPY payload; pure CPU, safe to run in another thread."""
        names = list(columns)
        line = None
        for name in names:
            text = _copy_text(types[name], columns[name])
            line = text if line is None else np.strings.add(np.strings.add(line, "\t"), text)
        payload = b"" if line is None or len(line) == 0 else ("\n".join(line.tolist()) + "\n").encode("utf-8")
        return table, names, payload

    def send(self, batch):
        table, names, payload = batch
        if not payload:
            return
        with self.connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                view = memoryview(payload)
                for start in range(0, len(view), 8 << 20):
                    copy.write(view[start : start + (8 << 20)])

    def write(self, table, columns, types):
        self.send(self.prepare(table, columns, types))


def _pg_reserve_ids(connection, table, count):
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)


def _copy_text(kind, values):
    null = "\\N"
    if kind in ("int", "decimal"):
        array = np.asarray(values, dtype=np.int64)
        text = array.astype(str).astype(STR)
        return np.where(array == -1, null, text).astype(STR) if kind == "int" else text
    if kind == "bool":
        return np.where(np.asarray(values, dtype=bool), "t", "f").astype(STR)
    if kind in ("ts", "date"):
        array = np.asarray(values, dtype="datetime64[s]" if kind == "ts" else "datetime64[D]")
        text = np.datetime_as_string(array, unit="s" if kind == "ts" else "D").astype(STR)
        if kind == "ts":
            text = np.strings.add(text, "+00")
        return np.where(np.isnat(array), null, text).astype(STR)
    text = np.asarray(values, dtype=STR)
    if kind == "json":
        # COPY's text format treats backslash as an escape character.
        text = np.strings.replace(text, "\\", "\\\\")
    return text
