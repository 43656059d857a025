#!/usr/bin/env bash
# System packages the tests need, from Debian's registry. Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)  # the scratch voice-over (render/tts.py): EN and ZH voices
# OCR (issue 16): rapidocr-onnxruntime pulls opencv-python, whose cv2 wants libGL and GLib; the drawn-storyboard
# tests write their handwritten-style captions in Comic Neue
[ -e /usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf ] || need+=(fonts-comic-neue)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1 ' || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0 ' || need+=(libglib2.0-0)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
