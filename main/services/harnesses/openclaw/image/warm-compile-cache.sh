#!/bin/sh
# Runs at image build: starts the OpenClaw gateway once with a throwaway config until /readyz answers
# 200, so Node's compile cache ($NODE_COMPILE_CACHE) holds the modules a real start loads; then removes
# every trace of that run. Fails the build when the gateway does not get ready within 180 s.
set -eu
warm=$(mktemp -d /tmp/openclaw-warm.XXXXXX)
mkdir -p "$warm/.openclaw" "$warm/workspace" "$NODE_COMPILE_CACHE"
cat >"$warm/.openclaw/openclaw.json" <<JSON
{
  "gateway": { "mode": "local", "port": 18789, "bind": "loopback", "auth": { "mode": "none" },
    "http": { "endpoints": { "chatCompletions": { "enabled": true } } } },
  "agents": { "defaults": { "workspace": "$warm/workspace" } }
}
JSON
HOME="$warm" openclaw --version
HOME="$warm" openclaw gateway run >"$warm/gateway.log" 2>&1 &
pid=$!
ok=''
i=0
while [ "$i" -lt 360 ]; do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if curl -fs -o /dev/null "http://127.0.0.1:18789/readyz"; then ok=1; break; fi
  sleep 0.5
  i=$((i + 1))
done
kill -TERM "$pid" 2>/dev/null || :
wait "$pid" 2>/dev/null || :
if [ -z "$ok" ]; then
  echo "warm-compile-cache: the OpenClaw gateway did not get ready; its log:" >&2
  tail -n 40 "$warm/gateway.log" >&2 || :
  exit 1
fi
rm -rf "$warm" /tmp/openclaw
echo "warm-compile-cache: $(find "$NODE_COMPILE_CACHE" -type f | wc -l) cache files"
