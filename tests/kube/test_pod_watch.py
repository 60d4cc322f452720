#!/usr/bin/env python3
"""tests/kube/test_pod_watch.py — node mode's pod source (init/kube/pod_watch: kube::PodWatcher under kube::Follower) against
fake_apiserver.py over real TLS: `kube_probe pods KUBECONFIG NODE` prints the node's client list (CIDR=NAMESPACE)
after each change. Checks the field selector, which pods count, that add / delete / IP change arrive and how fast
(printed; asserted under 1 s), that status updates changing no address do not call back, resume after a dropped
watch, relist after 410 Gone, and malformed pods. Every test also asserts the client only ever sent GETs."""
import os
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_kube  # noqa: E402  (KubeTest not bound here by name: unittest would run its tests again)
from test_kube import Probe  # noqa: E402

NODE = "node-1"
SELECTOR = "fieldSelector=spec.nodeName%3D" + NODE


def pod(ns, name, ips=(), node=NODE, phase="Running", host_network=False):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name},
         "spec": {"nodeName": node, "containers": [{"name": "app", "image": "app:1"}]},
         "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}]}}
    if host_network:
        p["spec"]["hostNetwork"] = True
    if ips:
        p["status"]["podIP"] = ips[0]
        p["status"]["podIPs"] = [{"ip": ip} for ip in ips]
    return p


class PodsTest(unittest.TestCase):
    setUpClass = classmethod(test_kube.KubeTest.setUpClass.__func__)
    tearDownClass = classmethod(test_kube.KubeTest.tearDownClass.__func__)
    setUp = test_kube.KubeTest.setUp
    tearDown = test_kube.KubeTest.tearDown
    kubeconfig = test_kube.KubeTest.kubeconfig
    watching = test_kube.KubeTest.watching

    def probe(self):
        return Probe(self.kubeconfig(), NODE, mode="pods")

    def seed(self):
        self.st.apply(pod("team-a", "web-1", ["192.0.2.10", "2001:db8::10"]))
        self.st.apply(pod("team-b", "api-1", ["192.0.2.11"], phase="Pending"))
        self.st.apply(pod("team-a", "elsewhere", ["192.0.2.12"], node="node-2"))
        self.st.apply(pod("kube-system", "proxy", ["198.51.100.5"], host_network=True))
        self.st.apply(pod("team-a", "job", ["192.0.2.13"], phase="Succeeded"))
        self.st.apply(pod("team-b", "starting", phase="Pending"))

    def test_selector_and_which_pods_count(self):
        self.seed()
        w = self.probe()
        try:
            r = w.wait(lambda r: True)
            self.assertEqual(r["clients"], ["192.0.2.10/32=team-a", "192.0.2.11/32=team-b",
                                            "2001:db8::10/128=team-a"])
            self.watching(1)
        finally:
            self.assertEqual(w.close(), 0)
        self.assertEqual(w.log, [], "no errors")
        paths = [p for _, p, _ in self.st.requests]
        self.assertTrue(paths and all(p.startswith("/api/v1/pods?" + SELECTOR + "&") for p in paths), paths)
        self.assertTrue([p for p in paths if "watch=true" in p and "allowWatchBookmarks=true" in p], paths)

    def test_add_delete_ip_change_arrive_within_a_second(self):
        self.seed()
        w = self.probe()
        lat = {"add": [], "ip change": [], "delete": []}
        try:
            w.wait(lambda r: "192.0.2.10/32=team-a" in r["clients"])
            self.watching(1)
            for i in range(10):
                ip, ip2 = "198.51.100.%d" % (20 + i), "198.51.100.%d" % (120 + i)
                t0 = time.monotonic()
                self.st.apply(pod("team-c", "p%d" % i, phase="Pending"))  # no address yet: no callback
                self.st.apply(pod("team-c", "p%d" % i, [ip]))
                w.wait(lambda r: ip + "/32=team-c" in r["clients"])
                lat["add"].append(time.monotonic() - t0)
                t0 = time.monotonic()
                self.st.apply(pod("team-c", "p%d" % i, [ip2, "2001:db8::%x" % (0x100 + i)]))
                w.wait(lambda r: ip2 + "/32=team-c" in r["clients"] and ip + "/32=team-c" not in r["clients"])
                lat["ip change"].append(time.monotonic() - t0)
                t0 = time.monotonic()
                self.st.delete("", "pods", "team-c", "p%d" % i)
                w.wait(lambda r: ip2 + "/32=team-c" not in r["clients"])
                lat["delete"].append(time.monotonic() - t0)
        finally:
            self.assertEqual(w.close(), 0)
        for what, xs in lat.items():
            print("pod %s -> client list: median %.0f ms, max %.0f ms (%d runs)"
                  % (what, 1000 * statistics.median(xs), 1000 * max(xs), len(xs)), file=sys.stderr)
            self.assertLess(max(xs), 1.0, what)
        paths = [p for _, p, _ in self.st.requests]
        first_watch = next(i for i, p in enumerate(paths) if "watch=true" in p)
        self.assertFalse([p for p in paths[first_watch:] if "watch=" not in p], "one list (paged), then the watch")
        self.assertTrue([p for p in paths[:first_watch] if "continue=" in p], "paged with the selector")

    def test_status_update_without_address_change_does_not_call_back(self):
        self.st.apply(pod("team-a", "web-1", ["192.0.2.10"]))
        w = self.probe()
        try:
            w.wait(lambda r: r["clients"] == ["192.0.2.10/32=team-a"])
            self.watching(1)
            busy = pod("team-a", "web-1", ["192.0.2.10"])
            busy["status"]["conditions"][0]["status"] = "False"
            self.st.apply(busy)  # not ready any more: same address
            self.st.apply(pod("team-b", "other-node", ["192.0.2.30"], node="node-2"))
            self.st.bookmark()
            self.st.apply(pod("team-a", "web-2", ["192.0.2.31"]))
            r = w.lines.get(timeout=15)  # the next callback is the one for web-2
            self.assertEqual(r["clients"], ["192.0.2.10/32=team-a", "192.0.2.31/32=team-a"])
        finally:
            self.assertEqual(w.close(), 0)

    def test_dropped_watch_resumes_and_gone_relists(self):
        self.st.apply(pod("team-a", "a", ["192.0.2.40"]))
        w = self.probe()
        try:
            w.wait(lambda r: r["clients"] == ["192.0.2.40/32=team-a"])
            self.watching(1)
            n = len(self.st.requests)
            self.st.drop_watches()  # cut without the final chunk
            self.st.apply(pod("team-a", "b", ["192.0.2.41"]))  # while disconnected
            w.wait(lambda r: "192.0.2.41/32=team-a" in r["clients"])
            self.assertFalse([p for _, p, _ in self.st.requests[n:] if "watch=" not in p], "resumed, not relisted")
            self.watching(2)
            self.st.drop_watches()
            self.st.delete("", "pods", "team-a", "a")
            self.st.compact()  # the delete is out of the watch window: 410, relist
            w.wait(lambda r: r["clients"] == ["192.0.2.41/32=team-a"])
        finally:
            self.assertEqual(w.close(), 0)
        self.assertTrue([l for l in w.log if "410 Gone): relisting" in l], w.log)

    def test_malformed_pods_are_errors_naming_the_field(self):
        bad = pod("team-a", "bad", ["192.0.2.50", "192.0.2.999"])
        self.st.apply(bad)
        w = self.probe()
        try:
            r = w.wait(lambda r: True)
            self.assertEqual(r["clients"], ["192.0.2.50/32=team-a"])
            self.watching(1)
            worse = pod("team-a", "worse", ["192.0.2.51"])
            worse["status"]["podIPs"] = "192.0.2.51"
            self.st.apply(worse)
            self.st.apply(pod("team-a", "fine", ["192.0.2.52"]))
            r = w.wait(lambda r: "192.0.2.52/32=team-a" in r["clients"])
            self.assertEqual(r["clients"], ["192.0.2.50/32=team-a", "192.0.2.52/32=team-a"])
            self.st.apply(pod("team-b", "thief", ["192.0.2.50"]))  # an address another namespace's pod holds
            self.st.apply(pod("team-a", "last", ["192.0.2.53"]))
            r = w.wait(lambda r: "192.0.2.53/32=team-a" in r["clients"])
            self.assertIn("192.0.2.50/32=team-a", r["clients"])
        finally:
            self.assertEqual(w.close(), 0)
        self.assertEqual(w.log, [
            "nfegress: kube: Pod team-a/bad: status.podIPs[1].ip: '192.0.2.999' is not an IP address (address ignored)",
            "nfegress: kube: Pod team-a/worse: status.podIPs: '192.0.2.51' is not a list (address ignored)",
            "nfegress: kube: Pod team-b/thief: 192.0.2.50/32=team-b overlaps 192.0.2.50/32=team-a (Pod team-a/bad) "
            "(the first pod by namespace/name keeps the address)"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
