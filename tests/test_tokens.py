"""decode_session_token on hand-built tokens: every claim format the servers use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import b64url, make_jwt
from memanto_client import InvalidSessionTokenError, decode_session_token

BASE = {
    "agent_id": "bot",
    "namespace": "memanto_agent_bot",
    "session_id": "sess_0123456789ab",
    "started_at": "2026-11-30T02:13:00.583820",
    "expires_at": "2026-11-30T08:13:00.583820",
}


def test_0_0_8_token_naive_times_are_utc() -> None:
    c = decode_session_token(make_jwt(BASE))
    assert c.agent_id == "bot" and c.session_id == "sess_0123456789ab"
    assert c.expires_at == datetime(2026, 11, 30, 8, 13, 0, 583820, tzinfo=timezone.utc)
    assert c.started_at == datetime(2026, 11, 30, 2, 13, 0, 583820, tzinfo=timezone.utc)
    assert c.issued_at is None
    assert c.is_expired is (datetime.now(timezone.utc) >= c.expires_at)


@pytest.mark.parametrize(
    "expires_at",
    ["2026-11-30T08:13:00Z", "2026-11-30T08:13:00+00:00", "2026-11-30T10:13:00+02:00", "2026-11-30T03:13:00-05:00"],
)
def test_offsets(expires_at: str) -> None:
    c = decode_session_token(make_jwt({**BASE, "expires_at": expires_at}))
    assert c.expires_at == datetime(2026, 11, 30, 8, 13, tzinfo=timezone.utc)


def test_exp_integer_and_float_win_over_expires_at() -> None:
    c = decode_session_token(make_jwt({**BASE, "exp": 1_900_000_000, "iat": 1_899_990_000}))
    assert c.expires_at == datetime.fromtimestamp(1_900_000_000, timezone.utc)
    assert c.issued_at == datetime.fromtimestamp(1_899_990_000, timezone.utc)
    c = decode_session_token(make_jwt({"agent_id": "x", "exp": 1_900_000_000.5}))
    assert c.expires_at == datetime.fromtimestamp(1_900_000_000.5, timezone.utc)


def test_expired_token_still_decodes() -> None:
    c = decode_session_token(make_jwt({**BASE, "expires_at": "2001-01-01T00:00:00"}))
    assert c.is_expired
    assert c.time_remaining == timedelta(0)


def test_non_ascii_claims_and_unknown_claims_kept() -> None:
    c = decode_session_token(make_jwt({**BASE, "agent_id": "agént-日本", "team": "ü"}))
    assert c.agent_id == "agént-日本"
    assert c.extra == {"team": "ü"}
    assert c.to_dict()["team"] == "ü"


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9.!!!.sig", f"eyJhbGciOiJIUzI1NiJ9.{b64url(b'not json')}.sig"],
)
def test_malformed_tokens(bad: str) -> None:
    with pytest.raises(InvalidSessionTokenError, match="Malformed session token") as err:
        decode_session_token(bad)
    assert err.value.status_code is None
    if len(bad) > 3:
        assert bad not in str(err.value)


def test_missing_expiry_claims() -> None:
    with pytest.raises(InvalidSessionTokenError, match="neither an exp nor an expires_at"):
        decode_session_token(make_jwt({"agent_id": "x"}))
    with pytest.raises(InvalidSessionTokenError, match="expires_at"):
        decode_session_token(make_jwt({"agent_id": "x", "expires_at": "soon"}))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        c = decode_session_token(text)
    except InvalidSessionTokenError as e:
        assert e.status_code is None
    else:
        assert c.expires_at.tzinfo is not None


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in {"exp", "expires_at", "iat"}),
                       st.text(max_size=20), max_size=5),
       st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_any_claims_round_trip(extra: dict[str, str], when: datetime) -> None:
    claims = {**extra, "expires_at": when.isoformat()}
    c = decode_session_token(make_jwt(claims))
    assert c.expires_at == when.replace(tzinfo=timezone.utc)
