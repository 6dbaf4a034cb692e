"""Demo and benchmark data, development only: a believable enterprise AI-platform company (``load_demo``) and
scale data (``seed_scale``).

The words live in ``data/`` (JSON, loaded and validated by ``vocabulary``); the modules turn them into rows,
deterministically for a given seed. This app may import every other app; nothing imports it.
"""
