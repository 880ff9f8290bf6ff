#!/usr/bin/python3
"""Follows a node's event stream over JSON/HTTP with Python's standard library only (urllib, ssl), over mutual TLS:
GET URL answers one JSON object per line, each as it happens.

usage: json_events.py URL ROOT_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM COUNT

Prints the first COUNT event objects, one per line, then hangs up and exits 0; on an HTTP error prints its status and
body and exits 1; exits 2 when no HTTP answer came.
"""
import json
import ssl
import sys
import urllib.error
import urllib.request


def main(argv: list) -> int:
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 64
    url, root, cert, key, count = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=root)
    context.load_cert_chain(certfile=cert, keyfile=key)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as response:
            seen = 0
            while seen < count:
                line = response.readline()
                if not line:
                    print(f"the stream ended after {seen} events", file=sys.stderr)
                    return 1
                if line.strip():
                    print(json.dumps(json.loads(line)), flush=True)
                    seen += 1
    except urllib.error.HTTPError as e:
        print(e.code)
        print(e.read().decode("utf-8"))
        return 1
    except (urllib.error.URLError, ssl.SSLError, ConnectionError) as e:
        print(f"no answer: {e}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
