#!/usr/bin/env bash
# The one command for the GPU machine (python3.12, torch + CUDA, transformers, accelerate, peft, safetensors,
# sentencepiece, tokenizers, numpy, opencv-python-headless, imageio; no diffusers, pydantic, Pillow, requests,
# MoviePy, imageio-ffmpeg or fonts there). Run it from the repository root with carry [".whl"]: .whl/ (git-ignored,
# ~50 MiB) holds diffusers, the pydantic and requests families, Pillow, huggingface_hub, and what render_board's
# import path adds: imageio-ffmpeg 0.5.1 (the smallest bundled ffmpeg, 4.2.2), MoviePy, proglog, decorator,
# python-dotenv, tqdm and the caption font (pylopdf-fonts-zh-cn repacked with Noto Sans SC only: 0.1.1+sansonly).
# Expected ~3 minutes on one H200 (A14B built on the card, 7 shots x 4 steps + decode, conform, join); python is
# stopped at 240 s so the log and whatever render.json exists come back; give the device command timeout_s 300.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD && PYTHONUNBUFFERED=1 timeout 240 python3 bench/wan_gpu_animatic.py --out $OUT/animatic 2>&1 | tee $OUT/wan_gpu_animatic.log
