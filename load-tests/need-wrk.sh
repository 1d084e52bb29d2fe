# Sourced by the benchmark scripts that drive wrk: installs Debian's wrk when it is missing and
# this runs as root, else says what to install.
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else
    echo "wrk is needed: sudo apt-get install wrk" >&2; exit 1
  fi
fi
