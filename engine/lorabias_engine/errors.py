"""Error codes the engine answers with. The codes are part of the protocol (see PROTOCOL.md): keep them stable."""

E_BAD_REQUEST = "E_BAD_REQUEST"
E_UNKNOWN_METHOD = "E_UNKNOWN_METHOD"
E_MODEL_FORMAT = "E_MODEL_FORMAT"
E_NOT_FOUND = "E_NOT_FOUND"
E_PICKLE_REFUSED = "E_PICKLE_REFUSED"
E_LORA_MISMATCH = "E_LORA_MISMATCH"
E_NOT_FINITE = "E_NOT_FINITE"
E_OOM = "E_OOM"
E_CANCELLED = "E_CANCELLED"
E_INTERNAL = "E_INTERNAL"


class EngineError(Exception):
    """An error with a stable code and a message a person can act on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}


class Cancelled(EngineError):
    def __init__(self, what: str = "request"):
        super().__init__(E_CANCELLED, f"{what} was cancelled; nothing was written under the final name")


def bad_request(message: str) -> EngineError:
    return EngineError(E_BAD_REQUEST, message)


def not_found(path: str, what: str = "file") -> EngineError:
    return EngineError(E_NOT_FOUND, f"{what} not found: {path} — check the path (relative paths resolve against the engine's working folder)")
