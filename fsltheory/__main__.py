"""``python -m fsltheory``: the same command line as ``fsl``."""

import sys

from fsltheory.cli import main

if __name__ == "__main__":
    sys.exit(main())
