"""Archivist on Discord: a thin layer over the ``knowledge`` service (see ``launcher.run``)."""
