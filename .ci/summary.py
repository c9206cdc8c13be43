"""Add up the JUnit reports of CI's pytest runs and print one closing line: `Tests: N passed, N failed, N skipped`.

Each run's own summary scrolls away among later steps (Schemathesis, PostgreSQL); this line is the total of what
CI ran. Exits 1 if a report is missing, unreadable, counts a failure or an error, or ran no test at all.
Usage: python .ci/summary.py build/junit/*.xml
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(report: Path) -> dict[str, int]:
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    return total


def main(paths: list[str]) -> int:
    if not paths:
        print("summary: no JUnit report given", file=sys.stderr)
        return 1
    passed = failed = skipped = 0
    ok = True
    for path in map(Path, paths):
        try:
            c = counts(path)
        except (OSError, ET.ParseError) as error:
            print(f"{path.name}: unreadable ({error})")
            ok = False
            continue
        run_failed = c["failures"] + c["errors"]
        run_passed = c["tests"] - run_failed - c["skipped"]
        print(f"  {path.stem}: {run_passed} passed, {run_failed} failed, {c['skipped']} skipped")
        if run_failed or run_passed == 0:
            ok = False
        passed += run_passed
        failed += run_failed
        skipped += c["skipped"]
    print(f"Tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
