"""Small command-line helper that runs inside the bovine venv (.venv-bovine).

``peer.py`` must stay stdlib + httpx, but creating a bovine actor needs
bovine_store and acting as it needs Ed25519 signatures, so peer.py shells out
to this script. Every command prints one JSON object on stdout.

    python bovine_cli.py register --db sqlite:///abs/bovine.sqlite3 \\
        --domain http://127.0.0.1:8123 --handle alice
    python bovine_cli.py sign --secret z3u2... --method POST \\
        --url http://127.0.0.1:8123/endpoints/... --body-file - < body.json

``register`` uses bovine_store's own admin API (the same calls as
``python -m bovine_store register`` and ``python -m bovine_store key --new``):
it creates the actor with an RSA "serverKey" for server-to-server HTTP
signatures, and attaches an Ed25519 did:key so that a client holding the
secret can use bovine's client-to-server auth, Moo-Auth-1. Run it with the
working directory set to the peer's data dir: importing bovine creates
``bovine_jsonld_cache.sqlite`` in the current directory.

``sign`` builds the Moo-Auth-1 headers for one request. It only imports
``cryptography`` (importing bovine costs more than a second) and mirrors
``bovine.clients.moo_auth.MooAuthClient``: it signs the lines
``(request-target)``, ``host``, ``date`` and, for POST, ``digest`` with the
Ed25519 key. bovine-herd checks the request target against the path without
the query string, so the query is left out here too.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import sys
from email.utils import formatdate
from urllib.parse import urlparse

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PRIVATE_PREFIX = b"\x80\x26"  # multicodec ed25519-priv (0x1300) as varint
ED25519_PUBLIC_PREFIX = b"\xed\x01"  # multicodec ed25519-pub (0xed) as varint


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + B58_ALPHABET.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + raw


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = B58_ALPHABET[rem] + out
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + out


def moo_auth_headers(secret: str, method: str, url: str, body: bytes | None):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if not secret.startswith("z"):
        raise ValueError("expected a multibase (z...) encoded Ed25519 secret")
    decoded = b58decode(secret[1:])
    if not decoded.startswith(ED25519_PRIVATE_PREFIX):
        raise ValueError("secret is not a multicodec Ed25519 private key")
    private_key = ed25519.Ed25519PrivateKey.from_private_bytes(decoded[2:])
    public_raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    did_key = "did:key:z" + b58encode(ED25519_PUBLIC_PREFIX + public_raw)

    parsed = urlparse(url)
    method = method.lower()
    date = formatdate(usegmt=True)
    fields = [
        ("(request-target)", f"{method} {parsed.path}"),
        ("host", parsed.netloc),
        ("date", date),
    ]
    headers = {"host": parsed.netloc, "date": date}
    if method == "post":
        digest = "sha-256=" + base64.standard_b64encode(
            hashlib.sha256(body or b"").digest()
        ).decode()
        fields.append(("digest", digest))
        headers["digest"] = digest
    message = "\n".join(f"{name}: {value}" for name, value in fields).encode()
    signature = "z" + b58encode(private_key.sign(message))
    headers["authorization"] = f"Moo-Auth-1 {did_key}"
    headers["x-moo-signature"] = signature
    return headers


async def register(db_url: str, domain: str, handle: str) -> dict:
    from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key
    from bovine.types import Visibility
    from bovine_store import bovine_admin_store
    from tortoise import Tortoise

    async with bovine_admin_store(db_url=db_url, domain=domain) as store:
        await Tortoise.generate_schemas(safe=True)
        bovine_name = await store.register(handle)
        secret = generate_ed25519_private_key()
        did_key = private_key_to_did_key(secret)
        await store.add_identity_string_to_actor(
            bovine_name, did_key.removeprefix("did:key:"), did_key
        )
        actor = await store.actor_for_name(bovine_name)
        if actor.session is not None:
            await actor.session.close()
        profile = actor.actor_object.build(visibility=Visibility.OWNER)

    return {
        "handle": handle,
        "bovine_name": bovine_name,
        "actor_id": profile["id"],
        "inbox": profile["inbox"],
        "outbox": profile["outbox"],
        "followers": profile["followers"],
        "following": profile["following"],
        "proxy_url": profile["endpoints"]["proxyUrl"],
        "key_id": profile["publicKey"]["id"],
        "acct": f"acct:{handle}@{urlparse(profile['id']).netloc}",
        "did_key": did_key,
        "secret": secret,
    }


def main(argv=None):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)

    reg = sub.add_parser("register")
    reg.add_argument("--db", required=True)
    reg.add_argument("--domain", required=True, help="e.g. http://127.0.0.1:8123")
    reg.add_argument("--handle", required=True)

    sign = sub.add_parser("sign")
    sign.add_argument("--secret", required=True)
    sign.add_argument("--method", required=True)
    sign.add_argument("--url", required=True)
    sign.add_argument("--body-file", default=None, help="file with the body, - for stdin")

    args = parser.parse_args(argv)
    if args.command == "register":
        result = asyncio.run(register(args.db, args.domain, args.handle))
    else:
        body = None
        if args.body_file == "-":
            body = sys.stdin.buffer.read()
        elif args.body_file:
            with open(args.body_file, "rb") as fp:
                body = fp.read()
        result = moo_auth_headers(args.secret, args.method, args.url, body)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
