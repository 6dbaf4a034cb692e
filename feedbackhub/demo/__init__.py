"""Demo and benchmark data: a believable enterprise AI-platform company (``load_demo``) and scale data (``seed_scale``).

``vocabulary`` holds the word lists and verbatim templates; ``builder`` turns them into rows, deterministically for
a given seed.
"""
