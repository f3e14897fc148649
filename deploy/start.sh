#!/usr/bin/env bash
# Start the dashboard under gunicorn: what the systemd unit runs (ExecStart), and a way to run it
# by hand the same way. Settings come from the environment (README, Configuration).
set -euo pipefail
app_dir=${DASHBOARD_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
venv=${DASHBOARD_VENV:-$app_dir/.venv}
cd "$app_dir"

if [[ ! -x $venv/bin/gunicorn ]]; then
    echo "start.sh: no gunicorn in $venv (python3 -m venv $venv; $venv/bin/pip install $app_dir)" >&2
    exit 1
fi
# gunicorn.conf.py makes a temporary directory when none is given; a given one must exist.
if [[ -n ${PROMETHEUS_MULTIPROC_DIR:-} ]]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$venv/bin/gunicorn" -c "$app_dir/gunicorn.conf.py"
