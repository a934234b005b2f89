def transform(grid):
    """Mirror each row (an ARC-style grid program)."""
    return [row[::-1] for row in grid]
