"""Every WebSocket message kind of the signaling channel, validated on receipt."""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypedDict

MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP_CHARS = 60 * 1024


class SessionDescription(TypedDict):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: str


class IceCandidate(TypedDict):
    candidate: str
    sdpMid: NotRequired[str | None]
    sdpMLineIndex: NotRequired[int | None]
    usernameFragment: NotRequired[str | None]


class SignalMessage(TypedDict):
    """{description} or {candidate}, from one peer for the other."""

    type: Literal["signal"]
    description: NotRequired[SessionDescription]
    candidate: NotRequired[IceCandidate]


class MediaMessage(TypedDict):
    """The sender's microphone and camera switches, shown to the other person."""

    type: Literal["media"]
    audio: bool
    video: bool


class EndMessage(TypedDict):
    type: Literal["end"]


class LeaveMessage(TypedDict):
    """Leave the call on purpose; the session stays open and the person can come back."""

    type: Literal["leave"]


class HoldMessage(TypedDict):
    """The therapist only: put the client on hold ("hold") or bring them back ("resume")."""

    type: Literal["hold", "resume"]


class PingMessage(TypedDict):
    type: Literal["ping"]


class JoinMessage(TypedDict):
    """Be present now (after connecting ahead with ?wait=1); `offer`: the id of the other
    participant's held offer this page applied ahead and means to answer."""

    type: Literal["join"]
    offer: NotRequired[int]


class HoldOfferMessage(TypedDict):
    """Alone: keep this offer for the other participant, replacing the one held before. The
    id is the page's own (it tells the page which of its connections was answered)."""

    type: Literal["hold-offer"]
    id: int
    description: SessionDescription


class QualityMessage(TypedDict):
    """A summary of the sender's RTCPeerConnection.getStats() for the last ~10 s: round trip
    and jitter (ms), packets lost (percent of those expected), bitrates in and out (kbit/s),
    the received video's frame rate and size, the selected candidate pair's local and remote
    types, whether the sender sends audio only, the connection's state, and the drops that
    ended since the last report: [ms since it ended, ms it lasted] each."""

    type: Literal["quality"]
    rtt: float | None
    jitter: float | None
    loss: float | None
    kbps_in: int
    kbps_out: int
    fps: float | None
    width: int | None
    height: int | None
    local: str | None
    remote: str | None
    audio_only: bool
    state: str
    drops: list[list[int]]


Incoming = (
    SignalMessage
    | MediaMessage
    | EndMessage
    | LeaveMessage
    | HoldMessage
    | PingMessage
    | JoinMessage
    | HoldOfferMessage
    | QualityMessage
)

MAX_OFFER_ID = 2**31 - 1


class PendingOffer(TypedDict):
    """The one offer the server keeps for a participant who is alone (see consumers.py)."""

    id: int
    description: SessionDescription


def _offer_id(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFER_ID:
        raise BadMessage("invalid_offer_id")
    return value


class BadMessage(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _description(value: Any) -> SessionDescription:
    if not isinstance(value, dict) or set(value) - {"type", "sdp"}:
        raise BadMessage("invalid_description")
    kind, sdp = value.get("type"), value.get("sdp", "")
    if kind not in {"offer", "answer", "pranswer", "rollback"} or not isinstance(sdp, str):
        raise BadMessage("invalid_description")
    if len(sdp) > MAX_SDP_CHARS:
        raise BadMessage("too_large")
    return {"type": kind, "sdp": sdp}


def _candidate(value: Any) -> IceCandidate:
    allowed = {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}
    if not isinstance(value, dict) or set(value) - allowed:
        raise BadMessage("invalid_candidate")
    candidate = value.get("candidate")
    mid = value.get("sdpMid")
    index = value.get("sdpMLineIndex")
    ufrag = value.get("usernameFragment")
    if not isinstance(candidate, str) or len(candidate) > 2048:
        raise BadMessage("invalid_candidate")
    if mid is not None and (not isinstance(mid, str) or len(mid) > 64):
        raise BadMessage("invalid_candidate")
    if index is not None and (
        not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 256
    ):
        raise BadMessage("invalid_candidate")
    if ufrag is not None and (not isinstance(ufrag, str) or len(ufrag) > 256):
        raise BadMessage("invalid_candidate")
    return {
        "candidate": candidate,
        "sdpMid": mid,
        "sdpMLineIndex": index,
        "usernameFragment": ufrag,
    }


def parse(text: str | None, raw: bytes | None = None) -> Incoming:
    """Parse and validate one message from a browser, or raise BadMessage(code); never any
    other exception. Only the fixed shapes above are looked into, so a nested value deeper
    than they allow is refused without being walked."""
    try:
        return _parse(text)
    except BadMessage:
        raise
    except Exception:
        raise BadMessage("malformed") from None


def _parse(text: str | None) -> Incoming:
    if text is None:
        raise BadMessage("text_only")
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise BadMessage("too_large")
    try:
        data = json.loads(text)
    except Exception:
        # Not only ValueError: deep nesting ("[" * 3000) raises RecursionError, and nothing a
        # browser sends may raise anything but BadMessage.
        raise BadMessage("malformed") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise BadMessage("malformed")
    kind = data["type"]
    if kind == "signal":
        has_description, has_candidate = "description" in data, "candidate" in data
        if has_description == has_candidate or set(data) - {"type", "description", "candidate"}:
            raise BadMessage("invalid_signal")
        if has_description:
            return {"type": "signal", "description": _description(data["description"])}
        return {"type": "signal", "candidate": _candidate(data["candidate"])}
    if kind == "media":
        audio, video = data.get("audio"), data.get("video")
        if not isinstance(audio, bool) or not isinstance(video, bool):
            raise BadMessage("invalid_media")
        return {"type": "media", "audio": audio, "video": video}
    if kind == "end":
        return {"type": "end"}
    if kind == "leave":
        return {"type": "leave"}
    if kind == "hold":
        return {"type": "hold"}
    if kind == "resume":
        return {"type": "resume"}
    if kind == "ping":
        return {"type": "ping"}
    if kind == "join":
        if set(data) - {"type", "offer"}:
            raise BadMessage("invalid_join")
        if "offer" in data:
            return {"type": "join", "offer": _offer_id(data["offer"])}
        return {"type": "join"}
    if kind == "hold-offer":
        if set(data) != {"type", "id", "description"}:
            raise BadMessage("invalid_offer")
        description = _description(data["description"])
        if description["type"] != "offer":
            raise BadMessage("invalid_offer")
        return {"type": "hold-offer", "id": _offer_id(data["id"]), "description": description}
    if kind == "quality":
        return _quality(data, text)
    raise BadMessage("unknown_type")


# A report is a few hundred bytes; anything much bigger is not one.
MAX_QUALITY_BYTES = 1024
CANDIDATE_TYPES = frozenset({"host", "srflx", "prflx", "relay"})
CONNECTION_STATES = frozenset({"new", "connecting", "connected", "disconnected", "failed"})
_QUALITY_KEYS = frozenset(QualityMessage.__annotations__)


def _number(value: Any, top: float, *, integer: bool = False, optional: bool = True) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadMessage("invalid_quality")
    if integer and not isinstance(value, int):
        raise BadMessage("invalid_quality")
    if not 0 <= value <= top:  # NaN fails this too
        raise BadMessage("invalid_quality")
    return value


def _drop(value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) != 2:
        raise BadMessage("invalid_quality")
    return [_number(v, 3_600_000, integer=True, optional=False) for v in value]


def _quality(data: dict[str, Any], text: str) -> QualityMessage:
    if len(text.encode()) > MAX_QUALITY_BYTES:
        raise BadMessage("too_large")
    if set(data) != _QUALITY_KEYS:
        raise BadMessage("invalid_quality")
    local, remote, state = data["local"], data["remote"], data["state"]
    if local not in CANDIDATE_TYPES | {None} or remote not in CANDIDATE_TYPES | {None}:
        raise BadMessage("invalid_quality")
    if state not in CONNECTION_STATES or not isinstance(data["audio_only"], bool):
        raise BadMessage("invalid_quality")
    drops = data["drops"]
    if not isinstance(drops, list) or len(drops) > 10:
        raise BadMessage("invalid_quality")
    return {
        "type": "quality",
        "rtt": _number(data["rtt"], 60_000),
        "jitter": _number(data["jitter"], 60_000),
        "loss": _number(data["loss"], 100),
        "kbps_in": _number(data["kbps_in"], 1_000_000, integer=True, optional=False),
        "kbps_out": _number(data["kbps_out"], 1_000_000, integer=True, optional=False),
        "fps": _number(data["fps"], 240),
        "width": _number(data["width"], 16_384, integer=True),
        "height": _number(data["height"], 16_384, integer=True),
        "local": local,
        "remote": remote,
        "audio_only": data["audio_only"],
        "state": state,
        "drops": [_drop(d) for d in drops],
    }
