"""Timing helpers the benches share: warm p50/p95 of a call, and the bare SQL a call emits, replayable."""
import statistics
import time

from django.db import connection


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call, runs):
    """(p50, p95) in ms over `runs` calls, after one warm-up call (the figures are for a warm database)."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def captured_sql(call):
    """The statements `call` sends, as (sql, params) pairs."""
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        call()
    return statements


def bare(statements):
    """A call that sends exactly `statements` on a cursor and fetches their rows: the app's SQL, without the app."""
    def run():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    return run
