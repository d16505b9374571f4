#!/bin/sh
# Starts nginx for the GHARTS frontend (POSIX sh: the runtime images have only busybox/ash).
#   NGINX_WORKER_PROCESSES  number of workers, or "auto" (default 2: pods have small CPU limits)
#   BACKEND_URL             optional, e.g. http://127.0.0.1:8000: proxy /api, /auth, /docs,
#                           /openapi.json, /readyz and /health to the backend, for a single-port
#                           run (podman, kubectl port-forward). Unset: the frontend serves only
#                           the site, and an Ingress or HTTPRoute routes those paths.
# Generated configuration goes to /tmp/nginx-conf (the root filesystem is read-only).
set -eu
conf_dir=/tmp/nginx-conf
mkdir -p "$conf_dir"
rm -f "$conf_dir"/*.conf

workers="${NGINX_WORKER_PROCESSES:-2}"
case "$workers" in
  auto | [1-9] | [1-9][0-9]) ;;
  *) echo "gharts-nginx: NGINX_WORKER_PROCESSES must be a number or auto, not '$workers'" >&2; exit 2 ;;
esac

# Listen on IPv6 too when the network namespace has it.
if [ -s /proc/net/if_inet6 ]; then
  echo 'listen [::]:8080;' > "$conf_dir/listen-ipv6.conf"
fi

if [ -n "${BACKEND_URL:-}" ]; then
  # Only scheme://host[:port], so the value cannot inject configuration.
  if ! printf '%s' "$BACKEND_URL" | grep -Eq '^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?$'; then
    echo "gharts-nginx: BACKEND_URL must look like http://host:port, not '$BACKEND_URL'" >&2
    exit 2
  fi
  backend="${BACKEND_URL%/}"
  cat > "$conf_dir/backend-proxy.conf" <<CONF
# Written by gharts-nginx-entrypoint from BACKEND_URL.
location ~ ^/(api|auth|docs)(/|\$) { include /etc/nginx/gharts/proxy.conf; proxy_pass $backend; }
location ~ ^/(openapi\.json|readyz|health)\$ { include /etc/nginx/gharts/proxy.conf; proxy_pass $backend; }
CONF
  echo "gharts-nginx: proxying /api, /auth, /docs, /openapi.json, /readyz, /health to $backend"
fi

exec nginx -e stderr -c /etc/nginx/nginx.conf -g "daemon off; worker_processes $workers;"
