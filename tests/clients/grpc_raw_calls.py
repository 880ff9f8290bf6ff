#!/usr/bin/python3
"""Unary gRPC calls with raw request bytes over mutual TLS with Debian's python3-grpcio: a gRPC stack that is not ours.

usage: grpc_raw_calls.py HOST:PORT ROOT_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM CALLS_FILE

CALLS_FILE has one call a line: "/package.Service/Method HEX" (HEX the request bytes, "-" for none). The bytes are sent
as they are (identity serializers), so malformed messages reach the server unchanged. Prints one line a call:
"OK <response length>" or "<STATUS CODE NAME> <details on one line>". Exits 0 when every call got an answer.
"""
import sys

import grpc


def main(argv: list) -> int:
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 64
    target, root, cert, key, calls = argv[1:6]
    with open(calls, "r", encoding="ascii") as f:
        lines = f.read().splitlines()
    with open(root, "rb") as f:
        root_pem = f.read()
    with open(cert, "rb") as f:
        cert_pem = f.read()
    with open(key, "rb") as f:
        key_pem = f.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=root_pem, private_key=key_pem, certificate_chain=cert_pem)
    options = [("grpc.max_send_message_length", 64 * 1024 * 1024), ("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    with grpc.secure_channel(target, credentials, options=options) as channel:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            method, payload = line.split(" ", 1)
            data = b"" if payload == "-" else bytes.fromhex(payload)
            call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            try:
                response = call(data, timeout=30)
                print(f"OK {len(response)}", flush=True)
            except grpc.RpcError as e:
                details = (e.details() or "").replace("\n", " ").replace("\r", " ")
                print(f"{e.code().name} {details}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
