# Sourced by the scripts that change the system (apt sources, apt installs) for the build: the one place that
# decides whether they may. CUDAGENRE_SYSTEM_CHANGES=0 forbids it: the script then names what it would have done
# and fails, so its caller skips what needed it. .ci/run sets it to 0 unless CI=true or `.ci/run --install`;
# a script run by hand (the variable unset) may change the system, since running it is asking for that.
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# Usage: system_change "what it does" command args…
system_change() {
  local what=$1; shift
  if [ "${CUDAGENRE_SYSTEM_CHANGES:-1}" = 0 ]; then
    echo "not changing this system ($what): set CI=true or run .ci/run --install to allow it" >&2
    return 1
  fi
  echo "system change: $what" >&2
  "$@"
}
apt_install() { # packages…
  system_change "apt-get install $*" env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
apt_update() {
  system_change "apt-get update" env DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
}
