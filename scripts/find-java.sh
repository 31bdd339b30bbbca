#!/bin/sh
# Prints the path of a java binary of version 21 or newer, looking where JDKs usually live:
# $JAVA_HOME, the java on PATH, /usr/lib/jvm/*, /opt/java/*, /usr/local/*jdk*. Exits 1 when none is found.
# Usage: JAVA=$(scripts/find-java.sh) || exit 1
set -u

feature() { # prints the feature version of the JDK/JRE home $1, or nothing
  [ -f "$1/release" ] || return 0
  v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1/release")
  case "$v" in
    1.*) v=${v#1.} ;;
  esac
  printf '%s\n' "${v%%[._+-]*}"
}

candidates() {
  [ -n "${JAVA_HOME:-}" ] && printf '%s\n' "$JAVA_HOME"
  j=$(command -v java 2>/dev/null) && [ -n "$j" ] && j=$(readlink -f "$j") && printf '%s\n' "${j%/bin/java}"
  for h in /usr/lib/jvm/* /opt/java/* /usr/local/*jdk* /usr/local/*jre*; do
    [ -d "$h" ] && printf '%s\n' "$h"
  done
}

best=""
best_v=0
for h in $(candidates); do
  [ -x "$h/bin/java" ] || continue
  v=$(feature "$h")
  case "$v" in
    '' | *[!0-9]*) continue ;;
  esac
  if [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then
    best=$h/bin/java
    best_v=$v
  fi
done
if [ -z "$best" ]; then
  echo "no JDK 21 or newer found (looked at JAVA_HOME, PATH, /usr/lib/jvm, /opt/java); install one, e.g. apt-get install openjdk-21-jdk-headless" >&2
  exit 1
fi
printf '%s\n' "$best"
