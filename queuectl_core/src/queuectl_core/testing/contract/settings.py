"""The contract of runtime settings: :class:`~queuectl_core.storage.SettingsStore`."""

from __future__ import annotations

from collections.abc import Callable

from queuectl_core.storage import SettingsStore
from queuectl_core.testing.contract.base import ContractFixtures


class SettingsContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.SettingsStore`: overrides are saved and
    removed for every instance, and each save changes the version."""

    def test_settings_are_saved_removed_and_versioned(
        self, open_storage: Callable[[], SettingsStore]
    ) -> None:
        storage, other = open_storage(), open_storage()
        overrides, version = storage.load_settings()
        assert overrides == {}
        assert storage.settings_version() == version
        previous = version
        for name, value, expected in [
            ("max_retries", "5", {"max_retries": "5"}),
            ("backoff_max", "1h 30m ✓", {"max_retries": "5", "backoff_max": "1h 30m ✓"}),
            ("max_retries", "6", {"max_retries": "6", "backoff_max": "1h 30m ✓"}),
            ("max_retries", None, {"backoff_max": "1h 30m ✓"}),
        ]:
            storage.save_setting(name, value)
            overrides, version = other.load_settings()
            assert overrides == expected
            assert version != previous
            assert storage.settings_version() == other.settings_version() == version
            previous = version
