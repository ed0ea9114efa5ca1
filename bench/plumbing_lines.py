"""Lines of plumbing per service: code lines (not blank, not comment-only) in a service's
modules other than its events, commands, pure aggregates and edge schemas.

    python bench/plumbing_lines.py [ROOT]   -> JSON {service: {"plumbing": n, "files": {...}}}

The domain modules are named below, the same list before and after the kit, so the two
figures compare like with like. The kit's own lines (shared/kit) are reported apart:
they are written once for every service.
"""
from __future__ import annotations

import json
import pathlib
import sys

DOMAIN = {"events.py", "commands.py", "schemas.py", "__init__.py"}
AGGREGATES = {
    "residents": {"resident.py", "org.py", "cards.py", "rubric.py", "idnumber.py"},
    "casework": {"case.py", "referral.py", "visit.py", "followup.py", "campaign.py", "policy.py"},
    "activities": {"activity.py"},
}


def code_lines(path: pathlib.Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.strip().startswith("#"))


def measure(root: pathlib.Path) -> dict:
    out = {}
    for service, aggregates in AGGREGATES.items():
        folder = root / "services" / service
        if not folder.is_dir():
            continue
        files = {p.name: code_lines(p) for p in sorted(folder.glob("*.py"))
                 if p.name not in DOMAIN | aggregates}
        out[service] = {"plumbing": sum(files.values()), "files": files}
    kit = root / "shared" / "kit"
    if kit.is_dir():
        out["shared/kit"] = {"lines": sum(code_lines(p) for p in kit.glob("*.py"))}
    return out


if __name__ == "__main__":
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(json.dumps(measure(root), indent=1, ensure_ascii=False))
