def f(x):
    """Parity of the number of ones: '1' when odd."""
    return str(x.count("1") % 2)
