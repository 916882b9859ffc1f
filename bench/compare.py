"""Compare two bench result files target by target: ``python -m bench.compare OLD.json NEW.json``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def compare(old: dict, new: dict) -> str:
    """A table of each target's value in both runs and the relative change.

    >>> row = {"issue": 2, "what": "make train wall time", "goal": "< 60 s", "unit": "s", "status": "met"}
    >>> print(compare({"meta": {"commit": "aaa"}, "targets": [{**row, "value": 2.0}]},
    ...               {"meta": {"commit": "bbb"}, "targets": [{**row, "value": 3.0}]}).splitlines()[1])
    #2    make train wall time                                    2.00         3.00      +50%  met
    """
    before = {t["what"]: t for t in old["targets"]}
    lines = [
        f"{'issue':<6}{'target':<50}{old['meta']['commit'][:10]:>10}   {new['meta']['commit'][:10]:>10}"
        f"   {'change':>7}  status now"
    ]
    for t in new["targets"]:
        was = before.get(t["what"], {}).get("value")
        now = t["value"]
        change = f"{100 * (now - was) / was:+.0f}%" if was and now is not None else "-"
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(
            f"#{t['issue']:<5}{t['what'][:50]:<50}{fmt(was):>10}   {fmt(now):>10}   {change:>7}  {t['status']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    print(compare(json.loads(args.old.read_text()), json.loads(args.new.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
