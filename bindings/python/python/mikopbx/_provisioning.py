"""Least-privilege provisioning: ``client.api_keys.create_for(description, operations,
network=...)``, over the core's ``ApiKeysApi::create_for``: a key with exactly the
``allowed_paths`` the named operations need, the network restriction asked for (``"localhost"``
made to work through a network filter that admits only 127.0.0.1, since the PBX's REST API stores
``localhost`` as no restriction), checked against what the PBX stored and removed again if wider.
"""

from __future__ import annotations

from typing import Sequence, Union

from ._native import ApiKeyInfo, NativeClient

__all__ = ["AsyncKeyProvisioning", "CreatedApiKey", "KeyProvisioning"]

#: ``"any"``, ``"localhost"`` or a network filter id.
KeyNetwork = Union[str, int]


class CreatedApiKey:
    """A key made by ``create_for``: ``key`` (the plaintext, shown only now: store it) and
    ``info`` (the record the PBX stored). Its ``repr`` leaves the key out."""

    __slots__ = ("info", "key")

    def __init__(self, key: str, info: ApiKeyInfo) -> None:
        self.key = key
        self.info = info

    def __repr__(self) -> str:
        return f"CreatedApiKey(info={self.info!r})"


class KeyProvisioning:
    """``client.api_keys.create_for()`` (the generated ``ApiKeysApi`` derives from this)."""

    __slots__ = ()
    _native: NativeClient

    def create_for(
        self, description: str, operations: Sequence[str], *, network: KeyNetwork = "localhost"
    ) -> CreatedApiKey:
        """Creates a key with exactly the permissions ``operations`` need (names as
        ``mikopbx operations`` lists them, e.g. ``["extensions.list", "cdr.list"]``), usable from
        ``network`` (default ``"localhost"``: through the network filter that admits only
        127.0.0.1; :class:`ConfigurationError` when the PBX has none, saying what to add in the
        web interface). Raises :class:`ServerError`, having removed the key again, when the PBX
        stored it wider than asked."""
        key, info = self._native.create_api_key_for(description, list(operations), network)
        return CreatedApiKey(key, info)


class AsyncKeyProvisioning:
    """``client.api_keys.create_for()`` of ``AsyncClient``."""

    __slots__ = ()
    _native: NativeClient

    async def create_for(
        self, description: str, operations: Sequence[str], *, network: KeyNetwork = "localhost"
    ) -> CreatedApiKey:
        """See ``Client.api_keys.create_for``."""
        key, info = await self._native.create_api_key_for_async(description, list(operations), network)
        return CreatedApiKey(key, info)
