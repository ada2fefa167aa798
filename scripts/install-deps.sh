#!/bin/sh
# Installs the Debian packages flowfleet builds and runs with.
# Idempotent: asks dpkg which are missing, runs `apt-get update` and
# `apt-get install` only when something is, and is a no-op otherwise.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev
librdkafka-dev libcurl4-openssl-dev libmsgpack-dev libjansson-dev libhiredis-dev
python3-dev libmicrohttpd-dev libxml2-dev libpcre2-dev
redis-server kcat wrk jython jq python3-jsonschema"
# Optional, never part of the list above (make test does not need them):
# `install-deps.sh java` installs only the Java runtime and Debian's Jackson
# jars, for comparing Jolt with the Java library in make bench / make
# conformance (scripts/bench.sh and scripts/conformance.sh ask for them when
# ../shared/bench/jolt-java is there and no `java` is on the PATH).
if [ "${1:-}" = java ]; then
    PKGS="default-jre-headless libjackson2-core-java libjackson2-databind-java
libjackson2-annotations-java libatinject-jsr330-api-java"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
