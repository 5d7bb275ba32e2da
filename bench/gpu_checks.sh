#!/usr/bin/env bash
# The GPU measurements issue 9 asks for, as one short script for a lent GPU machine (about 6-8 minutes on one
# H100/H200 class GPU, most of it the first CUDA initialisation and cuDNN autotuning):
#   1. training throughput of the StarGAN systems in fp32 vs bf16-mixed (target: bf16 >= 1.5x fp32), plus the
#      channels_last and compile options on top of bf16;
#   2. face swap frames/s per stage and end to end at 256 px with bf16 batched stages (target: >= 30 frames/s).
# Usage (repository root, set-up done):  bash bench/gpu_checks.sh [OUT_DIR]
set -euo pipefail
out=${1:-${OUT:-bench/gpu_results}}
mkdir -p "$out"
export PYTHONPATH=.
py=.venv/bin/python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

for precision in 32-true bf16-mixed; do
  $py bench/train_step.py --device cuda --precision "$precision" --steps 20 --only stargan \
    2>&1 | grep -v "available\|Tip" | tee "$out/train_$precision.txt"
done
$py bench/train_step.py --device cuda --precision bf16-mixed --steps 20 --only stargan --channels-last \
  2>&1 | grep -v "available\|Tip" | tee "$out/train_bf16_channels_last.txt"
$py bench/train_step.py --device cuda --precision bf16-mixed --steps 20 --only stargan --compile inductor \
  2>&1 | grep -v "available\|Tip" | tee "$out/train_bf16_compile.txt"

# s/iter is column 5 of each experiment row: print the fp32 / bf16 ratio per experiment.
join <(awk '/^seed_/ {print $1, $5}' "$out/train_32-true.txt" | sort) \
     <(awk '/^seed_/ {print $1, $5}' "$out/train_bf16-mixed.txt" | sort) |
  awk '{printf "%-26s fp32 %.3f s/iter, bf16-mixed %.3f s/iter: %.2fx (target >= 1.5)\n", $1, $2, $3, $2 / $3}' |
  tee "$out/bf16_speedup.txt"

$py bench/swap.py --device cuda --frames 240 --batch 16 2>&1 | grep -v "^swap:" | tee "$out/swap.txt"
