#!/usr/bin/env python3
"""tests/kube/fake_apiserver.py — a Kubernetes API server stand-in for tests: HTTPS (cert from the test's own CA),
bearer-token auth, namespaced list (with paging) and chunked watch streams (ADDED/MODIFIED/DELETED/BOOKMARK,
ERROR 410 for a compacted resourceVersion) for the CRDs nfegress reads, in one namespace or in all of them
(/apis/GROUP/VERSION/PLURAL: node mode's policy), and the same for core v1 Pods of all
namespaces (/api/v1/pods) with `fieldSelector=spec.nodeName=NODE` (node mode's pod source), and GET of one core v1 Node
(/api/v1/nodes/NAME: `--deny-unknown node` reads its spec.podCIDRs). Records every request (method, path) so
tests can assert the client is read-only. Library (FakeApiServer) or standalone:
  fake_apiserver.py CERT KEY PORTFILE TOKEN OBJECTS.json   (serves the objects; SIGHUP re-reads OBJECTS.json
  and turns the difference into ADDED/MODIFIED/DELETED events; `kill` to stop; FAKE_API_LIST_DELAY=PLURAL=SECONDS
  delays every list of that resource)
Test code only."""
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVED = {  # (group, version, plural) -> kind
    ("policy.linkerd.io", "v1alpha1", "egressnetworks"): "EgressNetwork",
    ("gateway.networking.k8s.io", "v1", "httproutes"): "HTTPRoute",
    ("gateway.networking.k8s.io", "v1beta1", "httproutes"): "HTTPRoute",
    ("policy.linkerd.io", "v1beta3", "httproutes"): "HTTPRoute",
    ("policy.linkerd.io", "v1beta2", "httproutes"): "HTTPRoute",
    ("gateway.networking.k8s.io", "v1", "grpcroutes"): "GRPCRoute",
    ("gateway.networking.k8s.io", "v1alpha2", "tlsroutes"): "TLSRoute",
    ("gateway.networking.k8s.io", "v1alpha2", "tcproutes"): "TCPRoute",
}


def plural_of(obj):
    api = obj["apiVersion"]
    group = api.rsplit("/", 1)[0] if "/" in api else ""  # "v1": the core group
    return group, obj["kind"].lower() + "s"


def node_of(obj):
    spec = obj.get("spec") if isinstance(obj, dict) else None
    return spec.get("nodeName") if isinstance(spec, dict) else None


class State:
    def __init__(self, token):
        self.cv = threading.Condition()
        self.token = token
        self.served = dict(SERVED)
        self.rv = 100
        self.objects = {}  # (group, plural, ns, name) -> obj
        self.events = []  # (rv, group, plural, ns, type, obj)
        self.compacted = 0  # watches from a resourceVersion below this get ERROR 410
        self.requests = []  # (method, path?query, status)
        self.page_size = 2
        self.generation = 0  # bumped to drop every open watch
        self.list_fail = 0  # answer this many next lists with 503
        self.gone_as_status = False  # 410 as an HTTP status instead of an ERROR event
        self.list_delay = {}  # plural -> seconds each list of it waits before answering (a slow API server)
        self.request_log = None  # a file to print each request to
        self.log_lock = threading.Lock()

    def record(self, method, path, code):
        self.requests.append((method, path, code))
        if self.request_log:  # standalone: one line per request, so a test can wait for the watches
            with self.log_lock:
                self.request_log.write("%s %s %d\n" % (method, path, code))
                self.request_log.flush()

    def apply(self, obj, event=None):
        with self.cv:
            self.rv += 1
            obj = json.loads(json.dumps(obj))
            md = obj.setdefault("metadata", {})
            md.setdefault("namespace", "default")
            md["resourceVersion"] = str(self.rv)
            md.setdefault("creationTimestamp", "2024-01-01T00:00:00Z")
            md["managedFields"] = [{"manager": "kubectl"}]
            group, plural = plural_of(obj)
            key = (group, plural, md["namespace"], md["name"])
            typ = event or ("MODIFIED" if key in self.objects else "ADDED")
            self.objects[key] = obj
            self.events.append((self.rv, group, plural, md["namespace"], typ, obj))
            self.cv.notify_all()
            return self.rv

    def delete(self, group, plural, ns, name):
        with self.cv:
            self.rv += 1
            obj = self.objects.pop((group, plural, ns, name))
            obj = json.loads(json.dumps(obj))
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.events.append((self.rv, group, plural, ns, "DELETED", obj))
            self.cv.notify_all()

    def bookmark(self):
        with self.cv:
            self.rv += 1
            self.events.append((self.rv, None, None, None, "BOOKMARK", None))
            self.cv.notify_all()

    def compact(self):
        with self.cv:
            self.compacted = self.rv + 1
            self.cv.notify_all()

    def drop_watches(self):
        with self.cv:
            self.generation += 1
            self.cv.notify_all()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def status(self, code, reason, message):
        self.json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                         "reason": reason, "code": code})

    def json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.server.state.record(self.command, self.path, code)

    def do_POST(self):
        self.status(405, "MethodNotAllowed", "read-only fake")

    do_PUT = do_PATCH = do_DELETE = do_POST

    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if self.headers.get("Authorization") != "Bearer " + st.token:
            return self.status(401, "Unauthorized", "Unauthorized")
        parts = url.path.strip("/").split("/")
        if parts == ["api", "v1", "pods"]:
            return self.pods(q)
        if len(parts) == 4 and parts[:3] == ["api", "v1", "nodes"]:
            return self.node(parts[3])
        # apis/GROUP/VERSION/namespaces/NS/PLURAL, or apis/GROUP/VERSION/PLURAL (every namespace: node mode)
        if len(parts) == 6 and parts[0] == "apis" and parts[3] == "namespaces":
            _, group, version, _, ns, plural = parts
        elif len(parts) == 4 and parts[0] == "apis":
            (_, group, version, plural), ns = parts, None
        else:
            return self.status(404, "NotFound", "the server could not find the requested resource")
        kind = st.served.get((group, version, plural))
        if kind is None:
            return self.status(404, "NotFound", "the server could not find the requested resource")
        if st.list_delay.get(plural) and q.get("watch") not in ("true", "1"):
            time.sleep(st.list_delay[plural])
        self.collection(q, group + "/" + version, kind,
                        lambda g, p, n, obj: (g, p) == (group, plural) and ns in (None, n))

    def node(self, name):
        """GET of one core v1 Node (cluster-scoped: the objects file gives it without a namespace)."""
        st = self.server.state
        with st.cv:
            found = [o for (g, p, n, nm), o in st.objects.items() if (g, p, nm) == ("", "nodes", name)]
        if not found:
            return self.status(404, "NotFound", 'nodes "%s" not found' % name)
        self.json(200, found[0])

    def pods(self, q):
        """Pods of every namespace, all or (fieldSelector=spec.nodeName=NODE) those bound to one node."""
        sel = q.get("fieldSelector", "")
        if sel and not sel.startswith("spec.nodeName="):
            return self.status(400, "BadRequest", "field label not supported: " + sel)
        node = sel[len("spec.nodeName="):] if sel else None
        self.collection(q, "v1", "Pod",
                        lambda g, p, n, obj: (g, p) == ("", "pods") and (node is None or node_of(obj) == node))

    def collection(self, q, api_version, kind, match):
        """List or watch the objects `match(group, plural, ns, obj)` selects."""
        st = self.server.state
        if q.get("watch") in ("true", "1"):
            return self.watch(api_version, kind, match, int(q.get("resourceVersion") or 0))
        with st.cv:
            if st.list_fail > 0:
                st.list_fail -= 1
                return self.status(503, "ServiceUnavailable", "etcd is having a bad day")
            keys = sorted(k for k, o in st.objects.items() if match(*k[:3], o))
            start = int(q.get("continue") or 0)
            page = keys[start:start + st.page_size]
            nxt = str(start + st.page_size) if start + st.page_size < len(keys) else ""
            items = []
            for k in page:
                o = dict(st.objects[k])
                o["apiVersion"] = api_version
                items.append(o)
            body = {"apiVersion": api_version, "kind": kind + "List",
                    "metadata": {"resourceVersion": str(st.rv), "continue": nxt}, "items": items}
        self.json(200, body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, api_version, kind, match, since):
        st = self.server.state
        with st.cv:
            gone = since < st.compacted
            if gone and st.gone_as_status:
                return self.status(410, "Expired", "too old resource version: %d" % since)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        st.record(self.command, self.path, 200)
        if gone:
            ev = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                                              "reason": "Expired", "message": "too old resource version"}}
            self.chunk(json.dumps(ev).encode() + b"\n")
            self.chunk(b"")
            return
        sent = since
        with st.cv:
            gen = st.generation
        try:
            while True:
                with st.cv:
                    while (st.generation == gen and st.compacted <= sent and
                           not any(e[0] > sent for e in st.events)):
                        st.cv.wait(1)
                    if st.generation != gen:
                        self.connection.shutdown(socket.SHUT_RDWR)  # dropped without the final chunk
                        return
                    if st.compacted > sent:
                        ev = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired",
                                                          "message": "too old resource version"}}
                        self.chunk(json.dumps(ev).encode() + b"\n")
                        self.chunk(b"")
                        return
                    batch = [e for e in st.events if e[0] > sent]
                for rv, g, p, n, typ, obj in batch:
                    sent = rv
                    if typ == "BOOKMARK":
                        ev = {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                                                             "metadata": {"resourceVersion": str(rv)}}}
                    elif match(g, p, n, obj):
                        o = dict(obj)
                        o["apiVersion"] = api_version
                        ev = {"type": typ, "object": o}
                    else:
                        continue
                    self.chunk(json.dumps(ev).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            return


class FakeApiServer:
    def __init__(self, cert, key, token="t1", port=0):
        self.state = State(token)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = self.state
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        # Handshakes in the handler threads, not in accept() on the serving thread: a client opening a dozen watch
        # streams at once must not wait for them one after another.
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.state.drop_watches()
        self.httpd.shutdown()
        self.httpd.server_close()


def sync_from_file(state, path):
    """Makes the server's objects what the file lists (events for every difference)."""
    with open(path) as f:
        want = {}
        for obj in json.load(f):
            group, plural = plural_of(obj)
            want[(group, plural, obj["metadata"].get("namespace", "default"), obj["metadata"]["name"])] = obj
    for key in [k for k in state.objects if k not in want]:
        state.delete(*key)
    for key, obj in want.items():
        old = state.objects.get(key)
        if old is None or old.get("spec") != obj.get("spec") or old.get("status") != obj.get("status"):
            state.apply(obj)  # status too: a pod's addresses are there


def main():
    import signal
    cert, key, portfile, token, objects = sys.argv[1:6]
    srv = FakeApiServer(cert, key, token)
    srv.state.request_log = sys.stdout
    import os
    delay = os.environ.get("FAKE_API_LIST_DELAY", "")
    if delay:
        plural, seconds = delay.split("=")
        srv.state.list_delay[plural] = float(seconds)
    sync_from_file(srv.state, objects)
    signal.signal(signal.SIGHUP, lambda *_: sync_from_file(srv.state, objects))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.port))
    os.rename(portfile + ".tmp", portfile)
    # Python runs signal handlers on the main thread between polls: poll often so a SIGHUP acts at once.
    srv.httpd.serve_forever(poll_interval=0.02)


if __name__ == "__main__":
    main()
