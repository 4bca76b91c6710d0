# Sourced by start_bot.sh, stop_bot.sh and check_bot_status.sh: the repository root and the Python to use.
# Works from any working directory (cron, systemd, another shell's folder): the scripts cd to the
# repository root, so run/, configs/ and relative paths in their arguments resolve against it.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="$root/.venv/bin/python"
if [ ! -x "$python" ]; then
  python="$(command -v python3 || command -v python || true)"
  if [ -z "$python" ]; then
    echo "$(basename "$0"): no Python found: create $root/.venv (see README.md) or put python3 on PATH" >&2
    exit 127
  fi
fi
