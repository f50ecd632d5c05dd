"""Key pairs for local accounts and for the instance, made the first time they are needed.

Making an RSA key takes tens of milliseconds, so sign-up does not pay for it; the first
delivery, or the first server to ask for the actor, does.
"""

from django.db import IntegrityError, transaction

from . import uris
from .models import Actor, InstanceKey
from .signatures import generate_key_pair


def local_actor(account):
    """The Actor row of a local account, with its keys; created on first use."""
    actor = Actor.objects.filter(account_id=account.pk).first()
    if actor is not None and actor.private_key_pem:
        return actor
    private_pem, public_pem = generate_key_pair()
    try:
        with transaction.atomic():
            actor, created = Actor.objects.get_or_create(
                account_id=account.pk, defaults={"private_key_pem": private_pem, "public_key_pem": public_pem}
            )
            if not created and not actor.private_key_pem:
                actor.private_key_pem, actor.public_key_pem = private_pem, public_pem
                actor.save(update_fields=["private_key_pem", "public_key_pem"])
    except IntegrityError:
        # Another process made it first; use theirs.
        actor = Actor.objects.get(account_id=account.pk)
    return actor


def signer_for(account):
    """(key id, private PEM) to sign requests made on behalf of a local account."""
    return uris.key_id(account), local_actor(account).private_key_pem


def instance_key():
    key = InstanceKey.objects.order_by("pk").first()
    if key is None:
        private_pem, public_pem = generate_key_pair()
        with transaction.atomic():
            key = InstanceKey.objects.select_for_update().order_by("pk").first() or InstanceKey.objects.create(
                public_key_pem=public_pem, private_key_pem=private_pem
            )
    return key


def instance_signer():
    """(key id, private PEM) of the instance actor, for fetches nobody in particular asked for."""
    return uris.instance_actor() + "#main-key", instance_key().private_key_pem
