# Shared settings for tools/k8s/*.sh (sourced). Everything outside the repo lives under $K8S_CACHE.
K8S_VERSION="${TAP_K8S_VERSION:-1.35.4}"
K8S_VERSION="${K8S_VERSION#v}"
K8S_MINOR="${K8S_VERSION%.*}"
K8S_CACHE="${TAP_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tap-k8s}"
K8S_BIN="$K8S_CACHE/v$K8S_VERSION"
# Runtime state (certificates, etcd data, logs, pids, kubeconfig) of `apiserver.sh start`.
K8S_RUN="${TAP_K8S_RUN:-$K8S_CACHE/run}"
K8S_KUBECONFIG="$K8S_RUN/kubeconfig"
# etcd built from the module proxy (tools/k8s/etcd/go.mod) when the system has none >= 3.4, or when
# TAP_ETCD_BUILD=1 (prefer it to the system's).
ETCD_VERSION="$(sed -n 's/^require go.etcd.io\/etcd\/server\/v3 v//p' "$(dirname "${BASH_SOURCE[0]}")/etcd/go.mod")"
ETCD_BUILT="$K8S_CACHE/etcd-v$ETCD_VERSION/etcd"

# The etcd binary to use: $TAP_ETCD, else the system's (>= 3.4), else the one build.sh built.
etcd_bin() {
  local cand system
  system="$(command -v etcd 2>/dev/null || true)"
  [ "${TAP_ETCD_BUILD:-}" = 1 ] && system=""
  for cand in "${TAP_ETCD:-}" "$system" "$ETCD_BUILT"; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    # "etcd Version: 3.4.23" (3.4) or "etcd Version: 3.5.21" (3.5+)
    if "$cand" --version 2>/dev/null | awk '/^etcd Version:/{split($3,v,"."); exit !(v[1]>3 || (v[1]==3 && v[2]>=4))}'; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}
