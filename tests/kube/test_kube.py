#!/usr/bin/env python3
"""tests/kube/test_kube.py — the Kubernetes API source (init/kube) against fake_apiserver.py over real TLS with
a CA made here by the openssl CLI, on a random loopback port. Drives `kube_probe` (list / watch) and the
`nfegress` CLI (--source kube). Every test also asserts the client only ever sent GETs."""
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_apiserver import FakeApiServer  # noqa: E402

PROBE = os.environ.get("KUBE_PROBE", "kube_probe")
NFEGRESS = os.environ.get("NFEGRESS_BIN", "nfegress")
GW = "gateway.networking.k8s.io"


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name):
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
       name + ".key", "-out", name + ".crt", "-days", "1", "-subj", "/CN=" + name, cwd=d)


def make_server_cert(d):
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "srv.key",
       "-out", "srv.csr", "-subj", "/CN=kube-apiserver", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:kube.test\n")
    sh("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
       "srv.crt", "-days", "1", "-extfile", "san.ext", cwd=d)


def write_atomically(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def en(ns, name, cidr="203.0.113.0/24", policy="Allow"):
    return {"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork",
            "metadata": {"namespace": ns, "name": name},
            "spec": {"trafficPolicy": policy, "networks": [{"cidr": cidr}]}}


def route(kind, ns, name, parent="world", version="v1", group=GW, hostnames=None, port=443):
    spec = {"parentRefs": [{"group": "policy.linkerd.io", "kind": "EgressNetwork", "name": parent,
                            "namespace": "linkerd-egress", "port": port}],
            "rules": [{"backendRefs": [{"group": "policy.linkerd.io", "kind": "EgressNetwork", "name": parent,
                                        "namespace": "linkerd-egress", "port": port}]}]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": group + "/" + version, "kind": kind, "metadata": {"namespace": ns, "name": name},
            "spec": spec}


class Probe:
    """kube_probe watch, its JSON lines in a queue."""

    def __init__(self, kubeconfig, *namespaces, mode="watch"):
        self.p = subprocess.Popen([PROBE, mode, kubeconfig, *namespaces], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._read, args=(self.p.stdout, lambda l: self.lines.put(json.loads(l))),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.p.stderr, self.log.append), daemon=True).start()

    @staticmethod
    def _read(stream, sink):
        for line in stream:
            sink(line.rstrip("\n"))

    def wait(self, pred, timeout=15.0):  # generous: an upper bound under a loaded CI, not a speed claim
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching update within %.1fs; log: %s" % (timeout, self.log))
            try:
                r = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if pred(r):
                return r

    def close(self):
        self.p.stdin.close()
        try:
            return self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise
        finally:
            self.p.stdout.close()
            self.p.stderr.close()


class KubeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="nfegress-kube-")
        make_server_cert(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.srv = FakeApiServer(os.path.join(self.dir, "srv.crt"), os.path.join(self.dir, "srv.key"), "t1")
        self.srv.__enter__()
        self.st = self.srv.state
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write("t1\n")

    def tearDown(self):
        self.srv.__exit__(None, None, None)
        methods = {m for m, _, _ in self.st.requests}
        self.assertLessEqual(methods, {"GET"}, "the client must only read")

    def kubeconfig(self, host="127.0.0.1", ca="ca.crt", user=None, port=None):
        path = os.path.join(self.dir, "kubeconfig-%s" % self.id().rsplit(".", 1)[-1])
        user = user or {"tokenFile": self.token_file}
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
               "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "nfegress"}}],
               "clusters": [{"name": "fake", "cluster": {
                   "server": "https://%s:%d" % (host, port or self.srv.port),
                   "certificate-authority": os.path.join(self.dir, ca)}}],
               "users": [{"name": "nfegress", "user": user}]}
        with open(path, "w") as f:
            json.dump(cfg, f)  # JSON is YAML
        return path

    def watching(self, n, timeout=15.0):
        """Waits until n watch streams have been opened in total."""
        end = time.monotonic() + timeout
        while len([p for _, p, c in self.st.requests if "watch=true" in p and c == 200]) < n:
            self.assertLess(time.monotonic(), end, "watches not opened: %s" % self.st.requests)
            time.sleep(0.02)

    def list(self, kubeconfig, *namespaces):
        p = subprocess.run([PROBE, "list", kubeconfig, *namespaces], capture_output=True, text=True, timeout=60)
        return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None, p.stderr

    def seed(self):
        self.st.served.pop((GW, "v1alpha2", "tlsroutes"))  # TLSRoute CRD not installed
        self.st.apply(en("linkerd-egress", "world", "0.0.0.0/0", "Deny"))
        self.st.apply(en("app", "partners"))
        for i in range(3):
            self.st.apply(route("HTTPRoute", "app", "web-%d" % i, hostnames=["w%d.example.com" % i], port=80))
        self.st.apply(route("HTTPRoute", "app", "l5d", group="policy.linkerd.io", version="v1beta3",
                            hostnames=["l5d.example.com"], port=8080))
        self.st.apply(route("TCPRoute", "linkerd-egress", "db", version="v1alpha2", port=5432))
        self.st.apply(en("other", "not-mine"))

    def test_list_namespaces_versions_paging_and_missing_crd(self):
        self.seed()
        rc, r, err = self.list(self.kubeconfig(), "app", "linkerd-egress")
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(r["networks"]), ["app/partners", "linkerd-egress/world"])
        self.assertEqual(sorted(r["routes"]), [
            "HTTPRoute app/l5d policy.linkerd.io/v1beta3",
            "HTTPRoute app/web-0 gateway.networking.k8s.io/v1", "HTTPRoute app/web-1 gateway.networking.k8s.io/v1",
            "HTTPRoute app/web-2 gateway.networking.k8s.io/v1",
            "TCPRoute linkerd-egress/db gateway.networking.k8s.io/v1alpha2"])
        self.assertIn("kube:app/HTTPRoute/web-0", r["files"])
        self.assertEqual([l for l in err.splitlines() if "TLSRoute" in l],
                         ["nfegress: kube: TLSRoute.gateway.networking.k8s.io is not served "
                          "(CRD not installed; tried v1alpha2): skipped"])
        paths = [p for _, p, _ in self.st.requests]
        self.assertFalse([p for p in paths if "/namespaces/other/" in p], "only the namespaces that matter")
        self.assertFalse([p for p in paths if "v1beta1/namespaces" in p and GW in p], "v1 served: v1beta1 unused")
        self.assertTrue([p for p in paths if "continue=2" in p], "paged")

    def test_all_namespaces_one_cluster_wide_list_and_watch_per_kind(self):
        """Node mode (`*`): every namespace's objects through one cluster-wide list and one watch per served kind;
        events and a 410 relist from any namespace."""
        self.seed()
        w = Probe(self.kubeconfig(), "*")
        try:
            r = w.wait(lambda r: r["networks"])
            self.assertEqual(sorted(r["networks"]), ["app/partners", "linkerd-egress/world", "other/not-mine"])
            self.assertIn("TCPRoute linkerd-egress/db gateway.networking.k8s.io/v1alpha2", r["routes"])
            lists = {p.split("?")[0] for _, p, c in self.st.requests if "watch=" not in p and c == 200}
            self.assertEqual(lists, {"/apis/policy.linkerd.io/v1alpha1/egressnetworks",
                                     "/apis/gateway.networking.k8s.io/v1/httproutes",
                                     "/apis/policy.linkerd.io/v1beta3/httproutes",
                                     "/apis/gateway.networking.k8s.io/v1/grpcroutes",
                                     "/apis/gateway.networking.k8s.io/v1alpha2/tcproutes"})
            self.watching(len(lists))
            watches = [p.split("?")[0] for _, p, c in self.st.requests if "watch=true" in p]
            self.assertEqual(sorted(watches), sorted(lists), "one watch per kind, none per namespace")
            t0 = time.monotonic()
            self.st.apply(en("team-z", "new"))  # a namespace nobody named
            w.wait(lambda r: "team-z/new" in r["networks"])
            self.assertLess(time.monotonic() - t0, 1.0)
            self.st.delete("policy.linkerd.io", "egressnetworks", "other", "not-mine")
            w.wait(lambda r: "other/not-mine" not in r["networks"])
            self.st.drop_watches()
            self.st.delete("policy.linkerd.io", "egressnetworks", "team-z", "new")
            self.st.apply(en("team-y", "after-gone"))
            self.st.compact()  # both events out of the watch window: the relist must replace every namespace
            r = w.wait(lambda r: "team-y/after-gone" in r["networks"])
            self.assertNotIn("team-z/new", r["networks"])
            self.assertIn("app/partners", r["networks"])
        finally:
            self.assertEqual(w.close(), 0)
        self.assertTrue([l for l in w.log if "410 Gone): relisting" in l], w.log)
        self.assertFalse([p for _, p, _ in self.st.requests if "/namespaces/" in p], "nothing namespaced")

    def test_invalid_object_is_reported_at_its_api_location(self):
        self.st.apply(en("app", "bad", cidr="203.0.113.0/33"))
        rc, r, _ = self.list(self.kubeconfig(), "app")
        self.assertEqual(rc, 1)
        self.assertTrue(r["errors"] and r["errors"][0].startswith("kube:app/EgressNetwork/bad:"), r["errors"])

    def test_wrong_ca_is_refused(self):
        t0 = time.monotonic()
        rc, r, _ = self.list(self.kubeconfig(ca="other-ca.crt"), "app")
        self.assertEqual(rc, 1)
        self.assertIn("certificate of https://127.0.0.1:%d refused" % self.srv.port, r["errors"][0])
        # Retrying would take 0.25+0.5+1+2 s and more; 5 s leaves room for a loaded machine.
        self.assertLess(time.monotonic() - t0, 5.0, "a refused certificate is not retried")
        self.assertEqual(self.st.requests, [])

    def test_wrong_hostname_is_refused(self):
        rc, r, _ = self.list(self.kubeconfig(host="localhost"), "app")
        self.assertEqual(rc, 1)
        self.assertIn("refused", r["errors"][0])

    def test_transient_errors_are_retried_then_give_up(self):
        self.st.apply(en("app", "partners"))
        self.st.list_fail = 2
        rc, r, err = self.list(self.kubeconfig(), "app")
        self.assertEqual(rc, 0, err)
        self.assertEqual(r["networks"], ["app/partners"])
        self.st.list_fail = 100
        rc, r, _ = self.list(self.kubeconfig(), "app")
        self.assertEqual(rc, 1)
        self.assertIn("HTTP 503", r["errors"][0])
        self.assertIn("gave up after 3 attempts", r["errors"][0])

    def test_bad_static_token_is_not_retried(self):
        rc, r, _ = self.list(self.kubeconfig(user={"token": "wrong"}), "app")
        self.assertEqual(rc, 1)
        self.assertIn("HTTP 401", r["errors"][0])
        self.assertEqual(len(self.st.requests), 1)

    def test_watch_add_modify_delete_bookmark(self):
        self.seed()
        w = Probe(self.kubeconfig(), "app", "linkerd-egress")
        try:
            w.wait(lambda r: "app/partners" in r["networks"])
            initial = [p for _, p, _ in self.st.requests if "watch=" not in p]
            served = {p.split("?")[0] for _, p, c in self.st.requests if "watch=" not in p and c == 200}
            self.watching(len(served))  # "within a second" is about a running watch
            t0 = time.monotonic()
            self.st.apply(en("app", "new"))
            w.wait(lambda r: "app/new" in r["networks"])
            self.assertLess(time.monotonic() - t0, 1.0)
            self.st.apply(route("HTTPRoute", "app", "web-0", hostnames=["changed.example.com"], port=80))
            self.st.bookmark()
            self.st.delete("policy.linkerd.io", "egressnetworks", "app", "new")
            w.wait(lambda r: "app/new" not in r["networks"])
            self.st.apply(en("other", "ignored"))  # not a namespace that matters: no update
            self.st.apply(en("app", "after-bookmark"))
            r = w.wait(lambda r: "app/after-bookmark" in r["networks"])
            self.assertNotIn("other/ignored", r["networks"])
            lists = [p for _, p, _ in self.st.requests if "watch=" not in p]
        finally:
            self.assertEqual(w.close(), 0)
        self.assertEqual(lists, initial, "one list per scope and page, then only watches")

    def test_dropped_watch_resumes_without_losing_an_event(self):
        self.st.apply(en("app", "a"))
        w = Probe(self.kubeconfig(), "app")
        try:
            w.wait(lambda r: r["networks"] == ["app/a"])
            self.st.apply(en("app", "b"))
            w.wait(lambda r: "app/b" in r["networks"])
            self.watching(6)
            last = str(self.st.rv)
            n = len(self.st.requests)
            self.st.drop_watches()  # connection cut, no final chunk
            self.st.apply(en("app", "c"))  # happens while the client is disconnected
            w.wait(lambda r: "app/c" in r["networks"])
            later = [p for _, p, _ in self.st.requests[n:]]
        finally:
            self.assertEqual(w.close(), 0)
        self.assertTrue(any("egressnetworks?watch=true" in p and "resourceVersion=" + last in p for p in later),
                        later)
        self.assertFalse([p for p in later if "watch=" not in p], "resumed, not relisted")

    def test_gone_relists(self):
        for as_status in (False, True):
            with self.subTest(gone_as_status=as_status):
                self.st.gone_as_status = as_status
                self.st.apply(en("app", "x"))
                w = Probe(self.kubeconfig(), "app")
                try:
                    w.wait(lambda r: "app/x" in r["networks"])
                    self.st.drop_watches()
                    self.st.delete("policy.linkerd.io", "egressnetworks", "app", "x")
                    self.st.compact()  # the delete event is no longer in the watch window
                    w.wait(lambda r: "app/x" not in r["networks"])
                    self.st.apply(en("app", "y"))
                    w.wait(lambda r: "app/y" in r["networks"])
                finally:
                    self.assertEqual(w.close(), 0)
                self.assertTrue([l for l in w.log if "410 Gone): relisting" in l], w.log)
                self.st.delete("policy.linkerd.io", "egressnetworks", "app", "y")

    def test_token_reread_when_rotated_and_on_401(self):
        self.st.apply(en("app", "a"))
        w = Probe(self.kubeconfig(), "app")
        try:
            w.wait(lambda r: r["networks"] == ["app/a"])
            self.watching(6)
            # Rotation the client can see (mtime changes): it sends the new token at once.
            self.st.token = "t2"
            write_atomically(self.token_file, "t2\n")  # as the kubelet does (never a half-written token)
            self.st.drop_watches()
            self.st.apply(en("app", "b"))
            w.wait(lambda r: "app/b" in r["networks"])
            self.watching(12)
            self.assertNotIn(401, [c for _, _, c in self.st.requests])
            # Rotation it cannot see (same size, same mtime): the 401 makes it re-read once.
            st = os.stat(self.token_file)
            self.st.token = "t3"
            write_atomically(self.token_file, "t3\n")
            os.utime(self.token_file, ns=(st.st_atime_ns, st.st_mtime_ns))
            self.st.drop_watches()
            self.st.apply(en("app", "c"))
            w.wait(lambda r: "app/c" in r["networks"])
        finally:
            self.assertEqual(w.close(), 0)
        # Each of the 6 streams re-reads the token at most once after a 401 (and they all recovered above).
        self.assertIn([c for _, _, c in self.st.requests].count(401), range(1, 7))

    def test_follower_waits_for_the_api(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        w = Probe(self.kubeconfig(port=port), "app", mode="follow")
        try:
            end = time.monotonic() + 15
            while not [l for l in w.log if "trying again" in l] and time.monotonic() < end:
                time.sleep(0.05)
            self.assertTrue([l for l in w.log if "trying again" in l], w.log)
            self.assertTrue(w.lines.empty())
            with FakeApiServer(os.path.join(self.dir, "srv.crt"), os.path.join(self.dir, "srv.key"), "t1",
                               port=port) as late:
                late.state.apply(en("app", "late"))
                w.wait(lambda r: r["networks"] == ["app/late"])
                late.state.apply(en("app", "later"))
                w.wait(lambda r: "app/later" in r["networks"])
                self.assertLessEqual({m for m, _, _ in late.state.requests}, {"GET"})
        finally:
            self.assertEqual(w.close(), 0)

    def test_cli_check_source_kube(self):
        self.st.apply(en("linkerd-egress", "world", "0.0.0.0/0", "Deny"))
        p = subprocess.run([NFEGRESS, "check", "--source", "kube", "--kubeconfig", self.kubeconfig()],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("valid: 1 EgressNetwork(s)", p.stdout)
        p = subprocess.run([NFEGRESS, "check", "--source", "kube", "x.yaml"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("exclude each other", p.stderr)

    def test_cli_gateway_source_kube_reads_every_namespace(self):
        """`gateway --source kube` (node mode's input without pods): the policy of namespaces nobody named, each
        client with its namespace's plan; cluster-wide lists only. An invalid object anywhere: nothing exported."""
        self.st.apply(en("linkerd-egress", "world", "0.0.0.0/0", "Deny"))
        self.st.apply(en("team-a", "partners"))
        self.st.apply(route("TCPRoute", "team-b", "b-5432", version="v1alpha2", port=5432))
        args = [NFEGRESS, "gateway", "--source", "kube", "--kubeconfig", self.kubeconfig(), "--export",
                "--client", "192.0.2.10/32=team-a", "--client", "192.0.2.20/32=team-b",
                "--client", "192.0.2.30/32=team-c"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("192.0.2.10 : goto ns_team-a", p.stdout)
        self.assertIn("192.0.2.20 : goto ns_team-b", p.stdout)
        self.assertIn("192.0.2.30 : goto global", p.stdout)
        self.assertIn('comment "EgressNetwork team-a/partners"', p.stdout)
        self.assertRegex(p.stdout, r"map ns_team-b_ports_0 \{[^}]*5432 : accept")
        self.assertFalse([q for _, q, _ in self.st.requests if "/namespaces/" in q], "cluster-wide lists only")
        self.st.apply(en("team-z", "bad", cidr="203.0.113.0/33"))
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("kube:team-z/EgressNetwork/bad:", p.stderr)
        self.assertNotIn("table", p.stdout)

    def test_cli_unreachable_api_exits_nonzero(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        p = subprocess.run([NFEGRESS, "check", "--source", "kube", "--kubeconfig", self.kubeconfig(port=port)],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Kubernetes API: list EgressNetwork", p.stderr)
        self.assertIn("gave up after 6 attempts", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
