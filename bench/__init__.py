"""``python -m bench`` (``make bench``): the speed and scale benchmark of issue 6."""
