"""The build compiles the UI's translations (web/translations/*/LC_MESSAGES/messages.po) into the
.mo files Flask-Babel reads, so a built Relance (a wheel, Heroku's install of requirements.txt)
carries them; the repository holds only the .po sources. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogues(root: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for source in sorted(root.glob("web/translations/*/LC_MESSAGES/messages.po")):
        with source.open("rb") as po:
            catalogue = read_po(po)
        with source.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalogue)


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        compile_catalogues(Path(__file__).parent)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
