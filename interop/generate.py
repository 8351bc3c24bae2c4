#!/usr/bin/env python3
"""Sealed-record interoperability between auth0-server-python and auth0-core (Rust).

Run from the repository root, with a Python that has the pinned auth0-server-python
installed (see interop/README.md):

    python3 interop/generate.py            # write Python fixtures, verify the Rust ones
    python3 interop/generate.py --check    # write nothing, verify both fixture files

Everything here goes through the installed package itself: its pydantic models
(StateData, TransactionData, ...) build and parse the records, its store base classes
(StateStore / TransactionStore, whose encrypt/decrypt wrap its JWE helper) seal and open
them, and its ServerClient reads them back. Nothing talks to the network.

1. Python -> Rust: writes interop/fixtures/python_sealed.json with, for each record, the
   plaintext the Python SDK hands to its sealing function, the exact JSON text it encrypts,
   the salt (record identifier) and the sealed value. The Rust test
   auth0-core/tests/python_interop.rs opens them. A sealed value already in the file is kept
   when it still opens to the same plaintext, so re-running does not churn the fixtures.

   Records: `session` (salt _a0_session), `transaction` (salt _a0_tx, the Python model plus
   the members the Rust SDK requires), `transaction_from_login` (what the package's real
   start_interactive_login stores; its salt is `_a0_tx:<state>`), and
   `session_foreign_secret` (the session sealed with another secret, which must not open).

2. Rust -> Python: reads interop/fixtures/rust_sealed.json (written by the Rust test with
   AUTH0_WRITE_FIXTURES=1) and checks that the package opens each value to the plaintext the
   Rust side recorded, that its models parse it without losing fields (other than the ones
   listed in KNOWN_DROPPED_BY_PYTHON), that the values mean the shared scenario below, and
   that ServerClient.get_session()/get_user() return the Rust-sealed session.

Prints one PASS/FAIL line per check and a summary; exits 1 if any check failed.
The secrets below are test-only values, used nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import sys
import warnings
from importlib import metadata as pkg_metadata
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

# authlib announces a deprecation of its httpx integration on import (and forces that
# warning on with its own filter); record it instead of printing it, it is noise here.
with warnings.catch_warnings(record=True):
    from auth0_server_python.auth_server.server_client import ServerClient
    from auth0_server_python.auth_types import (
        InternalStateData,
        StartInteractiveLoginOptions,
        StateData,
        TokenSet,
        TransactionData,
        UserClaims,
    )
    from auth0_server_python.store.abstract import StateStore, TransactionStore

PINNED_VERSION = "1.0.0b20"

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON_FIXTURE = FIXTURES / "python_sealed.json"
RUST_FIXTURE = FIXTURES / "rust_sealed.json"

# Test-only secrets (at least 32 bytes). Never use them for anything real.
SECRET = "interop-fixture-secret-0123456789abcdef-test-only"
FOREIGN_SECRET = "another-app-secret-that-must-not-open-these-0000"

SESSION_ID = "_a0_session"
TX_ID = "_a0_tx"

# --- The shared scenario. The Rust test builds the same values; keep both in step. ----------

DOMAIN = "tenant.example.test"
ISSUER = "https://tenant.example.test/"
CLIENT_ID = "interop-client-id"
CREATED_AT = 1767225600  # 2026-01-01T00:00:00Z
# The upstream ceiling (session_expiry claim). Far enough ahead that ServerClient.get_session
# does not treat the fixture session as expired (it enforces this ceiling on every read).
SESSION_EXPIRY = 2082758400  # 2036-01-01T00:00:00Z
SID = "Xq3vL8bKpT2mN9rW4yZ7cA1dF6hJ0sEu"
SUB = "auth0|65d4f3e2a1b2c3d4e5f6a7b8"

# 15 claims, as the Python SDK keeps them from a verified ID token (it stores all claims).
USER_CLAIMS: dict[str, Any] = {
    "sub": SUB,
    "name": "José Müller-Łukasz",
    "nickname": "jose.mueller",
    "given_name": "José",
    "family_name": "Müller-Łukasz",
    "picture": "https://cdn.example.test/avatars/jm.png?s=480&r=pg",
    "email": "jose.mueller@example.test",
    "email_verified": True,
    "org_id": "org_9aB3cD4eF5gH6iJ7",
    "org_name": "acme-gmbh",
    "locale": "de-DE",
    "updated_at": "2025-12-31T23:59:58.123Z",
    "iss": ISSUER,
    "sid": SID,
    "session_expiry": SESSION_EXPIRY,
}

# An opaque, JWT-shaped value: sealing treats it as a string, nothing verifies it.
ID_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImludGVyb3AtZml4dHVyZSJ9."
    "eyJpc3MiOiJodHRwczovL3RlbmFudC5leGFtcGxlLnRlc3QvIiwic3ViIjoiYXV0aDB8NjVkNGYzZTJhMWIyYzNkNGU1"
    "ZjZhN2I4IiwiYXVkIjoiaW50ZXJvcC1jbGllbnQtaWQiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzI2MTYwMCwi"
    "c2lkIjoiWHEzdkw4YktwVDJtTjlyVzR5WjdjQTFkRjZoSjBzRXUifQ."
    "dW5zaWduZWQtaW50ZXJvcC1maXh0dXJl"
)
REFRESH_TOKEN = "v1.MRrT8qZ3-interop-refresh-token-Lw9pXc2bN7vKd4Hf0sJgYt6"

TOKEN_SETS: list[dict[str, Any]] = [
    {
        "audience": "default",
        "access_token": "at-default-7Hk2Lm9Qp4Rs1Tv8Wx3Yz6Ab0Cd5Ef",
        "scope": "openid profile email offline_access",
        "expires_at": CREATED_AT + 86400,
    },
    {
        "audience": "https://api.example.test/",
        "access_token": "at-api-3Gh8Jk1Lm6Np0Qr5St9Uv2Wx7Yz4Ab",
        "scope": "read:orders write:orders",
        "expires_at": CREATED_AT + 3600,
    },
]

TX_STATE = "st-4fQ9xK2mLp7Rw1Zc8Vb3Nj6Ht0Yd5Gs"
TX_NONCE = "nc-8Lm2Pq5Rt9Vw3Xy7Za1Bc4De6Fg0Hj"
TX_CODE_VERIFIER = "cv-Tn3Kq8Wm1Rz6Xp4Lb9Vc2Hd7Js0Gf5Yk-AaBbCcDdEeFfGgHhIi"
REDIRECT_URI = "https://app.example.test/auth/callback"
TX_AUDIENCE = "https://api.example.test/"
TX_ORGANIZATION = "org_9aB3cD4eF5gH6iJ7"
TX_APP_STATE = {"returnTo": "/orders?page=2", "tab": "überblick", "n": [1, 2.5, None, True]}
TX_MAX_AGE = 3600

# Members of a Rust-sealed record that Python's models do not keep, and why.
KNOWN_DROPPED_BY_PYTHON = {
    # Rust's rolling-expiry timestamp. InternalStateData ignores unknown members, so a
    # session Python re-validates loses it; Rust then counts inactivity from created_at.
    "session": {"internal.updated_at"},
    "transaction": set(),
}


# --- Stores: the package's own base classes, kept in memory. ---------------------------------


class MemoryStateStore(StateStore):
    """Seals on set like the package's stateless cookie store does, but keeps the sealed
    values in a dict instead of Set-Cookie headers."""

    def __init__(self, secret: str):
        super().__init__({"secret": secret})
        self.sealed: dict[str, str] = {}
        self.plaintext: dict[str, dict[str, Any]] = {}

    async def set(self, identifier, state, remove_if_expires=False, options=None):
        plain = state.model_dump() if hasattr(state, "model_dump") else state
        self.plaintext[identifier] = plain
        self.sealed[identifier] = self.encrypt(identifier, plain)

    async def get(self, identifier, options=None):
        sealed = self.sealed.get(identifier)
        if sealed is None:
            return None
        try:
            return self.decrypt(identifier, sealed)
        except Exception:
            return None

    async def delete(self, identifier, options=None):
        self.sealed.pop(identifier, None)


class MemoryTransactionStore(TransactionStore):
    """Like the package's cookie transaction store: seals `model_dump()` and parses
    TransactionData on get."""

    def __init__(self, secret: str):
        super().__init__({"secret": secret})
        self.sealed: dict[str, str] = {}
        self.plaintext: dict[str, dict[str, Any]] = {}

    async def set(self, identifier, value, remove_if_expires=False, options=None):
        plain = value.model_dump()
        self.plaintext[identifier] = plain
        self.sealed[identifier] = self.encrypt(identifier, plain)

    async def get(self, identifier, options=None):
        sealed = self.sealed.get(identifier)
        if sealed is None:
            return None
        try:
            return TransactionData.model_validate(self.decrypt(identifier, sealed))
        except Exception:
            return None

    async def delete(self, identifier, options=None):
        self.sealed.pop(identifier, None)


class OfflineServerClient(ServerClient):
    """The package's ServerClient with discovery answered locally instead of over HTTPS."""

    async def _get_oidc_metadata_cached(self, domain):
        base = "https://" + domain.removeprefix("https://").rstrip("/")
        return {
            "issuer": base + "/",
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/oauth/token",
            "jwks_uri": base + "/.well-known/jwks.json",
        }


def make_client(secret: str, state_store=None, tx_store=None) -> OfflineServerClient:
    return OfflineServerClient(
        domain=DOMAIN,
        client_id=CLIENT_ID,
        client_secret="interop-client-secret",
        secret=secret,
        transaction_store=tx_store or MemoryTransactionStore(secret),
        state_store=state_store or MemoryStateStore(secret),
        redirect_uri=REDIRECT_URI,
    )


# --- Records written by Python. ---------------------------------------------------------------


def python_session() -> StateData:
    return StateData(
        user=UserClaims(**USER_CLAIMS),
        id_token=ID_TOKEN,
        refresh_token=REFRESH_TOKEN,
        token_sets=[TokenSet(**t) for t in TOKEN_SETS],
        domain=DOMAIN,
        internal=InternalStateData(
            sid=SID, created_at=CREATED_AT, session_expires_at=SESSION_EXPIRY
        ),
    )


def python_transaction() -> TransactionData:
    # The members start_interactive_login sets, plus the ones the Rust SDK requires (state,
    # nonce, created_at; max_age when sent), which TransactionData keeps as extra members.
    # `domain` is the issuer URL: Rust checks it against the issuer exactly, Python normalizes.
    return TransactionData(
        code_verifier=TX_CODE_VERIFIER,
        app_state=TX_APP_STATE,
        audience=TX_AUDIENCE,
        redirect_uri=REDIRECT_URI,
        domain=ISSUER,
        organization=TX_ORGANIZATION,
        state=TX_STATE,
        nonce=TX_NONCE,
        created_at=CREATED_AT,
        max_age=TX_MAX_AGE,
    )


async def seal_with_store(store, identifier: str, record) -> dict[str, Any]:
    await store.set(identifier, record)
    plain = store.plaintext[identifier]
    return {
        "identifier": identifier,
        "model": type(record).__name__,
        "plaintext": plain,
        # Exactly the text the package's encrypt() serializes (json.dumps defaults).
        "payload": json.dumps(plain),
        "sealed": store.sealed[identifier],
    }


async def login_transaction() -> dict[str, Any]:
    """Runs the package's real start_interactive_login and returns what it stored."""
    tx_store = MemoryTransactionStore(SECRET)
    client = make_client(SECRET, tx_store=tx_store)
    url = await client.start_interactive_login(
        StartInteractiveLoginOptions(app_state={"returnTo": "/orders"})
    )
    state = parse_qs(urlparse(url).query)["state"][0]
    (identifier,) = tx_store.sealed.keys()
    plain = tx_store.plaintext[identifier]
    return {
        "identifier": identifier,
        "model": "TransactionData",
        "state": state,
        "plaintext": plain,
        "payload": json.dumps(plain),
        "sealed": tx_store.sealed[identifier],
    }


def open_with_package(sealed: str, secret: str, identifier: str) -> Optional[dict[str, Any]]:
    store = MemoryStateStore(secret)
    try:
        return store.decrypt(identifier, sealed)
    except Exception:
        return None


def same_login_record(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Two captured login records match when they differ only in their random values."""
    if not old.get("identifier", "").startswith(TX_ID + ":"):
        return False
    if open_with_package(old["sealed"], SECRET, old["identifier"]) != old["plaintext"]:
        return False
    if old["identifier"] != f"{TX_ID}:{old.get('state')}":
        return False
    strip = lambda p: {k: v for k, v in p.items() if k != "code_verifier"}  # noqa: E731
    return set(old["plaintext"]) == set(new["plaintext"]) and strip(old["plaintext"]) == strip(
        new["plaintext"]
    )


async def build_python_fixture(previous: Optional[dict[str, Any]]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    store = MemoryStateStore(SECRET)
    records["session"] = await seal_with_store(store, SESSION_ID, python_session())
    records["transaction"] = await seal_with_store(
        MemoryTransactionStore(SECRET), TX_ID, python_transaction()
    )
    records["transaction_from_login"] = await login_transaction()
    foreign = await seal_with_store(MemoryStateStore(FOREIGN_SECRET), SESSION_ID, python_session())
    foreign["note"] = "sealed with another secret: must not open with `secret`"
    records["session_foreign_secret"] = foreign

    # Keep previously sealed values that still open to the same plaintext (no churn).
    if previous and previous.get("secret") == SECRET:
        for name, new in records.items():
            old = previous.get("records", {}).get(name)
            if not old:
                continue
            if name == "transaction_from_login":
                if same_login_record(old, new):
                    records[name] = old
                continue
            secret = FOREIGN_SECRET if name == "session_foreign_secret" else SECRET
            if (
                old.get("identifier") == new["identifier"]
                and old.get("payload") == new["payload"]
                and open_with_package(old["sealed"], secret, old["identifier"]) == new["plaintext"]
            ):
                new["sealed"] = old["sealed"]

    return {
        "about": "Sealed by the auth0-server-python package; written by interop/generate.py.",
        "generator": package_versions(),
        "secret": SECRET,
        "records": records,
    }


def package_versions() -> dict[str, str]:
    names = ["auth0-server-python", "jwcrypto", "cryptography", "pydantic"]
    return {name: pkg_metadata.version(name) for name in names}


# --- Checks. ----------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.passed = 0
        self.failed: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS  {what}")
        else:
            self.failed.append(what)
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


def leaf_paths(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flattens nested objects to dotted paths (lists are compared whole)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(leaf_paths(inner, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def normalize_domain(value: str) -> str:
    # The same comparison the package's ServerClient._normalize_url performs.
    return make_client(SECRET)._normalize_url(value)


def verify_rust_session(report: Report, rec: dict[str, Any], secret: str) -> None:
    what = "rust session"
    opened = open_with_package(rec["sealed"], secret, rec["identifier"])
    if not report.check(opened is not None, f"{what}: package decrypts it (salt {rec['identifier']})"):
        return
    report.check(opened == rec["plaintext"], f"{what}: decrypts to the plaintext Rust recorded")
    try:
        model = StateData.model_validate(opened)
    except Exception as err:  # pydantic.ValidationError
        report.check(False, f"{what}: StateData parses it", str(err))
        return
    report.check(True, f"{what}: StateData parses it")

    dumped = leaf_paths(model.model_dump())
    lost = {
        path
        for path, value in leaf_paths(opened).items()
        if path not in dumped or dumped[path] != value
    }
    unexpected = lost - KNOWN_DROPPED_BY_PYTHON["session"]
    report.check(
        not unexpected,
        f"{what}: no member lost by the model (known: {sorted(KNOWN_DROPPED_BY_PYTHON['session'])})",
        f"lost {sorted(unexpected)}",
    )

    report.check(opened.get("user") == USER_CLAIMS, f"{what}: user claims are the scenario's")
    report.check(model.user is not None and model.user.org_id == USER_CLAIMS["org_id"]
                 and model.user.org_name == USER_CLAIMS["org_name"],
                 f"{what}: UserClaims sees org_id/org_name")
    report.check(
        model.id_token == ID_TOKEN and model.refresh_token == REFRESH_TOKEN,
        f"{what}: id_token and refresh_token",
    )
    report.check(
        [t.model_dump() for t in model.token_sets] == TOKEN_SETS,
        f"{what}: token_sets (audience, access_token, scope, expires_at)",
    )
    report.check(
        model.domain is not None and normalize_domain(model.domain) == normalize_domain(DOMAIN),
        f"{what}: domain {model.domain!r} normalizes to the scenario's",
    )
    internal = model.internal
    report.check(
        internal.sid == SID and internal.created_at == CREATED_AT,
        f"{what}: internal.sid and internal.created_at",
    )
    report.check(
        internal.session_expires_at == SESSION_EXPIRY,
        f"{what}: internal.session_expires_at is the ceiling Python enforces",
        f"got {internal.session_expires_at!r}, internal members {sorted(opened.get('internal', {}))}",
    )

    # The package's own read path: ServerClient with a state store holding the Rust value.
    async def read():
        store = MemoryStateStore(secret)
        store.sealed[SESSION_ID] = rec["sealed"]
        client = make_client(secret, state_store=store)
        return await client.get_session(), await client.get_user()

    session, user = asyncio.run(read())
    report.check(
        session is not None and session.get("user", {}).get("sub") == SUB and "internal" not in session,
        f"{what}: ServerClient.get_session() returns it",
    )
    report.check(user == USER_CLAIMS, f"{what}: ServerClient.get_user() returns the claims")

    tampered = tamper_ciphertext(rec["sealed"])
    report.check(
        open_with_package(tampered, secret, rec["identifier"]) is None,
        f"{what}: a tampered copy does not decrypt",
    )
    report.check(
        open_with_package(rec["sealed"], secret, TX_ID) is None,
        f"{what}: does not decrypt with the transaction salt",
    )


def verify_rust_transaction(report: Report, rec: dict[str, Any], secret: str) -> None:
    what = "rust transaction"
    opened = open_with_package(rec["sealed"], secret, rec["identifier"])
    if not report.check(opened is not None, f"{what}: package decrypts it (salt {rec['identifier']})"):
        return
    report.check(opened == rec["plaintext"], f"{what}: decrypts to the plaintext Rust recorded")
    try:
        model = TransactionData.model_validate(opened)
    except Exception as err:
        report.check(False, f"{what}: TransactionData parses it", str(err))
        return
    report.check(True, f"{what}: TransactionData parses it")
    dumped = leaf_paths(model.model_dump())
    lost = {p for p, v in leaf_paths(opened).items() if p not in dumped or dumped[p] != v}
    report.check(not lost, f"{what}: no member lost by the model", f"lost {sorted(lost)}")
    report.check(
        model.code_verifier == TX_CODE_VERIFIER
        and model.redirect_uri == REDIRECT_URI
        and model.audience == TX_AUDIENCE
        and model.organization == TX_ORGANIZATION
        and model.app_state == TX_APP_STATE,
        f"{what}: code_verifier, redirect_uri, audience, organization, app_state",
    )
    report.check(
        model.domain is not None and normalize_domain(model.domain) == normalize_domain(DOMAIN),
        f"{what}: domain {model.domain!r} normalizes to the scenario's",
    )
    extra = model.model_extra or {}
    report.check(
        extra.get("state") == TX_STATE
        and extra.get("nonce") == TX_NONCE
        and extra.get("created_at") == CREATED_AT
        and extra.get("max_age") == TX_MAX_AGE,
        f"{what}: Rust-only members kept as extras (state, nonce, created_at, max_age)",
        f"extras {extra}",
    )

    async def read():
        store = MemoryTransactionStore(secret)
        store.sealed[rec["identifier"]] = rec["sealed"]
        return await store.get(rec["identifier"])

    report.check(
        isinstance(asyncio.run(read()), TransactionData),
        f"{what}: a package TransactionStore get() returns it",
    )


def tamper_ciphertext(sealed: str) -> str:
    """Changes one character in the middle of the ciphertext segment."""
    parts = sealed.split(".")
    body = parts[3]
    i = len(body) // 2
    parts[3] = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
    return ".".join(parts)


def verify_rust_fixture(report: Report) -> None:
    if not report.check(
        RUST_FIXTURE.exists(),
        f"{RUST_FIXTURE.relative_to(FIXTURES.parent.parent)} exists",
        "run: AUTH0_WRITE_FIXTURES=1 cargo test -p auth0-core --test python_interop",
    ):
        return
    doc = json.loads(RUST_FIXTURE.read_text(encoding="utf-8"))
    secret = doc["secret"]
    report.check(secret == SECRET, "rust fixture uses the scenario's secret")
    records = doc.get("records", {})
    for name, verify in (("session", verify_rust_session), ("transaction", verify_rust_transaction)):
        rec = records.get(name)
        if report.check(rec is not None, f"rust fixture has a {name!r} record"):
            verify(report, rec, secret)


def verify_python_fixture(report: Report, doc: dict[str, Any]) -> None:
    """The Python fixture (new or committed) opens with the package and means the scenario."""
    expected = {
        "session": python_session().model_dump(),
        "transaction": python_transaction().model_dump(),
    }
    for name, rec in doc["records"].items():
        secret = FOREIGN_SECRET if name == "session_foreign_secret" else SECRET
        opened = open_with_package(rec["sealed"], secret, rec["identifier"])
        report.check(
            opened is not None and opened == rec["plaintext"] and json.dumps(opened) == rec["payload"],
            f"python {name}: package reopens its sealed value (salt {rec['identifier']})",
        )
        if name in expected:
            report.check(rec["plaintext"] == expected[name], f"python {name}: plaintext is the scenario's")
    login = doc["records"].get("transaction_from_login")
    if login:
        report.check(
            login["identifier"] == f"{TX_ID}:{login['state']}",
            "python transaction_from_login: salted with '_a0_tx:<state>' (the store key)",
        )
        report.check(
            open_with_package(login["sealed"], SECRET, TX_ID) is None,
            "python transaction_from_login: does not open with the bare '_a0_tx' salt",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing, only verify")
    args = parser.parse_args()

    version = pkg_metadata.version("auth0-server-python")
    if version != PINNED_VERSION:
        print(
            f"auth0-server-python {version} is installed; these fixtures are pinned to "
            f"{PINNED_VERSION}. Install it (see interop/README.md) or update PINNED_VERSION "
            "and the README together.",
            file=sys.stderr,
        )
        return 2
    print(f"auth0-server-python {version}")

    report = Report()
    previous = (
        json.loads(PYTHON_FIXTURE.read_text(encoding="utf-8")) if PYTHON_FIXTURE.exists() else None
    )
    if args.check:
        if report.check(previous is not None, "python fixture exists"):
            verify_python_fixture(report, previous)
    else:
        doc = asyncio.run(build_python_fixture(copy.deepcopy(previous)))
        verify_python_fixture(report, doc)
        FIXTURES.mkdir(parents=True, exist_ok=True)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if previous is None or PYTHON_FIXTURE.read_text(encoding="utf-8") != text:
            PYTHON_FIXTURE.write_text(text, encoding="utf-8")
            print(f"wrote {PYTHON_FIXTURE}")
        else:
            print(f"{PYTHON_FIXTURE} unchanged")

    verify_rust_fixture(report)

    total = report.passed + len(report.failed)
    if report.failed:
        print(f"\nFAILED: {len(report.failed)} of {total} checks")
        for what in report.failed:
            print(f"  - {what}")
        return 1
    print(f"\nOK: all {total} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
