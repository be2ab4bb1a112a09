"""Counting failed credentials (wrong passwords, wrong bearer tokens) so guessing online stays slow.

A `Failures` keeps, per key (a kind and a value: an address, a principal's name), the times of its recent
failures; a key with `limit` failures in the last WINDOW seconds is blocked until the oldest of them is older
than that. Bounded in bytes whatever is submitted: a key is kept as a 16-byte digest with at most `limit`
times, and at most `max_keys` keys are kept (the least recently failed go first). Only a failure is recorded;
asking whether a key is blocked stores nothing."""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping

#: seconds a failure counts against its keys
WINDOW = 15 * 60.0


class Failures:
    """Recent failures per key; `limits` gives each kind of key its limit."""

    def __init__(self, limits: Mapping[str, int], max_keys: int = 10_000) -> None:
        self.limits = dict(limits)
        self.max_keys = max_keys
        self._seen: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, values: Mapping[str, str]) -> list[tuple[bytes, int]]:
        return [(_digest16(f"{kind}:{value}"), self.limits[kind]) for kind, value in values.items()]

    def over(self, values: Mapping[str, str]) -> bool:
        """Has any of these keys (kind → value) reached its limit within the window?"""
        since = time.monotonic() - WINDOW
        with self._lock:
            return any(sum(t >= since for t in self._seen.get(k, ())) >= limit for k, limit in self._keys(values))

    def count(self, values: Mapping[str, str]) -> None:
        """One more failure for each of these keys."""
        now = time.monotonic()
        with self._lock:
            for k, limit in self._keys(values):
                times = self._seen.pop(k, None) or deque(maxlen=limit)
                times.append(now)
                self._seen[k] = times  # the most recent failure last
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        """How many keys are remembered (each costs a fixed number of bytes)."""
        with self._lock:
            return len(self._seen)


def client_address(addr: str | None) -> str:
    """The address a client counts as: an IPv6 address by its /64 (one host is usually given a whole /64,
    so counting single addresses would give it 2^64 budgets); anything else as it is."""
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return addr or ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


def _digest16(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


__all__ = ["WINDOW", "Failures", "client_address"]
