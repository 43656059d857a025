#!/usr/bin/env bash
# The one command for the GPU machine (python3.12, torch + CUDA, transformers, accelerate, peft, safetensors,
# sentencepiece, tokenizers, numpy; no diffusers, pydantic, Pillow or requests there). Run it from the repository
# root; .whl/ (git-ignored) carries diffusers and the pure-Python/small wheels it and briefreel's schema import.
# Budget: bench/wan_gpu.py stops starting cases at 450 s (--budget); give the command a 600 s timeout.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD && PYTHONUNBUFFERED=1 python3 bench/wan_gpu.py --json $OUT/wan_gpu.json 2>&1 | tee $OUT/wan_gpu.log
