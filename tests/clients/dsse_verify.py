#!/usr/bin/python3
"""An evidence bundle checked with Debian's python3-cryptography, written from the bundle's README alone (no KpNode code).

usage: dsse_verify.py BUNDLE_DIR

Checks the SHA-256 of every file manifest.json lists (and that no file is left out of it), then for every *.dsse.json
rebuilds the DSSE pre-authentication encoding ("DSSEv1" SP LEN(type) SP type SP LEN(body) SP body) and verifies each
signature (DER ECDSA P-256 / SHA-256) with the public key of the signature's x5c[0], whose SHA-256 must be its keyid.
Chains and revocation are openssl's part. Prints one line per file, "OK path" or "FAILED path: why", and exits 1 when
any file fails (2 when the bundle cannot be read at all).
"""
import base64
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def pae(payload_type: bytes, body: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(body), body)


def check_manifest(bundle: str) -> list:
    with open(os.path.join(bundle, "manifest.json"), "rb") as f:
        manifest = json.load(f)
    results = []
    listed = set()
    for entry in manifest["files"]:
        path = entry["path"]
        listed.add(path)
        full = os.path.join(bundle, path)
        if not os.path.isfile(full):
            results.append((path, "listed in manifest.json but missing"))
            continue
        with open(full, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        results.append((path, None if actual == entry["sha256"] else f"sha256 {actual}, manifest.json says {entry['sha256']}"))
    for directory, _, files in os.walk(bundle):
        for name in files:
            path = os.path.relpath(os.path.join(directory, name), bundle).replace(os.sep, "/")
            if path != "manifest.json" and path not in listed:
                results.append((path, "not listed in manifest.json"))
    return results


def check_envelope(full: str) -> str:
    """None when every signature verifies, else why not."""
    with open(full, "rb") as f:
        envelope = json.load(f)
    payload_type = envelope["payloadType"].encode("utf-8")
    body = base64.b64decode(envelope["payload"], validate=True)
    signatures = envelope["signatures"]
    if not signatures:
        return "no signatures"
    message = pae(payload_type, body)
    for i, signature in enumerate(signatures):
        der = base64.b64decode(signature["x5c"][0], validate=True)
        if hashlib.sha256(der).hexdigest() != signature["keyid"]:
            return f"signature {i}: keyid is not the SHA-256 of x5c[0]"
        key = x509.load_der_x509_certificate(der).public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            return f"signature {i}: x5c[0] does not hold a P-256 key"
        try:
            key.verify(base64.b64decode(signature["sig"], validate=True), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return f"signature {i}: does not verify over PAE with the key of x5c[0]"
    return None


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    bundle = argv[1]
    try:
        results = dict(check_manifest(bundle))
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"FAILED manifest.json: {e!r}")
        return 2
    for path in sorted(results):
        if path.endswith(".dsse.json") and results[path] is None:
            try:
                results[path] = check_envelope(os.path.join(bundle, path))
            except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
                results[path] = f"not a readable DSSE envelope ({e!r})"
    failed = 0
    for path in sorted(results):
        if results[path] is None:
            print(f"OK {path}")
        else:
            failed += 1
            print(f"FAILED {path}: {results[path]}")
    print(f"{len(results) - failed} of {len(results)} files verify")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
