"""`station keys new SERVICE` and `station events sign-legacy`: the operator's side of
event signing (shared.signing). Registered in station/cli.py."""
from __future__ import annotations

import json
import sys


def cmd_keys_new(args) -> int:
    """Print a fresh key pair for SERVICE as the environment lines production sets:
    the private one for that service's processes only, the public entry for everyone."""
    from shared import signing
    private = signing.new_private_line(args.service)
    signer = signing.parse_private(args.service, private)
    print(f"{signing.private_key_setting(args.service)}={private}")
    print(f"# add to {signing.PUBLIC_KEYS} on every service (keep the old entries):")
    print(f"{args.service}:{signer.public_line}")
    return 0


def cmd_sign_legacy(args) -> int:
    """Sign the events stored before signing existed, after checking their chains."""
    from shared import signing
    from station.cli import _stores
    result, failed = {}, False
    for name, store in _stores(args).items():
        try:
            result[name] = {"signed": signing.adopt_legacy(store, store.signer)}
        except ValueError as exc:
            failed, result[name] = True, {"error": str(exc)}
        print(f"{name}: {result[name]}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def seal_check(name: str, config):
    """The signature check `station events verify` runs over each stream of `name`."""
    import functools
    from shared import signing
    return functools.partial(signing.first_unsealed, name, signing.Keyring(config))
