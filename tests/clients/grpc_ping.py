#!/usr/bin/python3
"""A partner's Ping with Debian's python3-grpcio over mutual TLS: what any partner's stack sees of a node's health.

usage: grpc_ping.py HOST:PORT ROOT_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM NONCE_HEX

Sends kp.v1.PingRequest {nonce} and prints the kp.v1.PingResponse bytes in hex (its signed answer is checked by the
caller), or "<STATUS CODE NAME> <details>" when the call fails. Exits 0 when the node answered OK.
"""
import sys

import grpc


def main(argv: list) -> int:
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 64
    target, root, cert, key, nonce_hex = argv[1:6]
    nonce = bytes.fromhex(nonce_hex)
    with open(root, "rb") as f:
        root_pem = f.read()
    with open(cert, "rb") as f:
        cert_pem = f.read()
    with open(key, "rb") as f:
        key_pem = f.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=root_pem, private_key=key_pem, certificate_chain=cert_pem)
    # PingRequest: field 1 (nonce), length-delimited.
    request = bytes([0x0A, len(nonce)]) + nonce
    with grpc.secure_channel(target, credentials) as channel:
        call = channel.unary_unary("/kp.v1.PeerExchangeService/Ping", request_serializer=lambda b: b, response_deserializer=lambda b: b)
        try:
            print(call(request, timeout=30).hex(), flush=True)
        except grpc.RpcError as e:
            print(f"{e.code().name} {(e.details() or '')}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
