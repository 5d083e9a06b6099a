"""The mock's teaching keys: one per branch of the server-side authentication flow.

They look nothing like a real key on purpose (a real one is ``sk-`` and 32 hex characters).

====================================  ==========================================================
key                                   what the mock answers, as the real service would
====================================  ==========================================================
``mock-key-valid``                    200: the demo key, accepted in every region
``mock-key-unknown``                  401 ``InvalidApiKey`` / ``invalid_api_key``: no such key
``mock-key-intl``                     a key created in Singapore (``ap-southeast-1``). On a mock
                                      playing Beijing (the default) it gets the same 401 as an
                                      unknown key: keys are bound to their region, and the
                                      service does not say "wrong region"
``mock-key-arrears``                  400 ``Arrearage``: the account owes money (400, not 403)
``mock-key-free-tier-exhausted``      403 ``AllocationQuota.FreeTierOnly``
``mock-key-rate-limited``             valid, with a budget of 3 requests and 2,000 tokens a
                                      minute per model, so 429s come quickly
====================================  ==========================================================

Any key passed with ``--key`` (or ``MockServer(keys=[…])``) is valid too.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_KEY = "mock-key-valid"


@dataclass(frozen=True)
class KeyProfile:
    """What the mock knows about one key."""

    region: str | None = None
    """The region the key belongs to; ``None`` means valid in every region."""
    account_error: str | None = None
    """A catalogue code answered to every request (``Arrearage`` …)."""
    rpm: int | None = None
    """Requests per minute per model; ``None`` means the server's default."""
    tpm: int | None = None
    """Tokens per minute per model; ``None`` means the server's default."""


TEACHING_KEYS: dict[str, KeyProfile] = {
    DEMO_KEY: KeyProfile(),
    "mock-key-intl": KeyProfile(region="ap-southeast-1"),
    "mock-key-arrears": KeyProfile(account_error="Arrearage"),
    "mock-key-free-tier-exhausted": KeyProfile(account_error="AllocationQuota.FreeTierOnly"),
    "mock-key-rate-limited": KeyProfile(rpm=3, tpm=2_000),
}
"""``mock-key-unknown`` is deliberately absent: it is unknown."""


def lookup(key: str, extra_keys: frozenset[str], region: str) -> KeyProfile | None:
    """The profile of a key valid on a mock playing ``region``, or None (answer 401)."""
    if key in extra_keys:
        return KeyProfile()
    profile = TEACHING_KEYS.get(key)
    if profile is None or (profile.region and profile.region != region):
        return None
    return profile
