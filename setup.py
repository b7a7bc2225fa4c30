"""Build hook: copy the repository's ``params/`` and ``experiments/`` data files
into the package so that a wheel works without the repository (SPEC section 2).

An editable install finds them in the repository instead (see
``pelvisim/resources.py``).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
DATA = {"params": ("*.toml", "*.csv"), "experiments": ("*.toml",)}


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        for folder, patterns in DATA.items():
            target = Path(self.build_lib) / "pelvisim" / "data" / folder
            target.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for src in sorted((ROOT / folder).glob(pattern)):
                    shutil.copy2(src, target / src.name)


setup(cmdclass={"build_py": BuildPyWithData})
