"""What the bot tells a user when a command fails: one line, never a traceback.

:func:`describe` is the one place that maps failures to words. A ``KnowledgeError``
already carries a user-facing message; a :class:`Refused` is the bot's own "not here,
not you, not now"; a handful of discord.py errors (cooldowns, bad arguments, missing
permissions) get a short explanation. Anything else returns ``None``: the caller logs it
with its traceback and apologises.
"""

from __future__ import annotations

import math

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import render_error
from knowledge.errors import KnowledgeError

APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."


class Refused(app_commands.CheckFailure):
    """A command the bot will not run here, for this person, or right now.

    ``str(err)`` is the reason, one line, fit to show as is. It derives from
    ``app_commands.CheckFailure`` so that raising it from the command tree's
    ``interaction_check`` reaches the tree's error handler.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def try_again(seconds: float) -> str:
    return f"Try again in {max(1, math.ceil(seconds))} s."


def unwrap(error: BaseException) -> BaseException:
    """The exception a command actually raised, out of discord.py's wrappers."""
    while True:
        inner = getattr(error, "original", None)
        if isinstance(
            error,
            commands.CommandInvokeError
            | commands.HybridCommandError
            | app_commands.CommandInvokeError,
        ) and isinstance(inner, BaseException):
            error = inner
        else:
            return error


def describe(error: BaseException) -> str | None:
    """A one-line message for a known failure, or None for a bug (log it, apologise)."""
    error = unwrap(error)
    if isinstance(error, Refused):
        return error.message
    if isinstance(error, KnowledgeError):
        return render_error(str(error))
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return try_again(error.retry_after)
    if isinstance(error, commands.MissingRequiredArgument):
        return f"Missing `{error.param.name}`. Try `help` for how to use the command."
    if isinstance(error, commands.UserInputError | app_commands.TransformerError):
        return render_error(str(error))
    if isinstance(error, commands.NoPrivateMessage | app_commands.NoPrivateMessage):
        return "That works only in a server channel."
    if isinstance(error, commands.MissingPermissions | app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission for that."
    if isinstance(error, commands.BotMissingPermissions | app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {needed} permission in this channel."
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused me here: I need View Channel, Send Messages, Read Message History "
            "and Embed Links in this channel."
        )
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        return "You can't use that command here."
    return None
