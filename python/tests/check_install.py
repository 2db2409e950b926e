"""The install rule (test python_install): `cmake --install BUILD --component python --prefix PREFIX` puts
the package where this interpreter looks under the usual prefixes, and the installed copy works.

    python3 check_install.py BUILD PREFIX RELATIVE_DIR CMAKE
"""

import os
import subprocess
import sys

build, prefix, rel, cmake = sys.argv[1:5]
# Debian's python3 looks in <prefix>/lib/python3.X/dist-packages for both /usr/local and /usr.
for usual in ("/usr/local", "/usr"):
    assert os.path.join(usual, rel) in sys.path, f"{usual}/{rel} is not on {sys.executable}'s path {sys.path}"

subprocess.run([cmake, "--install", build, "--component", "python", "--prefix", prefix], check=True)
site = os.path.join(prefix, rel)
env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
env["PYTHONPATH"] = site  # stands for the usual prefix, which this test must not write to
code = ("import tfe, numpy as np; assert tfe.__file__.startswith(%r), tfe.__file__; "
        "r = tfe.run(tfe.players('aby3', ['a']), lambda s: s.reveal_to('a', tfe.relu("
        "s.define_private_input('a', lambda: np.array([-1.0, 2.0]))))); "
        "assert list(r[3]) == [0.0, 2.0], r; print('installed tfe works:', tfe.__file__)" % site)
subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd="/")
print(f"python_install: the package installs to <prefix>/{rel}, on {sys.executable}'s path for /usr/local and /usr")
