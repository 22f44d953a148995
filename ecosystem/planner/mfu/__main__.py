"""``python -m ecosystem.planner.mfu``: recalibrate the default MFU on the published runs and write
``data/profiles/mfu_calibration.json``."""

import sys

from ecosystem.planner.mfu.calibration import main

if __name__ == "__main__":
    sys.exit(main())
