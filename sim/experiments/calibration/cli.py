"""``python -m sim calibrate SPEC --out DIR [--workers N] [--scheduler ADDR] [--resume]``.

SPEC is a calibration file (YAML) or the name of one in ``data/calibration/``. Progress goes to stderr; a one-line
summary (accepted sets, the best set's fit) to stdout; the outputs to DIR (see ``report``). User errors print their
problems on stderr and exit 2; a failed run exits 1 (what finished is kept: rerun with --resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.experiments.calibration.machinery import ProgressBar, StoreError, SweepError, SweepRunError
from sim.experiments.calibration.spec import CalibrationSpecError
from sim.experiments.calibration.targets import TargetsError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="calibration file (YAML) or the name of one in data/calibration/")
    parser.add_argument("--out", required=True, help="output directory (new, or the calibration's own with --resume)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes for the screening (default: os.cpu_count())")
    parser.add_argument("--scheduler", default=None,
                        help="dask.distributed scheduler address for the screening, e.g. tcp://HOST:8786 "
                             "(default: $DASK_SCHEDULER_ADDRESS if set, else local processes)")
    parser.add_argument("--resume", action="store_true", help="continue a calibration in --out: run only the "
                                                              "screening runs not stored yet")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(args: argparse.Namespace) -> int:
    from sim.experiments.calibration.chain import CalibrationError, calibrate_chain

    progress = None if args.quiet else ProgressBar(label=f"calibrate {Path(str(args.spec)).stem}")
    try:
        result = calibrate_chain(args.spec, args.out, workers=args.workers, scheduler=args.scheduler,
                                 resume=args.resume, progress=progress, log=None if args.quiet else _log)
    except (CalibrationSpecError, TargetsError) as exc:
        print(f"error: {str(exc).splitlines()[0].rstrip(':')} ({args.spec}):", file=sys.stderr)
        for p in exc.problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    except (CalibrationError, SweepError, StoreError, SweepRunError) as exc:  # a failed run exits 1, the rest 2
        failed = isinstance(exc, SweepRunError)
        print(f"{chr(10) if failed else ''}error: {exc}", file=sys.stderr)
        return 1 if failed else 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished runs are kept in {args.out}; continue with --resume", file=sys.stderr)
        return 130
    best = result.best_fits()
    inside = int(best["inside_tolerance"].sum())
    print(f"calibrate {result.spec.name}: {len(result.accepted)} of {len(result.points)} sets accepted "
          f"(cut-off {result.rule.cutoff}); best set {result.best_point_id}: {inside} of {len(result.targets)} "
          f"targets inside tolerance; results in {args.out}")
    return 0


if __name__ == "__main__":  # python -m sim.experiments.calibration.cli SPEC --out DIR
    _parser = argparse.ArgumentParser(prog="python -m sim calibrate", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
