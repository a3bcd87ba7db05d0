"""Archivist's faces: the command line, settings and logging. The engine is ``knowledge``."""
