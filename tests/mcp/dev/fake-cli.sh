#!/usr/bin/env bash
# DEV ONLY: mimics `imapgate token create|revoke … --config FILE` for dev-server.mjs.
# The "config" is the tokens file: lines "NAME SECRET".
set -eu
cmd="$1 $2"; shift 2
name=""; cfg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --accounts|--posture) shift 2 ;;
    --config) cfg="$2"; shift 2 ;;
    *) name="$1"; shift ;;
  esac
done
case "$cmd" in
  "token create") s="igt_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | cut -c1-43)"; echo "$name $s" >> "$cfg"; echo "$s" ;;
  "token revoke") sed -i "/^$name /d" "$cfg" ;;
esac
