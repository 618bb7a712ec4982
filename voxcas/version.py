"""voxcas's version: a leaf module, so what needs the version does not import the package's API."""

__version__ = "0.1.0"
