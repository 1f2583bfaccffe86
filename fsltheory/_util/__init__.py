"""Private helpers shared by every layer: validation, output files, seeds, fast exponentials.

Nothing here knows the model or the FSL; every other package may import it.
"""
