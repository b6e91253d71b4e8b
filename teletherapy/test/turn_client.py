"""A minimal TURN client over UDP (RFC 5766/8656, long-term credentials) for the live coturn
tests: Allocate through the 401 challenge, CreatePermission, Refresh. Nothing else: no data is
ever relayed, so no packet leaves for a peer."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
import struct
from dataclasses import dataclass, field

MAGIC = 0x2112A442
ALLOCATE, REFRESH, CREATE_PERMISSION, BINDING = 0x003, 0x004, 0x008, 0x001
SUCCESS, ERROR = 0x100, 0x110
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
LIFETIME, XOR_PEER_ADDRESS, REALM, NONCE = 0x000D, 0x0012, 0x0014, 0x0015
REQUESTED_TRANSPORT = 0x0019


@dataclass
class Answer:
    cls: int  # SUCCESS or ERROR
    attributes: dict[int, bytes] = field(default_factory=dict)

    @property
    def error(self) -> int | None:
        value = self.attributes.get(ERROR_CODE)
        if value is None:
            return None
        return (value[2] & 0x7) * 100 + value[3]


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(ip: str, port: int) -> bytes:
    packed = ipaddress.IPv4Address(ip).packed
    address = bytes(a ^ b for a, b in zip(packed, struct.pack("!I", MAGIC), strict=True))
    return struct.pack("!BBH", 0, 1, port ^ (MAGIC >> 16)) + address


class TurnClient:
    def __init__(self, host: str, port: int, *, timeout: float = 10.0) -> None:
        self.server = (host, port)
        self.timeout = timeout
        self.sock = self._socket()
        self.key: bytes | None = None
        self.username = self.realm = self.nonce = b""

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(self.timeout)
        return sock

    def close(self) -> None:
        self.sock.close()

    def request(self, method: int, attributes: list[tuple[int, bytes]], *, sign: bool) -> Answer:
        txid = os.urandom(12)
        body = b"".join(_attribute(kind, value) for kind, value in attributes)
        if sign:
            assert self.key is not None
            body += _attribute(USERNAME, self.username)
            body += _attribute(REALM, self.realm) + _attribute(NONCE, self.nonce)
            header = struct.pack("!HHI", method, len(body) + 24, MAGIC) + txid
            digest = hmac.new(self.key, header + body, hashlib.sha1).digest()
            body += _attribute(MESSAGE_INTEGRITY, digest)
        message = struct.pack("!HHI", method, len(body), MAGIC) + txid + body
        # UDP may drop a datagram: send again until the answer to this transaction comes.
        for _attempt in range(5):
            self.sock.sendto(message, self.server)
            try:
                while True:
                    data, _ = self.sock.recvfrom(4096)
                    if data[8:20] == txid:
                        return self._parse(data)
            except TimeoutError:
                continue
        raise TimeoutError(f"no answer from {self.server}")

    @staticmethod
    def _parse(data: bytes) -> Answer:
        kind, length = struct.unpack("!HH", data[:4])
        answer = Answer(cls=kind & 0x110)
        offset = 20
        while offset < 20 + length:
            attr, size = struct.unpack("!HH", data[offset : offset + 4])
            answer.attributes.setdefault(attr, data[offset + 4 : offset + 4 + size])
            offset += 4 + size + (-size % 4)
        return answer

    def allocate(self, username: str, password: str) -> Answer:
        """Allocate a UDP relay with long-term credentials: the first request is answered with
        a 401 challenge (realm, nonce); the second carries USERNAME and MESSAGE-INTEGRITY.

        A 437 (Allocation Mismatch) means the server still holds an allocation for this
        client address (the kernel gave this socket a port an earlier client used): as RFC
        5766 section 6.4 says, try again from another address, three times at most."""
        for _attempt in range(3):
            answer = self._allocate(username, password)
            if answer.error != 437:
                return answer
            self.sock.close()
            self.sock = self._socket()
        return answer

    def _allocate(self, username: str, password: str) -> Answer:
        transport = [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))]
        challenge = self.request(ALLOCATE, transport, sign=False)
        if challenge.error != 401:
            return challenge
        self.realm = challenge.attributes[REALM]
        self.nonce = challenge.attributes[NONCE]
        self.username = username.encode()
        self.key = hashlib.md5(
            self.username + b":" + self.realm + b":" + password.encode(), usedforsecurity=False
        ).digest()
        return self.request(ALLOCATE, transport, sign=True)

    def create_permission(self, peer_ip: str) -> Answer:
        return self.request(
            CREATE_PERMISSION, [(XOR_PEER_ADDRESS, xor_address(peer_ip, 9))], sign=True
        )

    def release(self) -> Answer:
        return self.request(REFRESH, [(LIFETIME, struct.pack("!I", 0))], sign=True)

    def binding(self) -> Answer:
        return self.request(BINDING, [], sign=False)
