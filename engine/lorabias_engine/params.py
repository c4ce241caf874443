"""Small helpers to read request params with clear E_BAD_REQUEST messages."""
from __future__ import annotations

from typing import Any

from .errors import bad_request

_MISSING = object()


def get(params: dict, name: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
    if name not in params or params[name] is None:
        if default is _MISSING:
            raise bad_request(f"missing parameter '{name}'")
        return default
    value = params[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and kind in (int, float):
        raise bad_request(f"parameter '{name}' must be a number, got {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise bad_request(f"parameter '{name}' must be {names}, got {type(value).__name__}")
    return value


def choice(params: dict, name: str, options: tuple[str, ...], default: str) -> str:
    value = get(params, name, str, default)
    if value not in options:
        raise bad_request(f"parameter '{name}' must be one of {', '.join(options)}; got {value!r}")
    return value


def positive_int(params: dict, name: str, default: Any = _MISSING) -> int:
    value = get(params, name, int, default)
    if value is not None and value <= 0:
        raise bad_request(f"parameter '{name}' must be > 0, got {value}")
    return value
