"""The shared scaffolding: clock, rate limiter, faults, OAuth rules, personas, data generation."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.common.datagen import DataGenerator
from integration.sandbox.common.faults import FaultInjector, FaultKind
from integration.sandbox.common.oauth import (
    AccessTokenRejected,
    OAuthError,
    TokenAuthority,
    TokenLifetimes,
    pkce_challenge,
)
from integration.sandbox.common.personas import Persona, payment_intent
from integration.sandbox.common.rate_limit import ConcurrencyRule, RateLimited, RateLimiter, WindowRule
from integration.sandbox.common.signing_keys import SigningKey

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_clock_moves_and_freezes():
    clock = SandboxClock(T0, frozen=True)
    clock.advance(timedelta(days=2))
    assert clock.now() == T0 + timedelta(days=2)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 1, 1))  # naive datetimes are refused


def test_window_limit_refuses_without_counting_and_reopens():
    now = {"t": 0.0}
    limiter = RateLimiter(lambda: now["t"])
    rule = WindowRule("minute", 2, 60)
    limiter.admit([("tenant", rule)])
    permit = limiter.admit([("tenant", rule)])
    assert permit.remaining == {"minute": 0}
    with pytest.raises(RateLimited) as raised:
        limiter.admit([("tenant", rule)])
    assert (raised.value.problem, raised.value.retry_after) == ("minute", 60)
    now["t"] = 45.5
    with pytest.raises(RateLimited) as raised:
        limiter.admit([("tenant", rule)])
    assert raised.value.retry_after == 15
    now["t"] = 60.0
    assert limiter.admit([("tenant", rule)]).remaining == {"minute": 1}


def test_concurrency_slots_are_freed_on_release():
    limiter = RateLimiter(lambda: 0.0)
    rule = ConcurrencyRule("concurrent", 1)
    with limiter.admit(concurrency=[("tenant", rule)]), pytest.raises(RateLimited):
        limiter.admit(concurrency=[("tenant", rule)])
    limiter.admit(concurrency=[("tenant", rule)]).release()


def test_the_window_that_frees_last_is_reported():
    limiter = RateLimiter(lambda: 0.0)
    minute, day = WindowRule("minute", 1, 60), WindowRule("day", 1, 86400)
    limiter.admit([("t", minute), ("t", day)])
    with pytest.raises(RateLimited) as raised:
        limiter.admit([("t", minute), ("t", day)])
    assert raised.value.problem == "day"


def test_faults_are_consumed_per_use_and_match_paths():
    faults = FaultInjector()
    faults.fail_with_server_error(times=2, path_contains="/Invoices")
    assert faults.take_request_faults("/Contacts") == []
    assert len(faults.take_request_faults("/api/Invoices")) == 1
    assert len(faults.take_request_faults("/api/Invoices")) == 1
    assert faults.take_request_faults("/api/Invoices") == []
    faults.drop_webhooks(1)
    assert faults.take_webhook_fault(FaultKind.WEBHOOK_DROP)
    assert not faults.take_webhook_fault(FaultKind.WEBHOOK_DROP)


def test_rotated_refresh_token_works_only_within_the_grace_period():
    clock = SandboxClock(T0, frozen=True)
    authority = TokenAuthority(clock.now, TokenLifetimes(refresh_grace=60))
    grant = authority.new_grant("app", "user", ("offline_access",))
    first = authority.redeem_code(
        authority.issue_code(grant, "cb", pkce_challenge("v" * 50), "S256"), "app", "cb", "v" * 50
    )
    second = authority.refresh(first.refresh_token, "app")
    clock.advance(59)
    authority.refresh(first.refresh_token, "app")
    clock.advance(2)
    with pytest.raises(OAuthError):
        authority.refresh(first.refresh_token, "app")
    assert authority.refresh(second.refresh_token, "app").access_token


def test_access_tokens_expire_on_the_clock_and_die_with_revocation():
    clock = SandboxClock(T0, frozen=True)
    authority = TokenAuthority(clock.now, TokenLifetimes(access=10))
    grant = authority.new_grant("app", "user", ())
    issued = authority.redeem_code(authority.issue_code(grant, "cb"), "app", "cb", None)
    assert authority.check_access(issued.access_token) is grant
    clock.advance(10)
    with pytest.raises(AccessTokenRejected) as raised:
        authority.check_access(issued.access_token)
    assert raised.value.expired_at == T0 + timedelta(seconds=10)
    fresh = authority.refresh(issued.refresh_token, "app")
    authority.revoke(fresh.refresh_token)
    with pytest.raises(AccessTokenRejected):
        authority.check_access(fresh.access_token)


def test_jwt_signature_verifies_with_the_published_jwk():
    import jwt

    key = SigningKey.shared()
    token = key.sign_jwt({"sub": "someone"})
    public = jwt.algorithms.RSAAlgorithm.from_jwk(key.jwks()["keys"][0])
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "someone"


def test_personas_decide_deterministically():
    issued, due = date(2026, 1, 1), date(2026, 1, 31)
    first = payment_intent(Persona.SLOW, random.Random(3), issued, due)
    again = payment_intent(Persona.SLOW, random.Random(3), issued, due)
    assert first == again and first.pay_on > due
    assert payment_intent(Persona.PROMPT, random.Random(3), issued, due).pay_on <= due
    assert payment_intent(Persona.PAYS_AFTER_REMINDER, random.Random(3), issued, due).pay_on is None
    reminded = payment_intent(Persona.PAYS_AFTER_REMINDER, random.Random(3), issued, due, date(2026, 2, 10))
    assert reminded.pay_on > date(2026, 2, 10)
    assert payment_intent(Persona.NEVER_PAYS, random.Random(3), issued, due).pay_on is None


def test_data_generator_is_deterministic_per_seed():
    a, b, c = DataGenerator(1), DataGenerator(1), DataGenerator(2)
    assert [a.uuid(), a.business_name(), str(a.money(10, 100))] == [
        b.uuid(),
        b.business_name(),
        str(b.money(10, 100)),
    ]
    assert a.child("x").uuid() == b.child("x").uuid() != c.child("x").uuid()
