#!/usr/bin/env bash
# Installs every Debian package edgeserve needs to build, test and generate fixtures.
# Idempotent: packages already present are skipped by apt; safe to run as root or via sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libprotobuf-dev protobuf-compiler
  libonnx-dev libonnx-testdata
  libdnnl-dev ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libgrpc++-dev protobuf-compiler-grpc libsimdjson-dev curl
  python3-grpcio python3-protobuf
  python3-numpy python3-onnx python3-torch python3-torchvision
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  libopencv-core-dev libopencv-imgproc-dev libopencv-objdetect-dev libopencv-imgcodecs-dev opencv-doc
  libsqlite3-dev libyaml-cpp-dev libmosquitto-dev mosquitto python3-paho-mqtt
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
