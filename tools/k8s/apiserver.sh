#!/usr/bin/env bash
# A real, throw-away Kubernetes control plane on loopback for test/apiserver:
# etcd + kube-apiserver (+ kube-controller-manager running only the namespace, serviceaccount and
# garbage-collector controllers, so namespaces finalize, `default` ServiceAccounts exist and owned
# objects are collected). Nothing listens beyond 127.0.0.1; etcd speaks plain HTTP on loopback.
#
#   tools/k8s/apiserver.sh start   build check, certificates, start, wait for /readyz, write kubeconfig
#   tools/k8s/apiserver.sh stop    stop what `start` started (by pid file) and delete its state
#   tools/k8s/apiserver.sh env     print `export TAP_KUBECONFIG=...` for a running server
#   tools/k8s/apiserver.sh status  exit 0 when /readyz answers ok
#
# State lives in $TAP_K8S_RUN (default $TAP_K8S_CACHE/run): certificates, etcd data, logs, pids and
# the kubeconfig test/apiserver reads. Binaries come from tools/k8s/build.sh (run it first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tools/k8s/lib.sh
. "$here/lib.sh"
run="$K8S_RUN"

log() { echo "apiserver: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A process that exists and is not a zombie (an orphan's exit is reaped by whatever PID 1 is, late).
running() { kill -0 "$1" 2>/dev/null && ! grep -qs '^[0-9]* (.*) Z' "/proc/$1/stat"; }
alive() { [ -f "$run/$1.pid" ] && running "$(cat "$run/$1.pid")"; }

readyz() {
  [ -f "$run/port" ] || return 1
  curl -fsS --max-time 3 --cacert "$run/pki/ca.crt" --cert "$run/pki/admin.crt" --key "$run/pki/admin.key" \
    "https://127.0.0.1:$(cat "$run/port")/readyz" 2>/dev/null | grep -qx ok
}

certs() {
  local pki="$run/pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    exec 2>"$run/openssl.log" >&2
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tap-test-ca" \
      -keyout ca.key -out ca.crt
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout server.key -out server.csr
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
    # system:masters: the admin identity (bypasses RBAC), used by the test and the controller manager.
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=tap-test-admin" -keyout admin.key -out admin.csr
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out admin.crt
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) || { log "openssl failed; see $run/openssl.log"; exit 1; }
}

kubeconfig() {
  local port="$1" file="$2"
  cat >"$file" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: tap-test
    cluster:
      server: https://127.0.0.1:$port
      certificate-authority: $run/pki/ca.crt
users:
  - name: tap-test-admin
    user:
      client-certificate: $run/pki/admin.crt
      client-key: $run/pki/admin.key
contexts:
  - name: tap-test
    context: { cluster: tap-test, user: tap-test-admin }
current-context: tap-test
KC
}

wait_for() { # what seconds command...
  local what="$1" secs="$2"
  shift 2
  local i
  for ((i = 0; i < secs * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  log "$what not ready after ${secs}s"
  return 1
}

start() {
  if alive kube-apiserver && readyz; then
    log "already running ($(cat "$run/kubeconfig.path"))"
    return 0
  fi
  [ -x "$K8S_BIN/kube-apiserver" ] || { log "no $K8S_BIN/kube-apiserver; run tools/k8s/build.sh"; exit 1; }
  local etcd
  etcd="$(etcd_bin)" || { log "no etcd >= 3.4; run tools/k8s/build.sh"; exit 1; }
  stop quiet
  local t0 t1
  t0=$(date +%s%N)
  mkdir -p "$run/etcd"
  chmod 700 "$run" "$run/etcd"
  certs
  local etcd_port peer_port port
  etcd_port=$(free_port) peer_port=$(free_port) port=$(free_port)
  echo "$port" >"$run/port"

  ETCD_UNSUPPORTED_ARCH="" nohup "$etcd" --name tap-test --data-dir "$run/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "tap-test=http://127.0.0.1:$peer_port" \
    --quota-backend-bytes $((512 * 1024 * 1024)) --log-level warn \
    >"$run/etcd.log" 2>&1 </dev/null &
  echo $! >"$run/etcd.pid"
  wait_for etcd 30 curl -fs --max-time 2 "http://127.0.0.1:$etcd_port/health" -o /dev/null ||
    { tail -20 "$run/etcd.log" >&2; stop quiet; exit 1; }

  # Admission: the defaults (NamespaceLifecycle, LimitRanger, ServiceAccount, PodSecurity, Priority,
  # ResourceQuota, the webhook/policy plugins, ...) plus PodSecurity named explicitly.
  nohup "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
    --tls-cert-file "$run/pki/server.crt" --tls-private-key-file "$run/pki/server.key" \
    --client-ca-file "$run/pki/ca.crt" --cert-dir "$run/pki" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$run/pki/sa.pub" --service-account-signing-key-file "$run/pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins PodSecurity,NodeRestriction \
    --allow-privileged=true --profiling=false --v=1 \
    >"$run/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$run/kube-apiserver.pid"
  wait_for kube-apiserver 120 readyz || { tail -30 "$run/kube-apiserver.log" >&2; stop quiet; exit 1; }
  t1=$(date +%s%N)

  kubeconfig "$port" "$run/kubeconfig"
  echo "$run/kubeconfig" >"$run/kubeconfig.path"
  if [ -x "$K8S_BIN/kube-controller-manager" ]; then
    nohup "$K8S_BIN/kube-controller-manager" --kubeconfig "$run/kubeconfig" \
      --controllers namespace,serviceaccount,garbagecollector \
      --service-account-private-key-file "$run/pki/sa.key" --root-ca-file "$run/pki/ca.crt" \
      --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --v=1 \
      >"$run/kube-controller-manager.log" 2>&1 </dev/null &
    echo $! >"$run/kube-controller-manager.pid"
  fi
  local ms=$(((t1 - t0) / 1000000))
  log "ready in $((ms / 1000)).$(printf %03d $((ms % 1000)))s: kube-apiserver v$K8S_VERSION on https://127.0.0.1:$port, $("$etcd" --version | head -1)"
  log "kubeconfig: $run/kubeconfig"
}

stop() {
  # All at once (the state is thrown away, nothing needs an orderly hand-over), then wait up to 10 s.
  local name pid i pids=()
  for name in kube-controller-manager kube-apiserver etcd; do
    [ -f "$run/$name.pid" ] || continue
    pid="$(cat "$run/$name.pid")"
    running "$pid" && kill "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$run/$name.pid"
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$run/etcd" "$run/pki" "$run/kubeconfig" "$run/kubeconfig.path" "$run/port"
  [ "${1:-}" = quiet ] || log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    alive kube-apiserver && readyz || { log "not running; tools/k8s/apiserver.sh start"; exit 1; }
    echo "export TAP_KUBECONFIG=$run/kubeconfig"
    ;;
  status) alive kube-apiserver && readyz ;;
  *)
    echo "usage: $0 start|stop|env|status" >&2
    exit 2
    ;;
esac
