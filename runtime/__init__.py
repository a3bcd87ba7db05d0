"""What every entry point shares: settings (the environment over .env) and logging set-up.

Both faces import it, the command line (:mod:`archivist`) and the Discord bot (:mod:`bot`);
it imports neither, so the two never import each other through it.
"""
