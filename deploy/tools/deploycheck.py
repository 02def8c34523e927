#!/usr/bin/env python3
"""Offline checks of deploy/ that no off-the-shelf validator makes: that the parts agree with
each other and with the code. Called by scripts/check-deploy.sh.

  deploycheck.py render <overlay-dir> [--builtin-only]   the overlay's documents (kustomize
                                                         subset) as YAML; --builtin-only
                                                         leaves out custom resources
  deploycheck.py env <overlay-dir>                       per container, the environment it
                                                         gets (ConfigMap, env, placeholder
                                                         secrets), for `konqer config`
  deploycheck.py rules <out.yml>                         the PrometheusRule as a rules file
  deploycheck.py dashboard-rules <out.yml>               every dashboard query as a rule
  deploycheck.py check                                   the cross-checks; one line per
                                                         finding, exit 1 if any

kustomize is not installable offline (not on PyPI or Debian), so `render` implements the
subset the overlays use (resources, namespace, labels, images, inline JSON 6902 patches) and
refuses anything else. check-deploy.sh compares it with `kubectl kustomize` where kubectl
exists, and CI does on every push.
"""
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ["staging", "production"]
CLUSTER_SCOPED = {"Namespace"}
# Settings each replica must share; unset, every pod would use a private value.
FLEET_SECRETS = {
    "DATABASE_URL": "otherwise each pod opens its own SQLite file",
    "REDIS_URL": "otherwise each pod keeps its own rate-limit counts",
    "STRIPE_SECRET_KEY": "otherwise each pod runs the local checkout",
    "STRIPE_WEBHOOK_SECRET": "otherwise each pod generates its own",
    "KONQER_UNSUBSCRIBE_SECRET": "otherwise each pod generates its own and links break",
    "KONQER_RESEND_API_KEY": "otherwise mail is written to the pod's emptyDir and lost",
    "KONQER_METRICS_TOKEN": "the ServiceMonitor authenticates with it",
}
# Public paths Kong may route. /auth and /api are the API; the discovery document and the
# one-click unsubscribe link are served outside them to third parties.
KONG_PUBLIC = ("/auth/", "/api/", "/.well-known/openid-configuration", "/email/unsubscribe")
KONG_NEVER = ["/admin", "/admin/users", "/metrics", "/health", "/ready", "/checkout/local/cs_1"]

findings = []


def finding(where, message):
    findings.append(f"{where}: {message}")


# ---- kustomize subset ---------------------------------------------------------------------

class RenderError(Exception):
    pass


def _patch(doc, op):
    parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
    parent = doc
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if isinstance(parent, list):
        last = len(parent) if last == "-" else int(last)
    elif op["op"] != "add" and last not in parent:
        raise RenderError(f"patch {op['op']} {op['path']}: no such field")
    if op["op"] == "add" and isinstance(parent, list):
        parent.insert(last, op["value"])
    elif op["op"] in ("add", "replace"):
        parent[last] = op["value"]
    elif op["op"] == "remove":
        del parent[last]
    else:
        raise RenderError(f"unsupported patch op {op['op']}")


def pod_spec(resource):
    if resource["kind"] in ("Deployment", "Job"):
        return resource["spec"]["template"]["spec"]
    return None


def containers(resource):
    spec = pod_spec(resource)
    return [] if spec is None else spec.get("initContainers", []) + spec["containers"]


def render(directory):
    directory = pathlib.Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - {"apiVersion", "kind", "resources", "namespace", "labels",
                                    "images", "patches"}
    if unknown:
        raise RenderError(f"{directory}: kustomization fields the offline renderer lacks: {sorted(unknown)}")
    resources = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources += render(path) if path.is_dir() else [d for d in yaml.safe_load_all(path.read_text()) if d]
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        if set(patch) != {"target", "patch"} or set(target) - {"kind", "name"}:
            raise RenderError(f"{directory}: only inline JSON 6902 patches by kind and name")
        matched = [r for r in resources if r["kind"] == target["kind"] and r["metadata"]["name"] == target["name"]]
        if not matched:
            raise RenderError(f"{directory}: patch target {target} matches nothing")
        for resource in matched:
            for op in yaml.safe_load(patch["patch"]):
                _patch(resource, op)
    for resource in resources:
        if kustomization.get("namespace") and resource["kind"] not in CLUSTER_SCOPED:
            resource["metadata"]["namespace"] = kustomization["namespace"]
        for entry in kustomization.get("labels", []):
            if set(entry) != {"pairs"}:
                raise RenderError(f"{directory}: labels support only `pairs`")
            resource["metadata"].setdefault("labels", {}).update(entry["pairs"])
        for image in kustomization.get("images", []):
            for container in containers(resource):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image.get('newTag', 'latest')}"
    return resources


# ---- facts from the code ------------------------------------------------------------------

def settings():
    """{name: is_secret} from the settings table of the binary."""
    text = (ROOT / "crates/server/src/config/settings.rs").read_text()
    table = text[text.index("const SETTINGS"):]
    return {name: kind == "secret" for kind, name in re.findall(r'\b(plain|unset|secret)\("([A-Z0-9_]+)"', table)}


def service_slugs():
    catalog = json.loads((ROOT / "web/src/data/catalog.json").read_text())
    return sorted(s["slug"] for s in catalog["services"])


def openapi_paths():
    text = (ROOT / "crates/api/src/snapshots/konqer_api__openapi__tests__openapi.snap").read_text()
    return sorted(json.loads(text.split("---", 2)[2])["paths"])


def exported_metrics():
    names = set()
    for path in (ROOT / "crates").glob("*/src/**/*.rs"):
        for name in re.findall(r'register\(\s*"(konqer_[a-z0-9_]+)"', path.read_text()):
            names |= {name + suffix for suffix in ("", "_total", "_bucket", "_sum", "_count")}
    return names


def proposed_metrics():
    rows = re.findall(r"^\|\s*`(konqer_[a-z0-9_]+)`\s*\|[^|]*\|\s*proposed", (DEPLOY / "observability/metrics.md").read_text(), re.M)
    return set(rows)


# ---- Kubernetes ---------------------------------------------------------------------------

def one(resources, kind, name):
    return next((r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name), None)


def by_kind(resources, kind):
    return [r for r in resources if r["kind"] == kind]


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _s(properties, required=()):
    """A closed object schema: a misspelt field is a finding, as the CRD would reject it."""
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_STR, _META = {"type": "string"}, {"type": "object", "required": ["name"]}
_DURATION = {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"}
# The parts of the CRDs (external-secrets.io/v1, monitoring.coreos.com/v1) that we use;
# kubernetes-validate has no schemas for custom resources.
CRD_SCHEMAS = {
    ("external-secrets.io/v1", "ExternalSecret"): _s({
        "apiVersion": _STR, "kind": _STR, "metadata": _META,
        "spec": _s({
            "refreshInterval": _DURATION,
            "secretStoreRef": _s({"kind": {"enum": ["SecretStore", "ClusterSecretStore"]}, "name": _STR}, ["name"]),
            "target": _s({"name": _STR, "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]}}),
            "data": {"type": "array", "minItems": 1, "items": _s({
                "secretKey": _STR, "remoteRef": _s({"key": _STR, "property": _STR}, ["key"])},
                ["secretKey", "remoteRef"])},
        }, ["secretStoreRef", "target", "data"])}, ["spec"]),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): _s({
        "apiVersion": _STR, "kind": _STR, "metadata": _META,
        "spec": _s({
            "selector": _s({"matchLabels": {"type": "object"}}, ["matchLabels"]),
            "endpoints": {"type": "array", "minItems": 1, "items": _s({
                "port": _STR, "path": _STR, "interval": _DURATION, "scrapeTimeout": _DURATION,
                "authorization": _s({"type": _STR, "credentials": _s({"name": _STR, "key": _STR}, ["name", "key"])},
                                    ["credentials"])}, ["port"])},
        }, ["selector", "endpoints"])}, ["spec"]),
    ("monitoring.coreos.com/v1", "PrometheusRule"): _s({
        "apiVersion": _STR, "kind": _STR, "metadata": _META,
        "spec": _s({"groups": {"type": "array", "items": _s({
            "name": _STR, "interval": _DURATION,
            "rules": {"type": "array", "items": _s({
                "record": _STR, "alert": _STR, "expr": _STR, "for": _DURATION,
                "labels": {"type": "object", "additionalProperties": _STR},
                "annotations": {"type": "object", "additionalProperties": _STR}}, ["expr"])},
        }, ["name", "rules"])}}, ["groups"])}, ["spec"]),
}


def check_pods(where, resources):
    for r in by_kind(resources, "Deployment") + by_kind(resources, "Job"):
        name = f"{where} {r['kind']} {r['metadata']['name']}"
        spec = pod_spec(r)
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True or pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            finding(name, "pod securityContext needs runAsNonRoot: true and seccompProfile RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            finding(name, "automountServiceAccountToken must be false (the pods call no Kubernetes API)")
        for c in containers(r):
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("readOnlyRootFilesystem") is not True \
                    or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                finding(name, f"container {c['name']}: needs allowPrivilegeEscalation false, "
                              "readOnlyRootFilesystem true, capabilities drop [ALL]")
            resources_ = c.get("resources", {})
            if any(res not in resources_.get(kind, {}) for kind in ("requests", "limits") for res in ("cpu", "memory")):
                finding(name, f"container {c['name']}: cpu and memory requests and limits are required")
            if "/tmp" not in {m["mountPath"] for m in c.get("volumeMounts", [])}:
                finding(name, f"container {c['name']}: a read-only root filesystem needs a /tmp volume")
            if not re.fullmatch(r"ghcr\.io/konqer/konqer:[\w.-]+", c["image"]):
                finding(name, f"container {c['name']}: image {c['image']!r} was not set by the overlay")


def check_settings(where, resources, known):
    configmap = one(resources, "ConfigMap", "konqer-config")
    secret = one(resources, "ExternalSecret", "konqer-secrets")
    keys = {d["secretKey"] for d in secret["spec"]["data"]}
    for key in configmap["data"]:
        if key not in known:
            finding(f"{where} ConfigMap", f"{key} is not a setting in crates/server/src/config/settings.rs")
        elif known[key]:
            finding(f"{where} ConfigMap", f"{key} is a secret setting; it belongs in the ExternalSecret")
    for key in sorted(keys - set(known)):
        finding(f"{where} ExternalSecret", f"{key} is not a setting in crates/server/src/config/settings.rs")
    for key, why in FLEET_SECRETS.items():
        if key not in keys:
            finding(f"{where} ExternalSecret", f"must provide {key} ({why})")
    for r in by_kind(resources, "Deployment") + by_kind(resources, "Job"):
        for c in containers(r):
            for env in c.get("env", []):
                if env["name"] not in known:
                    finding(f"{where} {r['metadata']['name']}", f"env {env['name']} is not a setting")
            if c.get("envFrom") != [{"configMapRef": {"name": "konqer-config"}}, {"secretRef": {"name": "konqer-secrets"}}]:
                finding(f"{where} {r['metadata']['name']}", "containers load konqer-config, then konqer-secrets")
    return configmap, keys


def check_workloads(where, overlay, resources, configmap):
    api, worker = one(resources, "Deployment", "konqer-api"), one(resources, "Deployment", "konqer-worker")
    job = one(resources, "Job", "konqer-migrate")
    if not (api and worker and job):
        finding(where, "Deployments konqer-api and konqer-worker and Job konqer-migrate must exist")
        return None
    spec = api["spec"]
    c = spec["template"]["spec"]["containers"][0]
    hpa = one(resources, "HorizontalPodAutoscaler", "konqer-api")
    if "replicas" in spec or not hpa:
        finding(where, "the HPA konqer-api owns the API's replica count; the Deployment sets none")
    elif overlay == "production" and hpa["spec"]["minReplicas"] < 3:
        finding(where, "production runs at least 3 API replicas (HPA minReplicas)")
    if spec["strategy"].get("rollingUpdate", {}).get("maxUnavailable") != 0:
        finding(where, "the API rolls out with maxUnavailable: 0")
    for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") != "http":
            finding(where, f"API {probe} must GET {path} on port http")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
    for setting, port in (("KONQER_LISTEN", "http"), ("KONQER_ADMIN_LISTEN", "admin")):
        if env.get(setting, "").rsplit(":", 1)[-1] != str(ports.get(port)):
            finding(where, f"containerPort {port} must be the port of {setting}")
    expected = {"konqer-api": ["serve", "--no-migrate"], "konqer-worker": ["worker"], "konqer-migrate": ["migrate"]}
    for r in (api, worker, job):
        if pod_spec(r)["containers"][0].get("args") != expected[r["metadata"]["name"]]:
            finding(where, f"{r['metadata']['name']} runs `konqer {' '.join(expected[r['metadata']['name']])}`")
    if job["metadata"]["labels"].get("app.kubernetes.io/component") != "migrate":
        finding(where, "the rollout workflow selects the migration Job by app.kubernetes.io/component=migrate")
    grace = int(configmap["data"].get("KONQER_SHUTDOWN_GRACE_SECS", "30"))
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    if spec["template"]["spec"].get("terminationGracePeriodSeconds", 30) <= grace + pre_stop:
        finding(where, "terminationGracePeriodSeconds must exceed preStop + KONQER_SHUTDOWN_GRACE_SECS")
    return api


def check_exposure(where, resources, api, keys):
    """Services, NetworkPolicies, ServiceMonitor: the admin port is reachable only in-cluster,
    only by Prometheus (and port-forward, which bypasses the pod network)."""
    if by_kind(resources, "Ingress"):
        finding(where, "no Ingress: Kong is the way in, and the admin listener has none")
    templates = [r["spec"]["template"] for r in by_kind(resources, "Deployment")]
    for service in by_kind(resources, "Service"):
        name = service["metadata"]["name"]
        matched = [t for t in templates if selects(service["spec"]["selector"], t["metadata"]["labels"])]
        named_ports = {p["name"] for t in matched for c in t["spec"]["containers"] for p in c.get("ports", [])}
        if not matched:
            finding(where, f"Service {name} selects no pods")
        if service["spec"].get("type", "ClusterIP") != "ClusterIP":
            finding(where, f"Service {name} must be ClusterIP")
        targets = [p["targetPort"] for p in service["spec"]["ports"]]
        for target in targets:
            if target not in named_ports:
                finding(where, f"Service {name} targets unknown port {target}")
        if "admin" in targets and name != "konqer-admin":
            finding(where, f"Service {name} exposes the admin port; only konqer-admin may")
        expected = {"konqer-admin": ["admin"], "konqer-api": ["http"]}.get(name)
        if expected and targets != expected:
            finding(where, f"Service {name} must expose exactly {expected}")
    policies = by_kind(resources, "NetworkPolicy")
    if not any(p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"] and not p["spec"].get("ingress")
               for p in policies):
        finding(where, "no default-deny ingress NetworkPolicy")
    allowed = {}
    labels = api["spec"]["template"]["metadata"]["labels"]
    for policy in policies:
        selector = policy["spec"]["podSelector"]
        if "Ingress" not in policy["spec"]["policyTypes"] or not (selector == {} or selects(selector.get("matchLabels"), labels)):
            continue
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", [{"port": "any"}]):
                for peer in rule.get("from", [{}]):
                    ns = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                    app = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                    allowed.setdefault(port["port"], set()).add((ns, app))
    if allowed != {4000: {("kong", "kong")}, 4001: {("monitoring", "prometheus")}}:
        finding(where, f"API pods must admit 4000 from Kong and 4001 from Prometheus only, not {allowed}")
    for hpa in by_kind(resources, "HorizontalPodAutoscaler"):
        target = one(resources, hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
        if not target or hpa["spec"]["minReplicas"] < 2:
            finding(where, f"HPA {hpa['metadata']['name']}: target missing, or fewer than 2 replicas")
    for pdb in by_kind(resources, "PodDisruptionBudget"):
        if not any(selects(pdb["spec"]["selector"]["matchLabels"], t["metadata"]["labels"]) for t in templates):
            finding(where, f"PodDisruptionBudget {pdb['metadata']['name']} selects no pods")
    monitor, admin = one(resources, "ServiceMonitor", "konqer-admin"), one(resources, "Service", "konqer-admin")
    if not (monitor and admin and selects(monitor["spec"]["selector"]["matchLabels"], admin["metadata"]["labels"])):
        finding(where, "ServiceMonitor konqer-admin must select Service konqer-admin")
    else:
        endpoint = monitor["spec"]["endpoints"][0]
        credentials = endpoint.get("authorization", {}).get("credentials", {})
        if (endpoint["port"], endpoint.get("path")) != ("admin", "/metrics") or \
                credentials.get("name") != "konqer-secrets" or credentials.get("key") not in keys:
            finding(where, "ServiceMonitor scrapes port admin at /metrics with a token from konqer-secrets")


def check_custom_resources(where, resources):
    import jsonschema
    for resource in resources:
        schema = CRD_SCHEMAS.get((resource["apiVersion"], resource["kind"]))
        for error in jsonschema.Draft202012Validator(schema).iter_errors(resource) if schema else []:
            path = "/".join(str(p) for p in error.absolute_path)
            finding(where, f"{resource['kind']} {resource['metadata']['name']}: {path}: {error.message}")


# ---- Kong and Keycloak --------------------------------------------------------------------

KONG_FIELDS = {
    "service": {"name", "url", "connect_timeout", "read_timeout", "write_timeout", "retries", "routes", "plugins"},
    "route": {"name", "paths", "methods", "protocols", "hosts", "strip_path", "preserve_host", "regex_priority"},
    "rate-limiting": {"second", "minute", "hour", "limit_by", "header_name", "policy", "redis",
                      "fault_tolerant", "hide_client_headers", "error_code", "error_message"},
    "cors": {"origins", "methods", "headers", "exposed_headers", "credentials", "max_age", "preflight_continue"},
    "request-size-limiting": {"allowed_payload_size", "size_unit", "require_content_length"},
    "file-log": {"path", "reopen", "custom_fields_by_lua"},
    "correlation-id": {"header_name", "generator", "echo_downstream"},
}


def kong_route(services, path):
    """Kong's pick for `path`: regex routes by regex_priority, then the longest prefix."""
    best = None
    for service in services:
        for route in service.get("routes", []):
            for p in route["paths"]:
                regex = p.startswith("~")
                if re.match(p[1:], path) if regex else path.startswith(p):
                    rank = (1, route.get("regex_priority", 0), 0) if regex else (0, 0, len(p))
                    if best is None or rank > best[0]:
                        best = (rank, service, route)
    return (best[1], best[2]) if best else (None, None)


def check_kong(configmap, production):
    where = "deploy/kong/kong.yaml"
    kong = yaml.safe_load((DEPLOY / "kong/kong.yaml").read_text())
    services, global_plugins = kong["services"], {p["name"]: p for p in kong.get("plugins", [])}
    api = one(production, "Service", "konqer-api")
    upstream = f"http://konqer-api.{api['metadata']['namespace']}.svc.cluster.local:{api['spec']['ports'][0]['port']}"
    for service in services:
        if service["url"] != upstream:
            finding(where, f"service {service['name']} must point at {upstream}")
        for field in set(service) - KONG_FIELDS["service"]:
            finding(where, f"service {service['name']}: unknown field {field}")
        for route in service.get("routes", []):
            for field in set(route) - KONG_FIELDS["route"]:
                finding(where, f"route {route['name']}: unknown field {field}")
            if route.get("strip_path") is not False or route.get("protocols") != ["https"]:
                finding(where, f"route {route['name']}: https only, strip_path false (the API sees full paths)")
            for path in route["paths"]:
                plain = path.lstrip("~").replace("\\", "").rstrip("$")
                if not plain.startswith(KONG_PUBLIC):
                    finding(where, f"route {route['name']}: {path} is outside the public paths {KONG_PUBLIC}")
        for plugin in service.get("plugins", []) + list(global_plugins.values()):
            for field in set(plugin.get("config", {})) - KONG_FIELDS.get(plugin["name"], set()):
                finding(where, f"plugin {plugin['name']}: unknown config field {field}")
    for template in set(openapi_paths()) - set(KONG_NEVER):
        if kong_route(services, re.sub(r"\{[^}]+\}", "x1", template))[1] is None:
            finding(where, f"{template} (OpenAPI) is not routed")
    for path in KONG_NEVER:
        if kong_route(services, path)[1] is not None:
            finding(where, f"{path} must not be routed")

    data = configmap["data"]
    api_service, _ = kong_route(services, "/api/services")
    webhook_service, webhook_route = kong_route(services, "/api/webhooks/stripe")
    plugins = {p["name"]: p.get("config", {}) for p in api_service.get("plugins", [])}
    limit = plugins.get("rate-limiting", {})
    per_minute = int(data.get("KONQER_RATE_LIMIT_PER_MINUTE", "60"))
    if not limit.get("minute", 0) > per_minute:
        finding(where, f"rate-limiting minute must exceed KONQER_RATE_LIMIT_PER_MINUTE ({per_minute}) so the API's "
                       "problem+json 429 answers first")
    if limit.get("policy") != "redis" or limit.get("hide_client_headers") is not True:
        finding(where, "rate-limiting counts in Redis and hides its headers (the API's RateLimit-* stand)")
    if "rate-limiting" in global_plugins or webhook_route is None or \
            any(p["name"] == "rate-limiting" for p in webhook_service.get("plugins", [])):
        finding(where, "/api/webhooks/stripe must be routed without rate limiting (Stripe signs it)")
    size = global_plugins.get("request-size-limiting", {}).get("config", {})
    unit = {"megabytes": 1 << 20, "kilobytes": 1 << 10, "bytes": 1}[size.get("size_unit", "megabytes")]
    if size.get("allowed_payload_size", 0) * unit != int(data["KONQER_BODY_LIMIT_BYTES"]):
        finding(where, "request-size-limiting must equal KONQER_BODY_LIMIT_BYTES")
    log = global_plugins.get("file-log", {}).get("config", {}).get("custom_fields_by_lua", {})
    if log.get("request.headers.authorization") != "return nil":
        finding(where, "the access log must drop the Authorization header")
    origins = {"https://konqer.app"} | {f"https://{slug}.konqer.app" for slug in service_slugs()}
    if set(plugins.get("cors", {}).get("origins", [])) != origins:
        finding(where, "CORS origins must be https://konqer.app and the twelve service sub-domains")
    if set(data["KONQER_CORS_ORIGINS"].split(",")) != origins:
        finding("production ConfigMap", "KONQER_CORS_ORIGINS must be https://konqer.app and the twelve sub-domains")
    return origins


def check_keycloak(origins):
    where = "deploy/keycloak/konqer-realm.json"
    realm = json.loads((DEPLOY / "keycloak/konqer-realm.json").read_text())

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if re.search(r"secret$|password$", key, re.I) and isinstance(value, str) \
                        and not re.fullmatch(r"\$\{[A-Z0-9_]+\}", value):
                    finding(where, f"{path}/{key} holds a value; secrets are ${{ENV}} placeholders")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")
    walk(realm, "")
    web = next(c for c in realm["clients"] if c["clientId"] == "konqer-web")
    if set(web["webOrigins"]) != origins:
        finding(where, "konqer-web webOrigins must be the apex and the twelve sub-domains")
    if {u.removesuffix("/auth/callback/*") for u in web["redirectUris"]} != origins:
        finding(where, "konqer-web redirectUris must be <origin>/auth/callback/* for every web origin")


# ---- metrics, rules, dashboards -----------------------------------------------------------

GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d", "$namespace": "konqer"}


def rule_groups():
    return yaml.safe_load((DEPLOY / "k8s/base/prometheusrule.yaml").read_text())["spec"]["groups"]


def dashboard_queries():
    queries = []
    for path in sorted((DEPLOY / "observability/grafana").glob("*.json")):
        dashboard = json.loads(path.read_text())
        if len({p["id"] for p in dashboard["panels"]}) != len(dashboard["panels"]):
            finding(path.name, "panel ids must be unique")
        for panel in dashboard["panels"]:
            if panel["type"] != "row" and not panel.get("targets"):
                finding(path.name, f"panel {panel['title']!r} has no query")
            queries += [(path.name, panel["title"], t["expr"]) for t in panel.get("targets", [])]
        queries += [(path.name, a["name"], a["expr"]) for a in dashboard.get("annotations", {}).get("list", []) if "expr" in a]
    return queries


def check_metrics():
    exported, proposed = exported_metrics(), proposed_metrics()
    for name in sorted(proposed & exported):
        finding("deploy/observability/metrics.md", f"{name} is exported now; mark it exported")
    recorded = {r["record"] for g in rule_groups() for r in g["rules"] if "record" in r}
    queries = [("prometheusrule.yaml", r.get("alert") or r["record"], r["expr"]) for g in rule_groups() for r in g["rules"]]
    not_yet = set()
    for source, title, expr in queries + dashboard_queries():
        for name in set(re.findall(r"\bkonqer_[a-z0-9_]+", re.sub(r'"[^"]*"', '""', expr))):
            base = re.sub(r"_(total|bucket|sum|count)$", "", name)
            if name in exported:
                continue
            if base in proposed or name in proposed:
                not_yet.add(base)
            else:
                finding(source, f"{title}: metric {name} is neither exported by the code nor proposed in metrics.md")
        for name in re.findall(r"\bkonqer:[a-z0-9_:]+", expr):
            if name not in recorded:
                finding(source, f"{title}: recording rule {name} does not exist")
    return sorted(not_yet)


def check_runbooks():
    """Every alert links to a section of docs/OPERATIONS.md that exists."""
    text = (ROOT / "docs/OPERATIONS.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#{2,4} (.+)$", text, re.M)}
    for group in rule_groups():
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            url = rule.get("annotations", {}).get("runbook_url", "")
            if not url.startswith("https://github.com/konqer/konqer/blob/main/docs/OPERATIONS.md#"):
                finding("prometheusrule.yaml", f"{rule['alert']}: runbook_url must point into docs/OPERATIONS.md")
            elif url.split("#", 1)[1] not in anchors:
                finding("prometheusrule.yaml", f"{rule['alert']}: docs/OPERATIONS.md has no section #{url.split('#', 1)[1]}")


def write_rules(out):
    pathlib.Path(out).write_text(yaml.safe_dump({"groups": rule_groups()}, sort_keys=False))


def write_dashboard_rules(out):
    rules = []
    for i, (_, title, expr) in enumerate(dashboard_queries()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        if "$" in expr:
            raise SystemExit(f"dashboard panel {title!r}: unknown Grafana variable in {expr}")
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    pathlib.Path(out).write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))


# ---- container environments for `konqer config` ------------------------------------------

PLACEHOLDERS = {
    "DATABASE_URL": "postgres://konqer:placeholder@postgres:5432/konqer",
    "REDIS_URL": "redis://:placeholder@redis:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
}


def environments(overlay):
    """(name, [NAME=VALUE]) per container: what the pod's process sees."""
    resources = render(overlay)
    data = one(resources, "ConfigMap", "konqer-config")["data"]
    keys = [d["secretKey"] for d in one(resources, "ExternalSecret", "konqer-secrets")["spec"]["data"]]
    secrets = {k: PLACEHOLDERS.get(k, "placeholder-0123456789abcdef") for k in keys}
    for r in by_kind(resources, "Deployment") + by_kind(resources, "Job"):
        for c in containers(r):
            env = {**data, **secrets, **{e["name"]: e["value"] for e in c.get("env", [])}}
            yield f"{r['metadata']['name']}/{c['name']}", [f"{k}={v}" for k, v in env.items()]


# ---- main ---------------------------------------------------------------------------------

def check():
    known = settings()
    if len(known) < 20:
        finding("crates/server/src/config/settings.rs", "could not read the SETTINGS table")
    rendered = {}
    for overlay in OVERLAYS:
        try:
            rendered[overlay] = render(DEPLOY / "k8s/overlays" / overlay)
        except (RenderError, KeyError, IndexError, ValueError) as err:
            finding(f"overlay {overlay}", f"does not render: {err}")
    for overlay, resources in rendered.items():
        where = f"overlay {overlay}"
        check_custom_resources(where, resources)
        check_pods(where, resources)
        configmap, keys = check_settings(where, resources, known)
        api = check_workloads(where, overlay, resources, configmap)
        if api:
            check_exposure(where, resources, api, keys)
    if "production" in rendered:
        production = rendered["production"]
        check_keycloak(check_kong(one(production, "ConfigMap", "konqer-config"), production))
    not_yet = check_metrics()
    check_runbooks()
    for line in findings:
        print(line)
    if not_yet:
        print("note: the dashboard shows proposed metrics the code does not export yet (empty panels): "
              + ", ".join(not_yet))
    return 1 if findings else 0


def main(argv):
    command = argv[0] if argv else ""
    if command == "render":
        resources = render(argv[1])
        if "--builtin-only" in argv:
            resources = [r for r in resources if (r["apiVersion"], r["kind"]) not in CRD_SCHEMAS]
        print(yaml.safe_dump_all(resources, sort_keys=False), end="")
    elif command == "env":
        for name, lines in environments(argv[1]):
            print(json.dumps({"container": name, "env": lines}))
    elif command == "rules":
        write_rules(argv[1])
    elif command == "dashboard-rules":
        write_dashboard_rules(argv[1])
    elif command == "check":
        return check()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
