"""Structured logs with a request id that follows a request into the tasks it queues.

``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` (when it is a sane token: 1-128 letters, digits and
``-_.:``) or makes one, returns it in the response's ``X-Request-ID`` and keeps it in a context variable for the
request. ``RequestIdFilter`` puts it on every log record (``record.request_id``, "-" outside a request or task);
``JsonFormatter`` writes one JSON object per line (stdlib only). Celery: ``before_task_publish`` adds the id to the
headers of every task sent while it is set, and ``task_prerun`` restores it in the worker (``task_postrun`` clears
it), so the worker's log lines of that task carry the request's id. Signals are connected in FeedbackHubConfig.ready.

LOG_FORMAT=json|text chooses the format (settings.py); by default text with DEBUG on (a developer's terminal) and JSON
otherwise (a log collector).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
VALID_ID = re.compile(r"[A-Za-z0-9\-_.:]{1,128}")
# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is written as a field of its own.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_request_id() -> str:
    return request_id_var.get()


def valid_or_new(candidate: str | None) -> str:
    """The caller's id when it is a sane token, a new one (32 hex digits) otherwise."""
    if candidate and VALID_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for the request's code and logs, and returns it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_or_new(request.headers.get(HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO), level, logger, message, request_id, the ``extra=`` fields, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get() or None,
        }
        entry.update({key: value for key, value in vars(record).items() if key not in STANDARD_ATTRIBUTES})
        entry["request_id"] = entry["request_id"] if entry["request_id"] != "-" else None
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


# --- Celery ----------------------------------------------------------------------------------------------------


def add_request_id_to_headers(headers=None, **_) -> None:
    """before_task_publish: a task sent while handling a request carries the request's id."""
    request_id = request_id_var.get()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def restore_request_id(task=None, **_) -> None:
    """task_prerun: the worker takes the id the task was sent with (custom headers become request attributes);
    an eager task keeps the caller's."""
    request_id = getattr(task.request, TASK_HEADER, None) if task is not None else None
    if request_id and not task.request.is_eager:
        request_id_var.set(valid_or_new(request_id))


def clear_request_id(task=None, **_) -> None:
    """task_postrun: the next task of this worker process starts without the previous one's id."""
    if task is not None and not task.request.is_eager:
        request_id_var.set("")


def setup_worker_logging(logger=None, **_) -> None:
    """after_setup_logger / after_setup_task_logger: Celery replaces the root logger's handlers in the worker;
    give its handlers the request id filter, and the JSON formatter when LOG_FORMAT is json."""
    from django.conf import settings

    if logger is None:
        return
    log_format = getattr(settings, "LOG_FORMAT", "text")
    for handler in logger.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())


def connect_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(add_request_id_to_headers, weak=False, dispatch_uid="fbh-request-id-publish")
    signals.task_prerun.connect(restore_request_id, weak=False, dispatch_uid="fbh-request-id-prerun")
    signals.task_postrun.connect(clear_request_id, weak=False, dispatch_uid="fbh-request-id-postrun")
    signals.after_setup_logger.connect(setup_worker_logging, weak=False, dispatch_uid="fbh-logs-worker")
    signals.after_setup_task_logger.connect(setup_worker_logging, weak=False, dispatch_uid="fbh-logs-task")
