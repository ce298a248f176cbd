"""The role of storing runtime settings: :class:`SettingsStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod


class SettingsStore(ABC):
    """The setting overrides ``queuectl config set`` stores, shared by every process.

    A backend stores them as text (core parses and validates them) with a version
    number that changes on every save, so that a worker compares it per job (a
    :class:`~queuectl_core.storage.Claim` may carry it, saving a read) and reloads
    the settings only when it changed.
    Checked by :class:`~queuectl_core.testing.contract.settings.SettingsContract`.
    """

    @abstractmethod
    def load_settings(self) -> tuple[dict[str, str], int]:
        """The stored setting overrides (name -> text) and their version."""

    @abstractmethod
    def save_setting(self, name: str, value: str | None) -> None:
        """Store an override (``None`` removes it) and bump the settings version."""

    @abstractmethod
    def settings_version(self) -> int:
        """A number that changes whenever a setting is saved."""
