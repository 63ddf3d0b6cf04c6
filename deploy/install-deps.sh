#!/usr/bin/env bash
# Installs the Debian 12 packages lskeld builds and tests with (needs root).
# Swift itself comes from the machine image (/opt/swift).
set -euo pipefail

build=(libbpf-dev libelf-dev zlib1g-dev libssl-dev libseccomp-dev)
tests=(
  bpftool clang util-linux gcc libc6-dev make                # reference tool, fixtures, namespaces, drivers, Makefiles
  python3 python3-jsonschema python3-venv curl               # schema validation, CI tools, HTTP client
  chromium chromium-driver python3-selenium                  # the web form in a real browser
  systemd                                                    # CI: systemd-analyze verify of the unit
  qemu-system-x86 busybox-static cpio                        # the kernel matrix's guests
  postgresql postgresql-client                               # the shared store on a real PostgreSQL server
)
# --build: only what building and running lskeld needs (deploy/run).
if [ "${1:-}" = "--build" ]; then packages=("${build[@]}"); else packages=("${build[@]}" "${tests[@]}"); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
