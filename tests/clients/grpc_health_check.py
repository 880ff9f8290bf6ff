#!/usr/bin/python3
"""grpc.health.v1 Health/Check over mutual TLS with Debian's python3-grpcio: a gRPC stack that is not ours.

usage: grpc_health_check.py HOST:PORT ROOT_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM [SERVICE]

Prints the serving status (SERVING, NOT_SERVING, ...) and exits 0 only for SERVING; on an RPC
error prints "ERROR <code>: <details>" and exits 2. Messages are encoded by hand (two tiny protobuf
messages), so nothing but python3-grpcio is needed.
"""
import sys

import grpc

STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def encode_request(service: str) -> bytes:
    # HealthCheckRequest { string service = 1; }: field 1, wire type 2, then length and UTF-8 bytes.
    data = service.encode("utf-8")
    if not data:
        return b""
    if len(data) > 127:
        raise ValueError("service name too long for this one-byte length encoder")
    return b"\x0a" + bytes([len(data)]) + data


def decode_status(raw: bytes) -> int:
    # HealthCheckResponse { ServingStatus status = 1; }: field 1, wire type 0 (varint); absent means 0.
    if not raw:
        return 0
    if raw[0] != 0x08 or len(raw) < 2:
        raise ValueError(f"unexpected HealthCheckResponse bytes: {raw!r}")
    return raw[1]


def main(argv: list) -> int:
    if len(argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 64
    target, root, cert, key = argv[1:5]
    service = argv[5] if len(argv) == 6 else ""
    with open(root, "rb") as f:
        root_pem = f.read()
    with open(cert, "rb") as f:
        cert_pem = f.read()
    with open(key, "rb") as f:
        key_pem = f.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=root_pem, private_key=key_pem, certificate_chain=cert_pem)
    with grpc.secure_channel(target, credentials) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda s: encode_request(s),
            response_deserializer=lambda b: decode_status(b),
        )
        try:
            status = check(service, timeout=10)
        except grpc.RpcError as e:
            print(f"ERROR {e.code().name}: {e.details()}")
            return 2
    name = STATUS_NAMES.get(status, str(status))
    print(name)
    return 0 if name == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
