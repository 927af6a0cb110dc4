"""Entry point for `flet build` (desktop and mobile packages): the same client as `python -m app`."""

from app.__main__ import main

if __name__ == "__main__":
    main()
