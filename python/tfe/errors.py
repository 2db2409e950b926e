"""tfe's exceptions: one Python class per C++ error class (include/tfe/config.hpp), with the C++ message.

    C++                     Python                 also a
    tfe::error              tfe.Error              RuntimeError
    tfe::shape_error        tfe.ShapeError         ValueError
    tfe::encoding_error     tfe.EncodingError      ValueError
    tfe::config_error       tfe.ConfigError        ValueError
    tfe::protocol_error     tfe.ProtocolError
    tfe::channel_error      tfe.ChannelError       ConnectionError
    tfe::file_error         tfe.FileError          OSError
    tfe::player_error       tfe.PlayerError

A player that fails inside tfe.run or tfe.predict (every player in this process) is reported as a
PlayerError that is also an instance of the original error's class: a bad shape in a player's program
raises an exception that is both a tfe.PlayerError (``.player`` names the player) and a
tfe.ShapeError, whose ``__cause__`` is the original. An exception the Python program raises itself
propagates unchanged, with ``.player`` set and a note naming the player.
"""

from __future__ import annotations


class Error(RuntimeError):
    """Base of every exception tfe raises on purpose (C++ tfe::error)."""


class ShapeError(Error, ValueError):
    """Tensor shapes that do not fit an operation (C++ tfe::shape_error)."""


class EncodingError(Error, ValueError):
    """A value outside the fixed-point range, NaN or infinity (C++ tfe::encoding_error)."""


class ConfigError(Error, ValueError):
    """Invalid configuration: protocol name, player list, an unsupported ONNX op (C++ tfe::config_error)."""


class ProtocolError(Error):
    """Misuse of a protocol: an unknown player, a tensor of an ended session (C++ tfe::protocol_error)."""


class ChannelError(Error, ConnectionError):
    """Transport failures: timeouts, a closed network, a peer gone (C++ tfe::channel_error)."""


class FileError(Error, OSError):
    """A file that cannot be read or is malformed, e.g. an invalid ONNX model (C++ tfe::file_error)."""


class PlayerError(Error):
    """A player of a computation failed (C++ tfe::player_error); ``player`` names it."""

    player: str = ""


_BY_KIND = {
    "tfe::error": Error,
    "tfe::shape_error": ShapeError,
    "tfe::encoding_error": EncodingError,
    "tfe::config_error": ConfigError,
    "tfe::protocol_error": ProtocolError,
    "tfe::channel_error": ChannelError,
    "tfe::file_error": FileError,
}
_PLAYER_CLASSES: dict[type, type] = {}


def _class_of_kind(kind: str) -> type:
    """The class of a C++ error by its kind() (used by the C++ module)."""
    return _BY_KIND.get(kind, Error)


def _player_class(cls: type) -> type:
    """PlayerError combined with a tfe error class, e.g. PlayerShapeError(PlayerError, ShapeError)."""
    if cls is Error or issubclass(cls, PlayerError):
        return PlayerError
    if cls not in _PLAYER_CLASSES:
        name = "Player" + cls.__name__
        _PLAYER_CLASSES[cls] = type(name, (PlayerError, cls), {"__module__": __name__, "__doc__": PlayerError.__doc__})
    return _PLAYER_CLASSES[cls]


def _raise_player_failure(player: str, exc: BaseException) -> None:
    """Raises the failure of `player` (called by the C++ module when a player of a run failed)."""
    if isinstance(exc, Error):
        err = _player_class(type(exc))(f"player '{player}': {exc}")
        err.player = player
        raise err from exc
    try:
        exc.player = player
    except AttributeError:
        pass
    if hasattr(exc, "add_note"):
        exc.add_note(f"(raised by player '{player}' of a tfe computation)")
    raise exc
