"""Request bodies: JSON only, bounded in size, and free of text no database stores faithfully."""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from .exceptions import RequestTooLarge


def _bad_character(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "an unpaired surrogate (\\ud800-\\udfff), which is not valid Unicode text"
    return None


def check_text(data, path: str = "") -> dict:
    """Every string (keys too) in a parsed JSON document that no database would store as given, by its path."""
    errors = {}
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if problem := _bad_character(str(key)):
                errors[inner] = [f"The field name contains {problem}."]
            errors.update(check_text(value, inner))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            errors.update(check_text(value, f"{path}[{index}]"))
    elif isinstance(data, str) and (problem := _bad_character(data)):
        errors[path] = [f"The text contains {problem}; remove it."]
    return errors


# A record's body is an object of lists of objects (citations): three levels. Deeper is a mistake or an attack, and
# every recursive walk of it (ours, DRF's) would risk Python's recursion limit.
MAX_DEPTH = 20
_TOO_DEEP = f"The request body nests arrays or objects more than {MAX_DEPTH} levels deep."


def _depth(data) -> int:
    """How deeply ``data`` nests lists and objects, walked without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


class StrictJSONParser(JSONParser):
    """JSON bodies of at most ``API_MAX_BODY_BYTES``, UTF-8, an object at the top, at most ``MAX_DEPTH`` levels
    deep, no NUL or lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if declared > limit:
            raise RequestTooLarge(f"The request body is {declared} bytes; the limit is {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError as error:
            raise ParseError(f"The request body is not valid UTF-8 (byte {error.start}).") from None
        except ValueError as error:
            raise ParseError(f"The request body is not valid JSON: {error}.") from None
        except RecursionError:
            raise ParseError(_TOO_DEEP) from None
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        if _depth(data) > MAX_DEPTH:
            raise ParseError(_TOO_DEEP)
        if errors := check_text(data):
            raise ValidationError(errors)
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
