"""OpenClaw integration (layer 6): find and edit ``openclaw.json``, install/uninstall the
plugins, the doctor, the memory-backend posture (``backend.py``) and the capture files it
points at."""

from .config import OpenClawConfigError, find_config_path, load_config
from .doctor import DoctorReport, run_doctor
from .install import InstallResult, UninstallResult, install, uninstall

__all__ = [
    "DoctorReport",
    "InstallResult",
    "OpenClawConfigError",
    "UninstallResult",
    "find_config_path",
    "install",
    "load_config",
    "run_doctor",
    "uninstall",
]
