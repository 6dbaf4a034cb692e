"""What bounds offline triage throughput on this machine (``bench/triage.py``, BENCH_ONLY=triage).

Two measures, printed after the pipeline's own figures:

- **The embedding ceiling.** The shipped model alone, one process per core, each with one onnxruntime thread,
  embedding its share of the bench's texts (models loaded and warmed first; the wall time from a common start until
  the last is done). That many texts a second is what triage could reach *if reading, classifying, looking up
  duplicates and writing cost nothing*: every item is embedded once.
- **The int8 reference.** The same weights with int8 activations as well (onnxruntime's dynamic quantisation, per
  channel, of the model after its constant folding), which this CPU runs about twice as fast. It is a different
  embedding space (its vectors agree with the shipped model's only to a cosine of ~0.99, printed), so the hub does not
  use it: adopting it means re-embedding every item and re-calibrating every threshold and model trained on the
  shipped vectors. Measured here for its ceiling and for the whole pipeline in a worker pool (its vectors go to the
  bench's own items, deleted after), to show what the rest of the pipeline then costs. Needs ``onnx`` (dev
  requirements); without it this part says so and is skipped. The file is built once into ``<data dir>/bench-cache``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path


def quantized_model() -> tuple[Path | None, str]:
    """The int8-activation copy of the shipped model, built on first use; (None, why) when it cannot be built."""
    from ai.providers.offline import model_path
    from feedbackhub.embedded import data_dir

    target = data_dir() / "bench-cache" / "minilm-l6-int8-dynamic-per-channel.onnx"
    if target.exists():
        return target, ""
    try:
        import onnxruntime
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as error:  # onnx missing: onnxruntime.quantization imports it
        return None, f"onnxruntime.quantization cannot be imported ({error}); `pip install -r requirements-dev.txt`"
    target.parent.mkdir(parents=True, exist_ok=True)
    folded = target.with_suffix(".folded.onnx")
    options = onnxruntime.SessionOptions()  # basic optimisation folds the int8 → float weight casts into constants
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(folded)
    onnxruntime.InferenceSession(str(model_path()), sess_options=options, providers=["CPUExecutionProvider"])
    partial = target.with_suffix(".partial.onnx")
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser logs a line per tensor
    try:
        quantize_dynamic(str(folded), str(partial), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        logging.getLogger().setLevel(quiet)
    folded.unlink()
    partial.rename(target)  # whole or not at all: an interrupted build is redone
    return target, ""


def embedding_rate(texts: list[str], *, processes: int, model_file: Path | None = None) -> float:
    """Texts a second embedded by ``processes`` spawned processes of one onnxruntime thread each, nothing else."""
    import multiprocessing

    from bench.triage_pool import embed_child

    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes + 1), context.Queue()
    shares = [texts[number::processes] for number in range(processes)]
    children = [context.Process(target=embed_child, args=(share, model_file, ready, results)) for share in shares]
    for child in children:
        child.start()
    try:
        ready.wait(timeout=300)
        started = time.perf_counter()
        for _ in children:
            results.get(timeout=1800)
        return len(texts) / (time.perf_counter() - started)
    finally:
        for child in children:
            child.join(timeout=60)


def agreement(texts: list[str], model_file: Path) -> tuple[float, float]:
    """Mean and lowest cosine between the shipped model's vector of each text and ``model_file``'s."""
    import numpy as np

    from ai.providers.offline import OfflineEmbedder

    shipped = np.asarray(OfflineEmbedder().embed(texts), dtype=np.float32)
    other = np.asarray(OfflineEmbedder(model_file=model_file).embed(texts), dtype=np.float32)
    cosines = (shipped * other).sum(axis=1)  # both unit vectors
    return float(cosines.mean()), float(cosines.min())


def report_ceiling(texts: list[str], *, goal: float, log) -> None:
    """The embedding ceiling of the shipped model on this machine's cores, against ``goal``."""
    cores = os.cpu_count() or 1
    rate = embedding_rate(texts, processes=cores)
    log(
        f"  embedding alone, shipped model, {cores} processes × 1 thread: {rate:6.1f} texts/s = the most triage "
        f"could reach here if nothing else cost anything; goal {goal:.0f}: ×{rate / goal:.2f}"
    )
