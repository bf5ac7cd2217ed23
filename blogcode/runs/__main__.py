"""``python -m blogcode.runs list|run|check``: the command line of :mod:`blogcode.runs.command_line`.

The experiments modules register into ``blogcode.runs.declaring.REGISTRY``, which this
shares with the imported package (``python -m`` imports ``blogcode.runs`` first).
"""

import sys

from blogcode.runs.command_line import main

if __name__ == "__main__":
    sys.exit(main())
