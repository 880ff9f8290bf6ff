#!/usr/bin/python3
"""One call on a node's JSON/HTTP Local API with Python's standard library only (urllib, ssl): HTTP/1.1 over
mutual TLS, as a national system without gRPC would make it.

usage: json_api.py METHOD URL ROOT_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM [BODY_JSON_FILE]

Prints the HTTP status on the first line and the response body after it; exits 0 when the node answered at all
(whatever the status), 2 when no HTTP answer came (the TLS handshake was refused, the connection failed).
"""
import ssl
import sys
import urllib.error
import urllib.request


def main(argv: list) -> int:
    if len(argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 64
    method, url, root, cert, key = argv[1:6]
    body = None
    if len(argv) == 7:
        with open(argv[6], "rb") as f:
            body = f.read()
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=root)
    context.load_cert_chain(certfile=cert, keyfile=key)
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            status, text = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8")
    except (urllib.error.URLError, ssl.SSLError, ConnectionError) as e:
        print(f"no answer: {e}")
        return 2
    print(status)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
