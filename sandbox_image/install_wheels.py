"""Install wheels by unpacking them: the image needs no pip and no network.

Wheels are zip files laid out for site-packages; the few this image needs (RestrictedPython,
numpy, sympy, mpmath, scipy) have no install-time hooks, so unpacking is a complete install
(numpy and scipy carry their own shared libraries in numpy.libs/ and scipy.libs/).
"""

import sys
import zipfile
from pathlib import Path


def main(wheel_dir: str, target: str) -> None:
    wheels = sorted(Path(wheel_dir).glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheels in {wheel_dir}")
    Path(target).mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
        print(f"installed {wheel.name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
