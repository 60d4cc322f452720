#!/usr/bin/env python3
"""tests/e2e/node_manifests.py BIN SOURCE_DIR — the node-mode manifests (deploy/kubernetes/node-daemonset.yaml,
node-rbac.yaml) hold what docs/operations.md ("Node mode and egress gateways") and docs/security.md promise, with no
cluster and no root: host network; NET_ADMIN and NET_RAW the only capabilities; NODE_NAME from spec.nodeName; the
policy from the Kubernetes API (`--source kube`, every namespace; no policy path, no volume); readiness
and liveness on the admin server's /ready and /live at the address --admin-addr names, the node's loopback; the
service account bound to a ClusterRole that grants get/list/watch on pods and on exactly the resources the
Kubernetes source reads (init/kube/objects.cpp), and `get` (only) on nodes for `--deny-unknown node`, nothing else. Every flag the DaemonSet passes must be one `nfegress
node --help` lists and the command line, with `--source kube` replaced by the files of deploy/examples and
`--deny-unknown node` by a CIDR (no API here), must export a table (no usage error)."""
import os
import re
import subprocess
import sys

import yaml

BIN, SRC = sys.argv[1], sys.argv[2]
KUBE = SRC + "/deploy/kubernetes/"
errors = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        errors.append(what)


def load(name):
    with open(KUBE + name) as f:
        return [d for d in yaml.safe_load_all(f) if d]


rbac = {(d["kind"], d["metadata"]["name"]): d for d in load("node-rbac.yaml")}
[ds] = [d for d in load("node-daemonset.yaml") if d["kind"] == "DaemonSet"]
spec = ds["spec"]["template"]["spec"]
check(spec.get("hostNetwork") is True, "hostNetwork: true")
check(not spec.get("hostPID") and not spec.get("hostIPC"), "no hostPID/hostIPC")
volumes = {v["name"]: v for v in spec.get("volumes", [])}
check(all(set(v) == {"name", "configMap"} for v in volumes.values()), "ConfigMap volumes only (no host paths)")
check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "selector matches the pod template")
[c] = spec["containers"]
check(not spec.get("initContainers"), "one container")
sc = c["securityContext"]
check(sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]},
      "capabilities: drop ALL, add NET_ADMIN and NET_RAW only")
check(sc.get("allowPrivilegeEscalation") is False and not sc.get("privileged"), "no privilege escalation")
env = {e["name"]: e for e in c.get("env", [])}
check(env.get("NODE_NAME", {}).get("valueFrom") == {"fieldRef": {"fieldPath": "spec.nodeName"}},
      "NODE_NAME from spec.nodeName (downward API)")
args = c["args"]
check(args[0] == "node", "runs `nfegress node`")
check("--node-name" in args and args[args.index("--node-name") + 1] == "$(NODE_NAME)", "--node-name $(NODE_NAME)")
check("--source" in args and args[args.index("--source") + 1] == "kube",
      "--source kube: the policy of every namespace from the API")
paths = [a for i, a in enumerate(args[1:], 1) if not a.startswith("--") and not args[i - 1].startswith("--")]
check(not paths and not c.get("volumeMounts") and not volumes,
      "no policy files, no volumes (paths %s, mounts %s)" % (paths, c.get("volumeMounts")))
admin = args[args.index("--admin-addr") + 1] if "--admin-addr" in args else ""
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
for kind, path in (("readinessProbe", "/ready"), ("livenessProbe", "/live")):
    probe = c.get(kind, {}).get("httpGet", {})
    port = ports.get(probe.get("port"), probe.get("port"))
    check(probe.get("path") == path and admin == "%s:%s" % (probe.get("host"), port),
          "%s on %s at the --admin-addr address (%s; probe %s:%s)" % (kind, path, admin, probe.get("host"), port))
# The kubelet probes from the node's namespace (hostNetwork), so loopback reaches the admin server; any other
# address would expose /metrics to the network.
check(admin.startswith("127.0.0.1:"), "admin server on the node's loopback only")

sa = rbac.get(("ServiceAccount", spec["serviceAccountName"]))
check(sa is not None and sa["metadata"]["namespace"] == ds["metadata"]["namespace"], "the service account exists")
bindings = [d for (k, _), d in rbac.items() if k == "ClusterRoleBinding"
            and {"kind": "ServiceAccount", "name": spec["serviceAccountName"],
                 "namespace": ds["metadata"]["namespace"]} in d["subjects"]]
check(len(bindings) == 1 and bindings[0]["roleRef"]["kind"] == "ClusterRole", "one ClusterRoleBinding")
role = rbac[("ClusterRole", bindings[0]["roleRef"]["name"])] if bindings else {"rules": []}
granted = set()
for r in role["rules"]:
    want = ["get"] if r["resources"] == ["nodes"] else ["get", "list", "watch"]  # nodes: one GET of its own
    check(sorted(r["verbs"]) == want and "resourceNames" not in r and "nonResourceURLs" not in r,
          "rule %s/%s: %s only" % (r["apiGroups"], r["resources"], ", ".join(want)))
    granted |= {(g, res) for g in r["apiGroups"] for res in r["resources"]}
with open(SRC + "/init/kube/objects.cpp") as f:
    read = {(g, p) for g, p in re.findall(r'\{"\w+", "([a-z0-9.]+)", "([a-z]+)", \{', f.read())}
check(len(read) >= 5, "the resources the Kubernetes source reads were found in init/kube/objects.cpp")
core = {("", "pods"), ("", "nodes")}
check(granted == read | core, "granted = pods, nodes + what the source reads (extra %s, missing %s)"
      % (sorted(granted - read - core), sorted((read | core) - granted)))
check("--deny-unknown" in args and args[args.index("--deny-unknown") + 1] == "node",
      "--deny-unknown node: this Node's pod ranges (no fail-open window for a pod not yet listed)")

h = subprocess.run([BIN, "node", "--help"], capture_output=True, text=True)
if h.returncode == 0 and "--node-name" in h.stdout:
    for flag in [a for a in args if a.startswith("--")]:
        check(flag in h.stdout, "`nfegress node --help` lists %s" % flag)
    # The whole command line is accepted and, with the policy as files instead of the API, exports a table
    # (--export needs neither root nor the API then).
    i = args.index("--source") if "--source" in args else len(args)
    line = [a.replace("$(NODE_NAME)", "node-1") for a in args[:i] + args[i + 2:]]
    line = ["10.244.1.0/24" if a == "node" and line[j - 1] == "--deny-unknown" else a for j, a in enumerate(line)]
    line += [SRC + "/deploy/examples", "--export"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    r = subprocess.run([BIN] + line, capture_output=True, text=True, timeout=120, env=env)
    check(r.returncode == 0 and "table" in r.stdout,
          "`nfegress %s` exports a table (exit %d: %s)" % (" ".join(line), r.returncode, r.stderr.strip()[:300]))
else:
    check(False, "`%s node --help` lists --node-name (exit %d)" % (BIN, h.returncode))
if errors:
    sys.exit("FAIL: %d check(s)" % len(errors))
print("PASS")
