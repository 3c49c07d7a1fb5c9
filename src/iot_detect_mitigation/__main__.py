"""``python -m iot_detect_mitigation``: the ``iot-detect-mitigation`` command."""

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
