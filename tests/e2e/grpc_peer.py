#!/usr/bin/python3
"""tests/e2e/grpc_peer.py — a real gRPC server and client (Debian's python3-grpcio, cleartext HTTP/2) for the
end-to-end tests. No protobuf: methods carry raw bytes.
  grpc_peer.py server LOG ADDR:PORT...      answers every method with its own name; appends "METHOD" per call
                                            that reached it to LOG
  grpc_peer.py client TARGET AUTHORITY METHOD...   calls the methods in order over ONE connection (one channel);
                                            prints "METHOD ok" or "METHOD CODE" per call; exit 0
Test code only: run with /usr/bin/python3 (the Debian interpreter that has grpc)."""
import sys
import threading
from concurrent import futures

import grpc


def server(log, addrs):
    lock = threading.Lock()

    class Any(grpc.GenericRpcHandler):
        def service(self, details):
            method = details.method

            def answer(request, context):
                with lock, open(log, "a") as f:
                    f.write(method + "\n")
                return method.encode()

            return grpc.unary_unary_rpc_method_handler(answer)

    s = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[Any()])
    for a in addrs:
        s.add_insecure_port(a)
    s.start()
    print("ready", flush=True)
    s.wait_for_termination()


def client(target, authority, methods):
    opts = [("grpc.default_authority", authority), ("grpc.enable_retries", 0)]
    with grpc.insecure_channel(target, options=opts) as ch:
        for m in methods:
            call = ch.unary_unary(m, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            try:
                reply = call(b"hi", timeout=3, wait_for_ready=False)
                print(m, "ok" if reply == m.encode() else "wrong-reply", flush=True)
            except grpc.RpcError as e:
                print(m, e.code().name, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3:])
    else:
        client(sys.argv[2], sys.argv[3], sys.argv[4:])
