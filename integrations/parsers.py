"""The API's JSON parser: a bad body is a 4xx that names the problem, never a 500 or a row PostgreSQL refuses.

DRF 3.18 hands its own JSON parser ``request.body``, whose size check (``DATA_UPLOAD_MAX_MEMORY_SIZE``) raises
Django's ``RequestDataTooBig`` outside the parser: an HTML 400 page, not an API answer. DRF's parser also lets a
body nested 100,000 levels deep raise ``RecursionError`` (a 500), and accepts what PostgreSQL cannot store in a
``jsonb`` or text column (``\\u0000``, a lone surrogate, ``1e999`` read as infinity). This one reads the stream
itself (it is no subclass of DRF's JSONParser, which DRF would feed ``request.body``) and answers:

- 413 when the body is larger than ``max_bytes`` (by its Content-Length, before reading it, or once read);
- 400 "not valid UTF-8: byte 0xff at position 12" for text that is not in the request's charset;
- 400 "not valid JSON: Expecting ',' delimiter at line 1, column 9" for malformed JSON;
- 400 naming the field (``{"raw_payload.lines[2]": ["…NUL character…"]}``) for values that cannot be stored.

An endpoint that takes larger bodies (a batch) subclasses it with its own ``max_bytes``.
"""

from __future__ import annotations

import json
import math

from django.conf import settings
from rest_framework import exceptions, parsers, renderers
from rest_framework.settings import api_settings

MAX_DEPTH = 32  # objects and arrays nested deeper than this are refused (no payload of ours comes near)


class RequestTooLarge(exceptions.APIException):
    """413: the body is larger than the API accepts."""

    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {limit:,} bytes, the most this API accepts.")


def read_body(stream, request, limit: int | None) -> bytes:
    """The whole body, refusing one past ``limit`` bytes before reading it when its Content-Length says so."""
    if limit is None:
        return stream.read()
    meta = getattr(request, "META", {})
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large(limit)
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise too_large(limit)
    return body


def decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except LookupError as error:
        raise exceptions.ParseError(f"The body's charset {encoding!r} is unknown: send UTF-8.") from error
    except UnicodeDecodeError as error:
        raise exceptions.ParseError(
            f"The body is not valid {error.encoding.upper()}: byte 0x{body[error.start]:02x} at position {error.start}."
        ) from error


def refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def field_path(path: tuple) -> str:
    """``("raw_payload", "lines", 2)`` → ``raw_payload.lines[2]``; the body itself is ``non_field_errors``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or api_settings.NON_FIELD_ERRORS_KEY


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Contains a NUL character (\\u0000), which cannot be stored."
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "Contains a lone surrogate (\\ud800-\\udfff), which is not a character."
    return None


def storable_problems(data) -> dict[str, list[str]]:
    """What PostgreSQL could not store, by field path: NUL characters, lone surrogates, infinite numbers, depth."""
    problems: dict[str, list[str]] = {}
    pending = [((), data)]
    while pending:
        path, value = pending.pop()
        problem = None
        if isinstance(value, str):
            problem = text_problem(value)
        elif isinstance(value, float) and not math.isfinite(value):
            problem = "Is too large a number."
        elif isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            problem = f"Is nested deeper than {MAX_DEPTH} levels."
        elif isinstance(value, dict):
            for key, item in value.items():
                if key_problem := text_problem(key):
                    problems.setdefault(field_path(path), []).append(f"A key {key_problem[0].lower()}{key_problem[1:]}")
                else:
                    pending.append(((*path, key), item))
        elif isinstance(value, list):
            pending.extend(((*path, index), item) for index, item in enumerate(value))
        if problem:
            problems.setdefault(field_path(path), []).append(problem)
    return problems


class JSONParser(parsers.BaseParser):
    """JSON bodies up to a size limit, with exact error messages, holding only values PostgreSQL can store."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON
    max_bytes: int | None = None  # None: Django's DATA_UPLOAD_MAX_MEMORY_SIZE

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = self.max_bytes if self.max_bytes is not None else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = read_body(stream, parser_context.get("request"), limit)
        text = decode(body, parser_context.get("encoding") or settings.DEFAULT_CHARSET)
        try:
            data = json.loads(text, parse_constant=refuse_constant if self.strict else None)
        except json.JSONDecodeError as error:
            raise exceptions.ParseError(
                f"The body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from error
        except RecursionError as error:
            raise exceptions.ParseError(f"The body is nested deeper than {MAX_DEPTH} levels.") from error
        except ValueError as error:  # NaN / Infinity, an integer of more than 4,300 digits
            raise exceptions.ParseError(f"The body is not valid JSON: {error}.") from error
        if problems := storable_problems(data):
            raise exceptions.ValidationError(problems)
        return data
