#!/usr/bin/env python3
"""Checks deploy/ (Dockerfile, Kubernetes manifests) against gemma-server's
own files, so that drift on either side fails a test (ctest label "cross"):

  - every key of the ConfigMap's server_config.toml is one the server accepts:
    present in server/server_config.toml (the server's documented example)
    and read by server/src/config.cc;
  - ports agree: [server] port = containerPort "http" = the Service's
    targetPort = the Dockerfile's EXPOSE and HEALTHCHECK and CMD --port; the
    ConfigMap listens on 0.0.0.0;
  - readiness, liveness (and startup) probes GET /health on that port, a
    route server/src/router.cc serves, and /health needs no credentials;
  - every command-line flag the Deployment or Dockerfile passes is one
    gemma-server defines (server/src/main.cc); --config names the ConfigMap's
    file where the ConfigMap is mounted;
  - api_keys_file / hs256_secret_file point into the Secret's mount and name
    keys of the Secret; JWT issuer and audience are set; the JWT secret in the
    example is >= 32 bytes;
  - requests and limits for cpu and memory; [inference] threads <= the CPU
    limit; terminationGracePeriodSeconds > drain_timeout_seconds;
  - Service and HPA target the Deployment; selectors match the pod labels;
  - the Dockerfile is multi-stage on Debian bookworm, runs as a non-root
    user, has a HEALTHCHECK on /health, and copies files that exist.
With --server GEMMA_SERVER, also starts the real server with the ConfigMap's
config (secret files from the example Secret in a temporary directory, the
model and port swapped for the fixture and a free port) and requires
GET /health = 200 and a clean exit on SIGTERM.

Usage: check_deploy.py REPO_ROOT [--server PATH_TO_gemma-server]
Needs PyYAML (Debian python3-yaml) and Python 3.11+ (tomllib).
"""
import argparse
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request

import yaml

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def flatten(table, prefix=""):
    """{"server": {"port": 1}, "security": {"jwt": {...}}} -> {"server.port": 1, ...}"""
    out = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def config_cc_keys(path):
    """Keys ParseSections reads: `Section s(table("server"), "server", src)` binds a
    variable to a section; `s.Integer("port", ...)` reads server.port."""
    text = open(path).read()
    sections = dict(re.findall(r'Section\s+(\w+)\((?:table\("\w+"\)|\*\w+),\s*"([\w.]+)"', text))
    keys = set()
    for var, key in re.findall(r'\b(\w+)\.(?:Int|Integer|Double|Bool|String|StringArray)\("(\w+)"',
                               text):
        if var in sections:
            keys.add(f"{sections[var]}.{key}")
    return keys


def server_flags(path):
    flags = set()
    for names in re.findall(r'add_(?:option|flag)\("([^"]+)"', open(path).read()):
        for n in names.split(","):
            flags.add(n.strip())
    return flags


def named_port(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--server", help="gemma-server binary: also start it with the ConfigMap config")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    deploy = os.path.join(root, "deploy")

    # --- The server's side. ---
    example_path = os.path.join(root, "server", "server_config.toml")
    with open(example_path, "rb") as f:
        example_keys = set(flatten(tomllib.load(f)))
    parsed_keys = config_cc_keys(os.path.join(root, "server", "src", "config.cc"))
    check(len(parsed_keys) > 10, f"could not read the keys of server/src/config.cc ({parsed_keys})")
    flags = server_flags(os.path.join(root, "server", "src", "main.cc"))
    check({"--config", "--host", "--port", "--model"} <= flags,
          f"gemma-server lacks --config/--host/--port/--model (has {sorted(flags)})")
    router = open(os.path.join(root, "server", "src", "router.cc")).read()
    check('"/health"' in router, "server/src/router.cc serves no /health route")

    # --- Kubernetes manifests. ---
    docs = {}
    for path in sorted(glob.glob(os.path.join(deploy, "k8s", "*.yaml"))):
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                if d:
                    check("kind" in d and "apiVersion" in d, f"{path}: document without kind/apiVersion")
                    docs.setdefault(d.get("kind"), []).append((os.path.basename(path), d))
    for kind in ("ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler"):
        if not check(kind in docs, f"deploy/k8s has no {kind}"):
            print("\n".join("FAIL: " + f for f in failures))
            return 1
    kust = os.path.join(deploy, "k8s", "kustomization.yaml")
    if os.path.exists(kust):
        with open(kust) as f:
            for r in yaml.safe_load(f).get("resources", []):
                check(os.path.exists(os.path.join(deploy, "k8s", r)), f"kustomization lists missing {r}")

    _, cm = docs["ConfigMap"][0]
    _, secret = docs["Secret"][0]
    _, dep = docs["Deployment"][0]
    _, svc = docs["Service"][0]
    _, hpa = docs["HorizontalPodAutoscaler"][0]

    cm_file = next(iter(cm["data"]))
    config_text = cm["data"][cm_file]
    config = tomllib.loads(config_text)
    keys = set(flatten(config))
    for k in sorted(keys - example_keys):
        check(False, f"ConfigMap key '{k}' is not in server/server_config.toml")
    for k in sorted(keys - parsed_keys):
        check(False, f"ConfigMap key '{k}' is not read by server/src/config.cc")
    srv, sec, inf = config.get("server", {}), config.get("security", {}), config.get("inference", {})
    port = srv.get("port", 8080)
    check(srv.get("host") == "0.0.0.0", "ConfigMap [server] host must be 0.0.0.0 inside a pod")
    check(not sec.get("auth_health", False), "[security] auth_health must be false: probes send no credentials")

    pod = dep["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    check(all(pod_labels.get(k) == v for k, v in sel.items()), "Deployment selector does not match its pod labels")
    check(all(pod_labels.get(k) == v for k, v in svc["spec"]["selector"].items()),
          "Service selector does not match the Deployment's pod labels")
    spec = pod["spec"]
    c = spec["containers"][0]
    check(named_port(c, "http") == port, f"containerPort 'http' {named_port(c, 'http')} != [server] port {port}")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        p = c.get(probe)
        if probe != "startupProbe" and not check(p is not None, f"container has no {probe}"):
            continue
        if p is None:
            continue
        g = p.get("httpGet", {})
        check(g.get("path") == "/health", f"{probe} path {g.get('path')} != /health")
        check(named_port(c, g.get("port")) == port, f"{probe} port {g.get('port')} is not {port}")
    svc_ports = svc["spec"]["ports"]
    check(any(named_port(c, p.get("targetPort", p.get("port"))) == port for p in svc_ports),
          f"Service targets no port {port}")

    res = c.get("resources", {})
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            check(r in res.get(kind, {}), f"container has no resources.{kind}.{r}")

    def cpu(v):
        v = str(v)
        return float(v[:-1]) / 1000 if v.endswith("m") else float(v)

    if "cpu" in res.get("limits", {}):
        threads = inf.get("threads", 0)
        check(1 <= threads <= cpu(res["limits"]["cpu"]),
              f"[inference] threads = {threads}: must be 1..CPU limit ({res['limits']['cpu']}); "
              "0 means every core of the node")
    drain = srv.get("drain_timeout_seconds", 30)
    check(spec.get("terminationGracePeriodSeconds", 30) > drain,
          f"terminationGracePeriodSeconds must exceed drain_timeout_seconds ({drain})")
    sc = {**spec.get("securityContext", {}), **c.get("securityContext", {})}
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) != 0, "pod must run as non-root")

    # Volumes: the config file and the secret files.
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    cm_mount = next((mounts[n] for n, v in vols.items()
                     if v.get("configMap", {}).get("name") == cm["metadata"]["name"] and n in mounts), None)
    sec_mount = next((mounts[n] for n, v in vols.items()
                      if v.get("secret", {}).get("secretName") == secret["metadata"]["name"] and n in mounts),
                     None)
    check(cm_mount is not None, "the ConfigMap is not mounted")
    check(sec_mount is not None, "the Secret is not mounted")
    argv = c.get("args", []) + c.get("command", [])[1:]
    for a in argv:
        if a.startswith("-"):
            check(a.split("=")[0] in flags, f"Deployment passes {a}, which gemma-server does not define")
    if check("--config" in argv, "Deployment does not pass --config"):
        cfg_path = argv[argv.index("--config") + 1]
        check(cm_mount is not None and cfg_path == f"{cm_mount}/{cm_file}",
              f"--config {cfg_path} is not the mounted ConfigMap file {cm_mount}/{cm_file}")
    secret_keys = set(secret.get("data", {})) | set(secret.get("stringData", {}))
    jwt = sec.get("jwt", {})
    for key, path in (("security.api_keys_file", sec.get("api_keys_file")),
                      ("security.jwt.hs256_secret_file", jwt.get("hs256_secret_file")),
                      ("security.jwt.rs256_public_key_file", jwt.get("rs256_public_key_file"))):
        if not path:
            continue
        check(sec_mount is not None and os.path.dirname(path) == sec_mount,
              f"{key} = {path} is not in the Secret's mount {sec_mount}")
        check(os.path.basename(path) in secret_keys, f"{key}: the Secret has no key {os.path.basename(path)}")
    if jwt.get("hs256_secret_file") or jwt.get("rs256_public_key_file"):
        check(jwt.get("issuer") and jwt.get("audience"), "JWT needs issuer and audience")
    hs = secret.get("stringData", {}).get("jwt_hs256_secret")
    if hs is not None:
        check(len(hs.strip()) >= 32, "the example JWT secret must be >= 32 bytes (the server rejects less)")

    tgt = hpa["spec"]["scaleTargetRef"]
    check(tgt.get("kind") == "Deployment" and tgt.get("name") == dep["metadata"]["name"],
          "HPA does not target the Deployment")
    check(1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"], "HPA min/max replicas")

    # --- Dockerfile. ---
    dockerfile = open(os.path.join(deploy, "Dockerfile")).read()
    lines = re.sub(r"\\\n", " ", dockerfile).splitlines()
    instr = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if len(l.split(None, 1)) > 1 else "")
             for l in (x.strip() for x in lines) if l and not l.startswith("#")]
    froms = [a for i, a in instr if i == "FROM"]
    check(len(froms) >= 2, "Dockerfile must be multi-stage")
    check(all("bookworm" in f for f in froms), f"Dockerfile stages must be Debian bookworm ({froms})")
    users = [a for i, a in instr if i == "USER"]
    check(users and users[-1].split(":")[0] not in ("root", "0"), "the image must run as a non-root user")
    exposes = [a for i, a in instr if i == "EXPOSE"]
    check(exposes and all(int(e.split("/")[0]) == port for e in " ".join(exposes).split()),
          f"EXPOSE {exposes} != port {port}")
    hc = [a for i, a in instr if i == "HEALTHCHECK"]
    check(hc and re.search(rf"http://[^/\s]+:{port}/health\b", hc[0]), f"HEALTHCHECK must GET :{port}/health")
    for i, a in instr:
        if i == "COPY" and "--from" not in a:
            for src in shlex.split(a)[:-1]:
                check(os.path.exists(os.path.join(root, src)), f"Dockerfile copies missing {src}")
        if i in ("CMD", "ENTRYPOINT") and a.startswith("["):
            av = json.loads(a)
            for x in av:
                if x.startswith("-"):
                    check(x in flags, f"Dockerfile {i} passes {x}, which gemma-server does not define")
            if "--port" in av:
                check(int(av[av.index("--port") + 1]) == port, "Dockerfile CMD --port != port")

    # --- The real server with this config. ---
    if args.server and not failures:
        run_server(args.server, root, config_text, secret)

    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        return 1
    print(f"ok: deploy/ agrees with the server ({len(keys)} config keys, port {port}, "
          f"{sum(len(v) for v in docs.values())} manifests{', server started' if args.server else ''})")
    return 0


def run_server(binary, root, config_text, secret):
    with tempfile.TemporaryDirectory() as tmp:
        for k, v in secret.get("stringData", {}).items():
            with open(os.path.join(tmp, k), "w") as f:
                f.write(v)
        text = config_text.replace("/etc/gemma/secrets/", tmp + "/")
        text = re.sub(r'(?m)^path = ".*"', 'path = "%s"' % os.path.join(
            root, "fixtures", "models", "gemma3-tiny-f32.gguf"), text)
        cfg = os.path.join(tmp, "server_config.toml")
        with open(cfg, "w") as f:
            f.write(text)
        p = subprocess.Popen([binary, "--config", cfg, "--host", "127.0.0.1", "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            m = re.search(r"listening on (http://\S+?)[\s(]", line)
            if not check(m is not None, f"gemma-server did not start with the ConfigMap config: "
                         f"{line}{p.stderr.read() if p.poll() is not None else ''}"):
                return
            url = m.group(1) + "/health"
            status, deadline = None, time.time() + 60
            while time.time() < deadline and p.poll() is None:
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        status = r.status
                        break
                except urllib.error.HTTPError as e:
                    status = e.code  # 503 while loading
                except OSError:
                    pass
                time.sleep(0.2)
            if p.poll() is not None:
                check(False, f"gemma-server exited ({p.returncode}) with the ConfigMap config: "
                             f"{p.stderr.read().strip()}")
                return
            check(status == 200, f"GET /health with the ConfigMap config: {status}")
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    rc = p.wait(timeout=60)
                    check(rc == 0, f"gemma-server exited {rc} on SIGTERM")
                except subprocess.TimeoutExpired:
                    p.kill()
                    check(False, "gemma-server did not exit on SIGTERM")


if __name__ == "__main__":
    sys.exit(main())
